"""Reads of an issue's progress, shared by the admin and ``pipeline_status``.

Each paper of an issue goes through metadata, PDF, text extraction and then drafting (the
note's machine draft). The view is per issue: ingestion state belongs to the paper and is
shared by the issues that use it, so a published issue (or one that was published) does
not show it at all: its notes are what was published, and every row reads as done. In an
issue being made, a row says where its paper is, whether an automatic retry is pending
(which one of how many, and about when), that it failed for good, that its draft waits in
a batch of the Batch API (バッチ待ち(読解), バッチ待ち(回答)), or that its draft is there but
needs attention (要確認: answers missing or without a quote found in the paper).
The issue's percentage counts the work done on papers that did not fail: a failure never
reads as done, and an issue whose papers all failed reads 0%.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.drafting.selectors import NO_CALLS, CallTotals, call_totals_by_note
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    DraftingStatus,
    DraftingStep,
    IngestionStage,
    IngestionStatus,
    Note,
    NoteDrafting,
    PaperIngestion,
    PipelineRowState,
    WeeklyIssue,
)

# Steps of one paper in an issue being made: three of ingestion, then the draft.
_INGESTION_STEPS = {
    IngestionStage.QUEUED: 0,
    IngestionStage.METADATA: 0,
    IngestionStage.PDF: 1,
    IngestionStage.EXTRACTION: 2,
    IngestionStage.DONE: 3,
}
STEPS = 4


RowState = PipelineRowState
# Nothing more will happen by itself to a paper in these states.
FINISHED_STATES = frozenset({RowState.DONE, RowState.PUBLISHED, RowState.MANUAL, RowState.NEEDS_ATTENTION})
# Finished and nothing left to check.
DONE_STATES = frozenset({RowState.DONE, RowState.PUBLISHED, RowState.MANUAL})


@dataclass(frozen=True)
class PaperPipelineRow:
    position: int
    note_id: int
    paper_id: int
    arxiv_id: str
    title: str
    stage_label: str
    state: str
    progress: int
    attempts: int
    last_error: str
    retry_note: str
    seconds: float | None
    llm: CallTotals = NO_CALLS

    @property
    def calls(self) -> int:
        return self.llm.calls

    @property
    def cost_usd(self) -> Decimal:
        return self.llm.cost_usd

    @property
    def state_label(self) -> str:
        return str(RowState(self.state).label)

    @property
    def active(self) -> bool:
        return self.state in (RowState.WAITING, RowState.RUNNING, RowState.BATCH, RowState.RETRYING)


@dataclass(frozen=True)
class IssuePipeline:
    issue: WeeklyIssue
    rows: tuple[PaperPipelineRow, ...]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        return sum(row.state in DONE_STATES for row in self.rows)

    @property
    def needs_attention(self) -> int:
        """Drafted, but with answers missing or unverified (要確認)."""
        return sum(row.state == RowState.NEEDS_ATTENTION for row in self.rows)

    @property
    def failed(self) -> int:
        return sum(row.state == RowState.FAILED for row in self.rows)

    @property
    def active(self) -> bool:
        """Work is still going on (the page keeps refreshing while it is)."""
        return any(row.active for row in self.rows)

    @property
    def progress(self) -> int:
        """Share of the steps done on the papers that have not failed: a failed paper counts as
        none done, so an issue whose papers all failed reads 0%, never three quarters done."""
        if not self.rows:
            return 0
        return int(sum(row.progress for row in self.rows if row.state != RowState.FAILED) / len(self.rows))

    @property
    def counts_label(self) -> str:
        """「完了 8 / 要確認 1 / 失敗 1 / 全 10」: what every progress line says of the papers."""
        if self.needs_attention:
            return _("完了 {done} / 要確認 {attention} / 失敗 {failed} / 全 {total}").format(
                done=self.done, attention=self.needs_attention, failed=self.failed, total=self.total
            )
        return _("完了 {done} / 失敗 {failed} / 全 {total}").format(
            done=self.done, failed=self.failed, total=self.total
        )

    @property
    def needs_attention_share(self) -> int:
        return round(100 * self.needs_attention / self.total) if self.total else 0

    @property
    def done_share(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def failed_share(self) -> int:
        return round(100 * self.failed / self.total) if self.total else 0

    @property
    def cost_usd(self) -> Decimal:
        return sum((row.cost_usd for row in self.rows), Decimal("0"))

    @property
    def input_tokens(self) -> int:
        return sum(row.llm.input_tokens for row in self.rows)

    @property
    def output_tokens(self) -> int:
        return sum(row.llm.output_tokens for row in self.rows)

    @property
    def calls(self) -> int:
        return sum(row.calls for row in self.rows)


def _retry_note(retry_number: int, max_retries: int, at: datetime.datetime | None) -> str:
    if not at:
        return ""
    when = timezone.localtime(at).strftime("%H:%M")
    return _("自動再試行 {n}/{total} 回目・次回 {time} 頃").format(n=retry_number, total=max_retries, time=when)


def _seconds(state: PaperIngestion) -> float | None:
    timings = [value for key, value in state.timings.items() if not key.endswith("_started")]
    return sum(timings) if timings else None


def _published_row(note: Note) -> PaperPipelineRow:
    shown = note.paper_as_shown
    return PaperPipelineRow(
        position=note.position,
        note_id=note.pk,
        paper_id=note.paper_id,
        arxiv_id=note.paper.arxiv_id,
        title=shown.title or note.paper.title,
        stage_label=_("公開済み"),
        state=RowState.PUBLISHED,
        progress=100,
        attempts=0,
        last_error="",
        retry_note="",
        seconds=None,
    )


def _ingestion_row_state(state: PaperIngestion) -> str:
    if state.status == IngestionStatus.FAILED:
        return RowState.FAILED
    if state.status == IngestionStatus.RUNNING:
        return RowState.RUNNING
    if state.status == IngestionStatus.PENDING and state.next_retry_at and state.last_error:
        return RowState.RETRYING
    return RowState.WAITING


def _drafting_row_state(drafting: NoteDrafting | None) -> str:
    if drafting is None or drafting.status == DraftingStatus.NOT_STARTED:
        return RowState.WAITING
    return {
        DraftingStatus.SUCCEEDED: RowState.DONE,
        DraftingStatus.NEEDS_ATTENTION: RowState.NEEDS_ATTENTION,
        DraftingStatus.MANUAL: RowState.MANUAL,
        DraftingStatus.FAILED: RowState.FAILED,
        DraftingStatus.RUNNING: RowState.RUNNING,
        DraftingStatus.BATCH: RowState.BATCH,
    }.get(drafting.status, RowState.RETRYING if drafting.next_retry_at else RowState.WAITING)


def _drafting_stage_label(drafting: NoteDrafting | None, row_state: str) -> str:
    if row_state in FINISHED_STATES:
        return str(RowState(row_state).label)
    if row_state == RowState.BATCH and drafting is not None:
        step = _("読解") if drafting.step == DraftingStep.READ else _("回答")
        return _("バッチ待ち({step})").format(step=step)
    return _("下書き")


def _row(note: Note, costs: dict[int, CallTotals]) -> PaperPipelineRow:
    state = getattr(note.paper, "ingestion", None) or PaperIngestion(paper=note.paper)
    drafting = getattr(note, "drafting", None)
    common = {
        "position": note.position,
        "note_id": note.pk,
        "paper_id": note.paper_id,
        "arxiv_id": note.paper.arxiv_id,
        "title": note.paper.title,
        "seconds": _seconds(state),
        "llm": costs.get(note.pk, NO_CALLS),
    }
    if state.stage != IngestionStage.DONE or state.status != IngestionStatus.SUCCEEDED:
        row_state = _ingestion_row_state(state)
        steps = _INGESTION_STEPS[state.stage]
        return PaperPipelineRow(
            **common,
            stage_label=str(state.get_stage_display()),
            state=row_state,
            progress=round(100 * steps / STEPS),
            attempts=state.attempts,
            last_error=state.last_error,
            retry_note=_retry_note(state.retry_number, state.max_retries, state.next_retry_at)
            if row_state == RowState.RETRYING
            else "",
        )
    row_state = _drafting_row_state(drafting)
    finished = row_state in FINISHED_STATES
    return PaperPipelineRow(
        **common,
        stage_label=_drafting_stage_label(drafting, row_state),
        state=row_state,
        progress=100 if finished else round(100 * 3 / STEPS),
        attempts=drafting.attempts if drafting else 0,
        # 要確認: what to check, one line per kind (the draft's flags).
        last_error=(drafting.last_error if drafting else "")
        or (" / ".join(drafting.flags) if drafting and row_state == RowState.NEEDS_ATTENTION else ""),
        retry_note=_retry_note(drafting.retry_number, drafting.max_retries, drafting.next_retry_at)
        if drafting and row_state == RowState.RETRYING
        else "",
    )


def with_pipeline(issues: QuerySet[WeeklyIssue]) -> QuerySet[WeeklyIssue]:
    """Prefetch what ``pipeline_for_issue`` reads, for lists of issues (a fixed number of queries)."""
    notes = Note.objects.select_related("paper", "paper__ingestion", "drafting").order_by("position")
    return issues.prefetch_related(Prefetch("notes", queryset=notes, to_attr="pipeline_notes"))


def _costs(issue: WeeklyIssue) -> dict[int, CallTotals]:
    return call_totals_by_note(issue_id=issue.pk)


def pipeline_for_issue(issue: WeeklyIssue, *, with_costs: bool = True) -> IssuePipeline:
    notes = getattr(issue, "pipeline_notes", None)
    if notes is None:
        notes = list(issue.notes.select_related("paper", "paper__ingestion", "drafting").order_by("position"))
    if issue.state in ONCE_PUBLISHED_ISSUE_STATES:
        return IssuePipeline(issue=issue, rows=tuple(_published_row(note) for note in notes))
    costs = _costs(issue) if with_costs else {}
    return IssuePipeline(issue=issue, rows=tuple(_row(note, costs) for note in notes))


def issue_pipeline(*, week_start: datetime.date) -> IssuePipeline | None:
    issue = WeeklyIssue.objects.filter(week_start=week_start).first()
    return None if issue is None else pipeline_for_issue(issue)


def paper_pipeline_rows(*, paper_id: int) -> list[PaperPipelineRow]:
    """The paper's row in each issue being made that uses it (for the paper's page)."""
    notes = (
        Note.objects.filter(paper_id=paper_id)
        .exclude(issue__state__in=ONCE_PUBLISHED_ISSUE_STATES)
        .select_related("paper", "paper__ingestion", "drafting", "issue")
        .order_by("-issue__week_start")
    )
    return [_row(note, {}) for note in notes]
