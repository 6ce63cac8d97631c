"""Writes of the ingestion pipeline: issues from lists, metadata, PDFs, passages, state.

Tasks and the admin call these; each one is a small transaction with a guard, so that a
task that runs twice (``acks_late``) or late never corrupts what is stored.
"""

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.ingestion.arxiv_client import ArxivRecord
from papernotes.ingestion.paper_list import (
    DuplicateEntry,
    PaperList,
    PaperListError,
    RejectedEntry,
    parse_paper_list,
)
from papernotes.ingestion.pdf_download import DownloadedPdf
from papernotes.ingestion.pdf_text import ExtractedDocument
from papernotes.models import (
    IngestionStage,
    IngestionStatus,
    IssueSourceList,
    IssueState,
    Note,
    Paper,
    PaperIngestion,
    PaperPdf,
    Passage,
    WeeklyIssue,
)
from papernotes.services import POSITION_PARKING_OFFSET

ARXIV_ABS_URL = "https://arxiv.org/abs/{id}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{id}"


class IssueListError(ValueError):
    """A list could not make an issue; nothing was changed.

    ``field`` names what the editor should correct: ``"text"`` (the list) or ``"week_start"``.
    """

    def __init__(self, message: str, *, field: str = "text") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class IssueFromListResult:
    """What a list did to an issue. ``notices`` are Japanese remarks to show the editor."""

    issue: WeeklyIssue
    issue_created: bool
    source_list: IssueSourceList
    added: list[str] = field(default_factory=list)
    already_in_issue: list[str] = field(default_factory=list)
    reused_papers: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _check_monday(week: datetime.date) -> None:
    if week.isoweekday() != 1:
        raise IssueListError(
            _("週の開始日は月曜日にしてください: {week}").format(week=week.isoformat()), field="week_start"
        )


def _week_start(week_start: datetime.date | None, parsed: PaperList) -> datetime.date:
    week = week_start or parsed.week_start
    if week is None:
        # The parser knows why (no heading, no year, no Monday, several weeks…).
        raise IssueListError(parsed.week_problem or _("週を指定してください。"), field="week_start")
    _check_monday(week)
    return week


@transaction.atomic
def issue_create_from_list(*, text: str, week_start: datetime.date | None = None, user=None) -> IssueFromListResult:
    """Create (or extend) a week's draft issue from pasted ids or an ML Papers of the Week section.

    Papers already known are reused; the same paper twice in one list is merged; lines
    that are not arXiv papers are reported back, never dropped silently. Ingestion of the
    new papers is enqueued after the transaction commits. A given ``week_start`` picks a
    section of a pasted list, or is the week of a single pasted section whatever its heading
    says (``notices`` then says so).
    """
    if week_start is not None:
        # Before reading the list: a Tuesday would otherwise show up as "no such week".
        _check_monday(week_start)
    try:
        parsed = parse_paper_list(text, week=week_start)
    except PaperListError as error:
        raise IssueListError(str(error), field=error.field) from error
    week = _week_start(week_start, parsed)
    if not parsed.entries:
        raise IssueListError(_("arXiv の論文が一本も見つかりませんでした。"))

    issue, created = WeeklyIssue.objects.select_for_update().get_or_create(week_start=week)
    if issue.state == IssueState.PUBLISHED:
        raise IssueListError(
            _("{week} の号は公開済みのため、論文を追加できません。").format(week=week.isoformat()), field="week_start"
        )

    result = IssueFromListResult(
        issue=issue,
        issue_created=created,
        source_list=IssueSourceList(issue=issue, text=text, submitted_by=user),
        rejected=[_rejected_row(entry) for entry in parsed.rejected],
        duplicates=[_duplicate_row(entry) for entry in parsed.duplicates],
        notices=list(parsed.notices),
    )
    next_position = (issue.notes.aggregate(last=Max("position"))["last"] or 0) + 1
    to_ingest = []
    for entry in parsed.entries:
        arxiv_id = entry.ref.arxiv_id
        paper, paper_created = Paper.objects.get_or_create(
            arxiv_id=arxiv_id,
            defaults={
                "title": entry.title or "",
                "pdf_url": ARXIV_PDF_URL.format(id=arxiv_id),
                "abs_url": ARXIV_ABS_URL.format(id=arxiv_id),
            },
        )
        if not paper_created:
            result.reused_papers.append(arxiv_id)
        _note, note_created = Note.objects.get_or_create(issue=issue, paper=paper, defaults={"position": next_position})
        if not note_created:
            result.already_in_issue.append(arxiv_id)
            continue
        next_position += 1
        result.added.append(arxiv_id)
        to_ingest.append(paper.pk)
        PaperIngestion.objects.get_or_create(paper=paper)

    result.source_list.accepted = result.added
    result.source_list.rejected = result.rejected
    result.source_list.duplicates = result.duplicates
    result.source_list.save()
    if to_ingest:
        _enqueue_issue_ingestion(issue.pk, to_ingest, order_by_date=True)
    return result


