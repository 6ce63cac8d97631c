"""Celery tasks of the ingestion pipeline: thin wrappers that call the pipeline.

Tasks take ids, are safe to run twice (``acks_late``: a task may be delivered again after
a worker dies), record every failure on the paper it concerns, and retry transient
failures with exponential backoff; after the last retry the failure is final and shows
in the admin. One paper's failure never blocks the others.

Task names are explicit and keep the module they were first written in, so messages
already queued under those names stay valid.
"""

import logging

from celery import group, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import gettext as _

from papernotes.drafting.services import paper_draft_after_extraction
from papernotes.external.errors import ExternalError
from papernotes.external.ratelimit import arxiv_slot
from papernotes.external.retries import FailureOutcome, record_then_retry
from papernotes.ingestion import pipeline
from papernotes.ingestion.arxiv_client import ArxivFetchError, fetch_metadata
from papernotes.ingestion.pdf_download import download_pdf
from papernotes.ingestion.pdf_text import extract_pdf
from papernotes.models import IngestionStage, Paper, PaperPdf

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": 4}


def _fail(task, error: BaseException, *, paper_ids: list[int], stage: str, timeout_message: str) -> None:
    """Record the failure on each paper; retry later unless it is final."""

    def record(outcome: FailureOutcome) -> None:
        for paper_id in paper_ids:
            pipeline.ingestion_stage_fail(paper_id=paper_id, stage=stage, **outcome.failure_fields())

    record_then_retry(task, error, timeout_message=timeout_message, record=record)


@shared_task(**TASK_OPTIONS, name="papernotes.tasks.ingest_issue_task", soft_time_limit=300, time_limit=330)
def ingest_issue_task(self, issue_id: int, paper_ids: list[int] | None = None, order_by_date: bool = False) -> None:
    """Fetch arXiv metadata for an issue's papers in one request, then fan out per paper.

    ``order_by_date`` (set when papers come in from a list) orders the issue as the blog
    does, newest 発行日 first; retries leave the order an editor may have set alone.
    """
    papers = Paper.objects.filter(notes__issue_id=issue_id).order_by("pk")
    if paper_ids is not None:
        papers = papers.filter(pk__in=paper_ids)
    papers = list(papers)
    if not papers:
        return
    stage = IngestionStage.METADATA
    ids = [paper.pk for paper in papers]
    for paper_id in ids:
        pipeline.ingestion_stage_start(paper_id=paper_id, stage=stage)
    try:
        outcomes = fetch_metadata([paper.arxiv_id for paper in papers])
    except Exception as error:  # recorded on the paper; bugs are re-raised after
        _fail(
            self,
            error,
            paper_ids=ids,
            stage=stage,
            timeout_message=_("arXiv への問い合わせが時間内に終わりませんでした。"),
        )
        return

    ready = []
    for paper in papers:
        outcome = outcomes[paper.arxiv_id]
        if isinstance(outcome, ArxivFetchError):
            pipeline.ingestion_stage_fail(paper_id=paper.pk, stage=stage, code=outcome.code, message=outcome.message)
            continue
        pipeline.paper_apply_metadata(paper_id=paper.pk, record=outcome)
        pipeline.ingestion_stage_succeed(paper_id=paper.pk, stage=stage, next_stage=IngestionStage.PDF)
        ready.append(paper.pk)
    if order_by_date:
        pipeline.issue_order_notes_by_date(issue_id=issue_id)
    if ready:
        group(fetch_pdf_task.si(paper_id) for paper_id in ready).apply_async()


@shared_task(**TASK_OPTIONS, name="papernotes.tasks.fetch_pdf_task", soft_time_limit=180, time_limit=210)
def fetch_pdf_task(self, paper_id: int) -> None:
    """Download the latest version's PDF (unless already stored), then extract it."""
    stage = IngestionStage.PDF
    paper = Paper.objects.get(pk=paper_id)
    pipeline.ingestion_stage_start(paper_id=paper_id, stage=stage)
    if pipeline.paper_needs_pdf(paper=paper):
        try:
            # PDFs come from arXiv too: the same shared slot keeps to its terms.
            with arxiv_slot():
                downloaded = download_pdf(paper.pdf_url)
        except Exception as error:  # recorded on the paper; bugs are re-raised after
            message = _("PDF のダウンロードが時間内に終わりませんでした。")
            _fail(self, error, paper_ids=[paper_id], stage=stage, timeout_message=message)
            return
        pipeline.paper_store_pdf(paper_id=paper_id, version=paper.latest_version, downloaded=downloaded)
    pipeline.ingestion_stage_succeed(paper_id=paper_id, stage=stage, next_stage=IngestionStage.EXTRACTION)
    extract_passages_task.delay(paper_id)


@shared_task(**TASK_OPTIONS, name="papernotes.tasks.extract_passages_task", soft_time_limit=240, time_limit=270)
def extract_passages_task(self, paper_id: int) -> None:
    """Split the stored PDF into passages with pages and sections."""
    stage = IngestionStage.EXTRACTION
    pdf = PaperPdf.objects.filter(paper_id=paper_id).first()
    pipeline.ingestion_stage_start(paper_id=paper_id, stage=stage)
    if pdf is None or not pdf.file:
        pipeline.ingestion_stage_fail(
            paper_id=paper_id, stage=stage, code="no_pdf", message=_("PDF がまだ保存されていません。")
        )
        return
    try:
        try:
            with pdf.file.open("rb") as handle:
                data = handle.read()
            extracted = extract_pdf(data, max_pages=settings.PDF_MAX_PAGES, time_limit=settings.PDF_EXTRACT_TIME_LIMIT)
        except OSError as error:
            message = _("保存した PDF を読めません: {error}").format(error=error.strerror or error)
            raise ExternalError("storage", message) from error
        except SoftTimeLimitExceeded as error:
            # The same bytes would take as long again: final, not retried.
            raise ExternalError("timeout", _("本文の抽出が時間内に終わりませんでした。")) from error
    except Exception as error:  # recorded on the paper; bugs are re-raised after
        _fail(self, error, paper_ids=[paper_id], stage=stage, timeout_message="")
        return
    pipeline.paper_store_passages(paper_id=paper_id, extracted=extracted)
    pipeline.ingestion_stage_succeed(paper_id=paper_id, stage=stage, next_stage=None)
    # The text is in: the paper's notes in issues not yet published can be drafted.
    paper_draft_after_extraction(paper_id=paper_id)
