"""Reads of the pipeline state, shared by the admin and ``pipeline_status``."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from papernotes.models import IngestionStatus, Note, PaperIngestion, WeeklyIssue


@dataclass(frozen=True)
class PaperPipelineRow:
    position: int
    arxiv_id: str
    title: str
    stage_label: str
    status: str
    status_label: str
    progress: int
    attempts: int
    last_error: str
    seconds: float | None


@dataclass(frozen=True)
class IssuePipeline:
    issue: WeeklyIssue
    rows: tuple[PaperPipelineRow, ...]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        return sum(row.status == IngestionStatus.SUCCEEDED for row in self.rows)

    @property
    def failed(self) -> int:
        return sum(row.status == IngestionStatus.FAILED for row in self.rows)

    @property
    def progress(self) -> int:
        """Finished papers count fully, failed ones too: nothing more will happen to them."""
        if not self.rows:
            return 0
        return round(
            sum(100 if row.status == IngestionStatus.FAILED else row.progress for row in self.rows) / len(self.rows)
        )


def _row(note, state: PaperIngestion | None) -> PaperPipelineRow:
    state = state or PaperIngestion(paper=note.paper)
    timings = [value for key, value in state.timings.items() if not key.endswith("_started")]
    return PaperPipelineRow(
        position=note.position,
        arxiv_id=note.paper.arxiv_id,
        title=note.paper.title,
        stage_label=str(state.get_stage_display()),
        status=state.status,
        status_label=str(state.get_status_display()),
        progress=state.progress,
        attempts=state.attempts,
        last_error=state.last_error,
        seconds=sum(timings) if timings else None,
    )


def with_pipeline(issues: QuerySet[WeeklyIssue]) -> QuerySet[WeeklyIssue]:
    """Prefetch what ``pipeline_for_issue`` reads, for lists of issues (two queries in all)."""
    notes = Note.objects.select_related("paper", "paper__ingestion").order_by("position")
    return issues.prefetch_related(Prefetch("notes", queryset=notes, to_attr="pipeline_notes"))


def pipeline_for_issue(issue: WeeklyIssue) -> IssuePipeline:
    notes = getattr(issue, "pipeline_notes", None)
    if notes is None:
        notes = list(issue.notes.select_related("paper", "paper__ingestion").order_by("position"))
    return IssuePipeline(
        issue=issue,
        rows=tuple(_row(note, getattr(note.paper, "ingestion", None)) for note in notes),
    )


def issue_pipeline(*, week_start: datetime.date) -> IssuePipeline | None:
    issue = WeeklyIssue.objects.filter(week_start=week_start).first()
    return None if issue is None else pipeline_for_issue(issue)