def _rejected_row(entry: RejectedEntry) -> dict:
    """A line that was not used, as stored in the list's report and shown to the editor."""
    return {"line_no": entry.line_no, "title": entry.title, "text": entry.text, "reason": str(entry.reason)}


def _duplicate_row(entry: DuplicateEntry) -> dict:
    return {
        "line_no": entry.line_no,
        "arxiv_id": entry.ref.versioned,
        "title": entry.title,
        "first_line_no": entry.first_line_no,
    }


def _enqueue_issue_ingestion(issue_id: int, paper_ids: list[int], *, order_by_date: bool = False) -> None:
    from papernotes.tasks import ingest_issue_task

    transaction.on_commit(lambda: ingest_issue_task.delay(issue_id, paper_ids, order_by_date=order_by_date))


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
        state.error_code = ""
        state.last_error = ""
        state.save()


@transaction.atomic
def ingestion_stage_start(*, paper_id: int, stage: str) -> None:
    state = _state(paper_id)
    now = timezone.now()
    if state.started_at is None or state.stage in (IngestionStage.QUEUED, IngestionStage.DONE):
        state.started_at = now
        state.finished_at = None
        state.timings = {}
    state.stage = stage
    state.status = IngestionStatus.RUNNING
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
def ingestion_stage_fail(*, paper_id: int, stage: str, code: str, message: str, final: bool = True) -> None:
    """Record a failure on one paper. A non-final one stays pending for the next retry."""
    state = _state(paper_id)
    _record_timing(state, stage)
    state.stage = stage
    state.error_code = code[:32]
    state.last_error = message
    state.status = IngestionStatus.FAILED if final else IngestionStatus.PENDING
    if final:
        state.finished_at = timezone.now()
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
        )
        for passage in extracted.passages
    )
    PaperPdf.objects.filter(paper_id=paper_id).update(page_count=extracted.page_count)
    return len(extracted.passages)


@transaction.atomic
def issue_order_notes_by_date(*, issue_id: int) -> None:
    """Order a draft issue's notes as the blog does: by 発行日, newest first."""
    issue = WeeklyIssue.objects.select_for_update().get(pk=issue_id)
    if issue.state == IssueState.PUBLISHED:
        return
    notes = list(issue.notes.select_related("paper").order_by("position"))
    notes.sort(key=lambda note: note.paper.first_published_on or datetime.date.min, reverse=True)
    issue.notes.update(position=F("position") + POSITION_PARKING_OFFSET)
    for position, note in enumerate(notes, start=1):
        Note.objects.filter(pk=note.pk).update(position=position)


def issue_retry_failed(*, issue: WeeklyIssue) -> list[int]:
    """Send the issue's failed papers through the pipeline again. Returns their ids."""
    failed = list(
        PaperIngestion.objects.filter(paper__notes__issue=issue, status=IngestionStatus.FAILED).values_list(
            "paper_id", flat=True
        )
    )
    if failed:
        with transaction.atomic():
            ingestion_queue(paper_ids=failed)
            _enqueue_issue_ingestion(issue.pk, failed)
    return failed
