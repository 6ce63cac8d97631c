"""Entry points of the ingestion pipeline: a week's issue from a list, and retries.

The admin, ``manage.py new_issue`` and the API call these; they enqueue the tasks
(``papernotes.ingestion.tasks``), which run the steps in ``papernotes.ingestion.pipeline``.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from papernotes.ingestion import pipeline
from papernotes.ingestion.paper_list import (
    DuplicateEntry,
    PaperList,
    PaperListError,
    RejectedEntry,
    parse_paper_list,
)
from papernotes.ingestion.tasks import ingest_issue_task
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    IngestionStatus,
    IssueSourceList,
    Note,
    Paper,
    PaperIngestion,
    WeeklyIssue,
)

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
    if len(parsed.entries) > settings.PAPER_LIST_MAX_PAPERS:
        # Before any row is written: a week has ten or so papers, not thousands.
        raise IssueListError(
            _("一度に追加できる論文は {limit} 本までです(この一覧には {count} 本あります)。").format(
                limit=settings.PAPER_LIST_MAX_PAPERS, count=len(parsed.entries)
            )
        )

    issue, created = WeeklyIssue.objects.select_for_update().get_or_create(week_start=week)
    if issue.state in ONCE_PUBLISHED_ISSUE_STATES:
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
    transaction.on_commit(lambda: ingest_issue_task.delay(issue_id, paper_ids, order_by_date=order_by_date))


def issue_retry_failed(*, issue: WeeklyIssue) -> list[int]:
    """Send the issue's failed papers through the pipeline again. Returns their ids."""
    failed = list(
        PaperIngestion.objects.filter(paper__notes__issue=issue, status=IngestionStatus.FAILED).values_list(
            "paper_id", flat=True
        )
    )
    if failed:
        with transaction.atomic():
            pipeline.ingestion_queue(paper_ids=failed)
            _enqueue_issue_ingestion(issue.pk, failed)
    return failed
