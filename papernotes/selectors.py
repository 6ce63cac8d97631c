"""Reads of issues, shared by the reader pages, the API and the export command.

Reader-facing reads (``published_issues``, ``get_published_issue``) return published
issues only: a draft, in-review or ready issue never leaves them, so no page or API view
can leak one by forgetting a filter. ``issue_for_export`` is for operators and editors
(manage.py) and sees every state.
"""

import datetime

from django.db.models import Count, Prefetch, QuerySet

from papernotes.models import PUBLIC_ISSUE_STATES, Note, QuestionAnswer, WeeklyIssue


def _with_notes(issues: QuerySet[WeeklyIssue]) -> QuerySet[WeeklyIssue]:
    """Load notes (by position) with their papers, and their Q&A (by position).

    Three queries whatever the number of papers: issues, notes joined to papers, Q&A.
    """
    qas = Prefetch("qas", queryset=QuestionAnswer.objects.order_by("position"))
    notes = Note.objects.select_related("paper").order_by("position").prefetch_related(qas)
    return issues.prefetch_related(Prefetch("notes", queryset=notes))


def published_issues() -> QuerySet[WeeklyIssue]:
    """Published issues, newest week first, each annotated with ``paper_count``."""
    return (
        WeeklyIssue.objects.filter(state__in=PUBLIC_ISSUE_STATES)
        .annotate(paper_count=Count("notes"))
        .order_by("-week_start")
    )


def get_published_issue(*, week_start: datetime.date) -> WeeklyIssue:
    """The published issue of the week starting on ``week_start``, fully loaded.

    Raises ``WeeklyIssue.DoesNotExist`` when there is none or it is not published, so
    callers answer 404 without telling a draft apart from a missing week.
    """
    return _with_notes(WeeklyIssue.objects.filter(state__in=PUBLIC_ISSUE_STATES)).get(week_start=week_start)


def issue_for_export(*, week_start: datetime.date) -> WeeklyIssue | None:
    """The issue of that week in any state, fully loaded, or None (manage.py export_issue)."""
    return _with_notes(WeeklyIssue.objects.all()).filter(week_start=week_start).first()
