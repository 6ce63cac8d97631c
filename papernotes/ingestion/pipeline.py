"""The ingestion pipeline's steps: per-paper state, and what each stage stores.

Tasks (``papernotes.ingestion.tasks``) call these; each is a small transaction with a
guard, so a task that runs twice (``acks_late``) or late never corrupts what is stored.
Entry points that start the pipeline live in ``services``, which enqueues the tasks.
"""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from papernotes.ingestion.arxiv_client import ArxivRecord
from papernotes.ingestion.pdf_download import DownloadedPdf
from papernotes.ingestion.pdf_text import ExtractedDocument
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    IngestionStage,
    IngestionStatus,
    Note,
    Paper,
    PaperIngestion,
    PaperPdf,
    Passage,
    WeeklyIssue,
)
from papernotes.services import POSITION_PARKING_OFFSET

# -- pipeline state -------------------------------------------------------------------


def _state(paper_id: int) -> PaperIngestion:
    state, _created = PaperIngestion.objects.select_for_update().get_or_create(paper_id=paper_id)
    return state


@transaction.atomic
def ingestion_queue(*, paper_ids: list[int]) -> None:
    """Put papers back at the start of the pipeline (before a run or a retry)."""
    for paper_id in paper_ids:
        state = _state(paper_id)
        if state.status == IngestionStatus.RUNNING:
            continue
        state.stage = IngestionStage.QUEUED
        state.status = IngestionStatus.PENDING
        state.attempts = 0
        state.clear_failure()
        state.save()


@transaction.atomic
def ingestion_stage_start(*, paper_id: int, stage: str) -> None:
    state = _state(paper_id)
    now = timezone.now()
    if state.started_at is None or state.stage in (IngestionStage.QUEUED, IngestionStage.DONE):
        state.started_at = now
        state.finished_at = None
        state.timings = {}
    if state.stage != stage:
        state.retry_number = state.max_retries = 0
    state.stage = stage
    state.status = IngestionStatus.RUNNING
    state.next_retry_at = None
    state.attempts = F("attempts") + 1  # tries of the current stage
    state.timings = {**state.timings, f"{stage}_started": now.timestamp()}
    state.save()


def _record_timing(state: PaperIngestion, stage: str) -> None:
    started = state.timings.get(f"{stage}_started")
    if started is not None:
        state.timings = {**state.timings, stage: round(timezone.now().timestamp() - started, 3)}


@transaction.atomic
def ingestion_stage_succeed(*, paper_id: int, stage: str, next_stage: str | None) -> None:
    state = _state(paper_id)
    _record_timing(state, stage)
    state.error_code = ""
    state.last_error = ""
    if next_stage is None:
        state.stage = IngestionStage.DONE
        state.status = IngestionStatus.SUCCEEDED
        state.finished_at = timezone.now()
    else:
        state.stage = next_stage
        state.status = IngestionStatus.PENDING
        state.attempts = 0
    state.save()


@transaction.atomic
def ingestion_stage_fail(
    *,
    paper_id: int,
    stage: str,
    code: str,
    message: str,
    final: bool = True,
    retry_number: int = 0,
    max_retries: int = 0,
    retry_in: float | None = None,
) -> None:
    """Record a failure on one paper: final, or pending automatic retry ``retry_number`` of
    ``max_retries`` in ``retry_in`` seconds (shown to the editor with its time)."""
    state = _state(paper_id)
    _record_timing(state, stage)
    state.stage = stage
    state.status = IngestionStatus.FAILED if final else IngestionStatus.PENDING
    state.record_failure(
        code=code, message=message, final=final, retry_number=retry_number, max_retries=max_retries, retry_in=retry_in
    )
    state.save()


# -- what the pipeline stores -----------------------------------------------------------


@transaction.atomic
def paper_apply_metadata(*, paper_id: int, record: ArxivRecord) -> bool:
    """Store arXiv's metadata on a paper. Returns whether a newer version arrived."""
    paper = Paper.objects.select_for_update().get(pk=paper_id)
    newer = record.version > paper.latest_version or not paper.has_metadata
    paper.title = record.title
    paper.authors = list(record.authors)
    paper.abstract_en = record.abstract
    paper.latest_version = max(record.version, paper.latest_version) if paper.has_metadata else record.version
    paper.first_published_on = record.published.date()
    paper.latest_updated_on = record.updated.date()
    paper.categories = list(record.categories)
    paper.pdf_url = record.pdf_url
    paper.abs_url = record.abs_url
    paper.comment = record.comment
    paper.doi = record.doi
    paper.journal_ref = record.journal_ref
    paper.save()
    return newer


def paper_needs_pdf(*, paper: Paper) -> bool:
    pdf = PaperPdf.objects.filter(paper=paper).first()
    return pdf is None or pdf.version != paper.latest_version or not pdf.file


@transaction.atomic
def paper_store_pdf(*, paper_id: int, version: int, downloaded: DownloadedPdf) -> PaperPdf:
    """Keep the PDF and its checksum; the same bytes are not written twice."""
    paper = Paper.objects.select_for_update().get(pk=paper_id)
    pdf = PaperPdf.objects.filter(paper=paper).first() or PaperPdf(paper=paper)
    if pdf.pk and pdf.sha256 == downloaded.sha256 and pdf.file:
        pdf.version = version
        pdf.save(update_fields=["version"])
        return pdf
    old_name = pdf.file.name if pdf.pk and pdf.file else None
    pdf.version = version
    pdf.source_url = downloaded.final_url
    pdf.sha256 = downloaded.sha256
    pdf.size = downloaded.size
    pdf.downloaded_at = timezone.now()
    pdf.file.save(f"{paper.arxiv_id.replace('/', '_')}v{version}.pdf", ContentFile(downloaded.content), save=False)
    pdf.save()
    if old_name and old_name != pdf.file.name:
        transaction.on_commit(lambda: pdf.file.storage.delete(old_name))
    return pdf


@transaction.atomic
def paper_store_passages(*, paper_id: int, extracted: ExtractedDocument) -> int:
    """Replace a paper's passages with a new extraction, all or nothing."""
    Passage.objects.filter(paper_id=paper_id).delete()
    Passage.objects.bulk_create(
        Passage(
            paper_id=paper_id,
            position=passage.position,
            page_start=passage.page_start,
            page_end=passage.page_end,
            section=passage.section[:300],
            text=passage.text,
            is_reference=passage.is_reference,
            is_figure_text=passage.is_figure_text,
            is_table=passage.is_table,
        )
        for passage in extracted.passages
    )
    PaperPdf.objects.filter(paper_id=paper_id).update(page_count=extracted.page_count)
    return len(extracted.passages)


@transaction.atomic
def issue_order_notes_by_date(*, issue_id: int) -> None:
    """Order a draft issue's notes as the blog does: by 発行日, newest first."""
    issue = WeeklyIssue.objects.select_for_update().get(pk=issue_id)
    if issue.state in ONCE_PUBLISHED_ISSUE_STATES:
        return
    notes = list(issue.notes.select_related("paper").order_by("position"))
    notes.sort(key=lambda note: note.paper.first_published_on or datetime.date.min, reverse=True)
    issue.notes.update(position=F("position") + POSITION_PARKING_OFFSET)
    for position, note in enumerate(notes, start=1):
        Note.objects.filter(pk=note.pk).update(position=position)
