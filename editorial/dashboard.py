"""What the admin index shows: where the work is.

This week's issue (state, notes by state, what blocks publication), notes waiting for
review, notes assigned to me, papers whose ingestion failed, notes whose machine draft
failed, and notes with blocking findings. Read only; every item links to the screen where it is dealt with.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from editorial import roles
from editorial.checks.selectors import with_finding_counts
from editorial.selectors import issue_publication_blockers
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    AnswerJudgement,
    DraftingStatus,
    IngestionStatus,
    Note,
    NoteDrafting,
    NoteState,
    PaperIngestion,
    WeeklyIssue,
)

REVIEW_STATES = (NoteState.DRAFTED, NoteState.IN_REVIEW, NoteState.CHANGES_REQUESTED)
LIMIT = 20


@dataclass
class Dashboard:
    issue: WeeklyIssue | None
    note_states: list[tuple[str, int]] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    waiting: list[Note] = field(default_factory=list)
    mine: list[Note] = field(default_factory=list)
    failed_ingestion: list[PaperIngestion] = field(default_factory=list)
    failed_drafting: list[NoteDrafting] = field(default_factory=list)
    blocking: list[Note] = field(default_factory=list)
    # Notes waiting for review whose answers the judge step scored, lowest score first.
    judged_low: list[Note] = field(default_factory=list)


def _notes() -> QuerySet[Note]:
    return with_finding_counts(
        Note.objects.exclude(issue__state__in=ONCE_PUBLISHED_ISSUE_STATES).select_related(
            "issue", "paper", "assignment__assignee"
        )
    ).order_by("-issue__week_start", "position")


def this_weeks_issue(today: datetime.date | None = None) -> WeeklyIssue | None:
    """The issue of the current week (Japan time), else the newest one still in progress, else the newest."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return (
        WeeklyIssue.objects.filter(week_start=monday).first()
        or WeeklyIssue.objects.exclude(state__in=ONCE_PUBLISHED_ISSUE_STATES).order_by("-week_start").first()
        or WeeklyIssue.objects.order_by("-week_start").first()
    )


def dashboard_for(*, user) -> Dashboard:
    """What the admin's home page shows ``user``: nothing for staff without an editorial role."""
    if not (user.is_active and user.has_perm(roles.REVIEW_NOTE)):
        return Dashboard(issue=None)
    issue = this_weeks_issue()
    board = Dashboard(issue=issue)
    if issue is not None:
        counts = Counter(issue.notes.values_list("state", flat=True))
        board.note_states = [(label, counts[value]) for value, label in NoteState.choices if counts[value]]
        if not issue.was_published:
            board.blockers = issue_publication_blockers(issue=issue)
    board.waiting = list(_notes().filter(state__in=REVIEW_STATES)[:LIMIT])
    board.mine = list(_notes().filter(assignment__assignee=user).exclude(state=NoteState.APPROVED)[:LIMIT])
    board.failed_ingestion = list(
        PaperIngestion.objects.filter(status=IngestionStatus.FAILED)
        .select_related("paper")
        .order_by("-updated_at")[:LIMIT]
    )
    board.failed_drafting = list(
        NoteDrafting.objects.filter(status=DraftingStatus.FAILED)
        .exclude(note__issue__state__in=ONCE_PUBLISHED_ISSUE_STATES)
        .select_related("note__paper", "note__issue")
        .order_by("-updated_at")[:LIMIT]
    )
    board.blocking = list(_notes().filter(blocking_count__gt=0)[:LIMIT])
    board.judged_low = _judged_lowest_first()
    return board


def _judged_lowest_first() -> list[Note]:
    """Notes waiting for review with judge scores, the lowest-scored answer's note first."""
    lowest = (
        AnswerJudgement.objects.filter(qa__note=OuterRef("pk"))
        .values("qa__note")
        .annotate(lowest=Min("lowest"))
        .values("lowest")
    )
    notes = _notes().filter(state__in=REVIEW_STATES).annotate(judge_lowest=Subquery(lowest))
    judged = notes.filter(judge_lowest__isnull=False)
    return list(judged.order_by("judge_lowest", "-issue__week_start", "position")[:LIMIT])
