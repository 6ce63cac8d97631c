"""Reads of issues, notes and Q&A, shared by the reader pages, feeds, sitemap, search and API.

What is public is decided here and nowhere else: an issue whose state is in
``PUBLIC_ISSUE_STATES``, and within it only notes in ``NoteState.APPROVED`` (with their
Q&A). Every reader-facing read starts from :func:`public_issues`, :func:`public_notes` or
:func:`public_qas`, so no page, feed or endpoint can leak a draft by forgetting a filter.
``issue_for_export`` is for operators and editors (manage.py) and sees every state.

Every function here runs a fixed number of queries, whatever the number of papers in an
issue or issues in the archive.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from papernotes.models import PUBLIC_ISSUE_STATES, IssueState, Note, NoteState, QuestionAnswer, WeeklyIssue

# --- what is public ------------------------------------------------------------------------


def public_issues() -> QuerySet[WeeklyIssue]:
    """Issues readers may see (published, or corrected after publication), newest first."""
    return WeeklyIssue.objects.filter(state__in=PUBLIC_ISSUE_STATES).order_by("-week_start")


def public_notes() -> QuerySet[Note]:
    """Approved notes of public issues, with their issue and paper joined."""
    return Note.objects.filter(state=NoteState.APPROVED, issue__state__in=PUBLIC_ISSUE_STATES).select_related(
        "issue", "paper"
    )


def public_qas() -> QuerySet[QuestionAnswer]:
    """Q&A pairs of public notes."""
    return QuestionAnswer.objects.filter(note__state=NoteState.APPROVED, note__issue__state__in=PUBLIC_ISSUE_STATES)


def _approved_notes_loaded() -> Prefetch:
    """Approved notes by position, with papers, and their Q&A by position (two queries)."""
    qas = Prefetch("qas", queryset=QuestionAnswer.objects.order_by("position"))
    notes = (
        Note.objects.filter(state=NoteState.APPROVED).select_related("paper").order_by("position").prefetch_related(qas)
    )
    return Prefetch("notes", queryset=notes)


def _with_paper_count(issues: QuerySet[WeeklyIssue]) -> QuerySet[WeeklyIssue]:
    return issues.annotate(paper_count=Count("notes", filter=Q(notes__state=NoteState.APPROVED)))


# --- issues --------------------------------------------------------------------------------


def get_public_issue(*, week_start: datetime.date) -> WeeklyIssue:
    """The public issue of the week starting on ``week_start`` with its approved notes and Q&A.

    Three queries. Raises ``WeeklyIssue.DoesNotExist`` when there is none or it is not
    public, so callers answer 404 without telling a draft apart from a missing week.
    """
    return public_issues().prefetch_related(_approved_notes_loaded()).get(week_start=week_start)


def issue_was_withdrawn(*, week_start: datetime.date) -> bool:
    """Whether that week's issue was published and then withdrawn (410 rather than 404)."""
    return WeeklyIssue.objects.filter(week_start=week_start, state=IssueState.WITHDRAWN).exists()


def latest_public_issue() -> WeeklyIssue | None:
    """The newest public issue with its approved notes (for the home page), or None."""
    return public_issues().prefetch_related(_approved_notes_loaded()).first()


@dataclass(frozen=True)
class Neighbours:
    previous: WeeklyIssue | None
    next: WeeklyIssue | None


def issue_neighbours(*, issue: WeeklyIssue) -> Neighbours:
    """The public issues just before and after ``issue`` (two indexed queries)."""
    fields = ("id", "week_start", "state")
    return Neighbours(
        previous=public_issues().filter(week_start__lt=issue.week_start).only(*fields).first(),
        next=public_issues().filter(week_start__gt=issue.week_start).order_by("week_start").only(*fields).first(),
    )


def public_issue_archive() -> QuerySet[WeeklyIssue]:
    """Public issues newest first, each with ``paper_count`` (approved notes); paginate it."""
    return _with_paper_count(public_issues()).only("id", "week_start", "state", "published_at", "corrected_at")


def public_issues_for_feed(*, limit: int = 20) -> list[WeeklyIssue]:
    """The newest ``limit`` public issues, fully loaded (three queries)."""
    return list(public_issues().prefetch_related(_approved_notes_loaded())[:limit])


def public_issues_with_notes(*, ids: list[int]) -> QuerySet[WeeklyIssue]:
    """Given public issues (a page of an API list) with approved notes and Q&A (three queries)."""
    return public_issues().filter(id__in=ids).prefetch_related(_approved_notes_loaded())


def public_issue_list() -> QuerySet[WeeklyIssue]:
    """Public issues with ``paper_count``, for the API list (paginate it)."""
    return _with_paper_count(public_issues())


# --- notes and papers ---------------------------------------------------------------------


def public_notes_loaded() -> QuerySet[Note]:
    """Public notes, newest issue first, with issue, paper and Q&A (by position) loaded."""
    qas = Prefetch("qas", queryset=QuestionAnswer.objects.order_by("position"))
    return public_notes().prefetch_related(qas).order_by("-issue__week_start", "position")


def public_notes_of_paper(*, arxiv_id: str) -> list[Note]:
    """Every public note on the paper ``arxiv_id``, newest issue first, fully loaded.

    Empty when the paper is unknown or appears in no public issue (the caller answers 404).
    """
    return list(public_notes_loaded().filter(paper__arxiv_id=arxiv_id))


def public_notes_by_ids(*, ids: list[int], with_qas: bool = True) -> dict[int, Note]:
    """Public notes by id, fully loaded (for a page of search or category results); without
    their Q&A when ``with_qas`` is false (one query instead of two)."""
    notes = public_notes_loaded() if with_qas else public_notes()
    return {note.id: note for note in notes.filter(id__in=ids)}


def public_qas_of_notes(*, note_ids: list[int]) -> QuerySet[QuestionAnswer]:
    """The Q&A texts of the given public notes, by note and position (for search snippets)."""
    return (
        public_qas()
        .filter(note_id__in=note_ids)
        .order_by("note_id", "position")
        .only("id", "note_id", "position", "question", "answer")
    )


def public_note_categories() -> list[tuple[int, list[str], dict]]:
    """For every public note: its id, its paper's current category codes and the frozen
    metadata, newest issue first (one query; builds the category index)."""
    return list(
        public_notes()
        .order_by("-issue__week_start", "position")
        .values_list("id", "paper__categories", "paper_as_shown_data")
    )


# --- exports for editors ---------------------------------------------------------------


def issue_for_export(*, week_start: datetime.date) -> WeeklyIssue | None:
    """The issue of that week in any state, with all its notes, or None (manage.py export_issue)."""
    qas = Prefetch("qas", queryset=QuestionAnswer.objects.order_by("position"))
    notes = Note.objects.select_related("paper").order_by("position").prefetch_related(qas)
    return WeeklyIssue.objects.prefetch_related(Prefetch("notes", queryset=notes)).filter(week_start=week_start).first()
