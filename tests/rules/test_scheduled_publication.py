"""Issue 13, Why 5: a scheduled publication reused an override the chief gave for something
else (a note un-approved after scheduling was published under a reason about a bracket), and
an overdue schedule fired, with no chief, the minute an editor cleared the last blocker. The
rule: the schedule records which blockers the chief overrode; at the due time, if the current
blockers are not among them, it does not publish: the issue goes back to レビュー中 with a
workflow record saying why, and the schedule is gone."""

import datetime

import pytest
from django.utils import timezone

from editorial.checks.services import note_refresh_findings
from editorial.models import ScheduledPublication, WorkflowEvent
from editorial.selectors import issue_publication_blockers
from editorial.workflow import issue_schedule, note_approve, note_reopen, publish_due_issues
from papernotes.models import IssueState, Note, WeeklyIssue
from tests.rules.doors import BLOCKING_SUMMARY, blocking_finding, issue_with_notes
from tests.rules.world import revise

pytestmark = pytest.mark.django_db

BRACKET_REASON = "括弧は論文の表記どおりなので、このまま公開します"


def scheduled(issue: WeeklyIssue, chief, *, override_reason: str = "") -> datetime.datetime:
    publish_at = timezone.now() + datetime.timedelta(hours=1)
    issue_schedule(issue=issue, actor=chief, publish_at=publish_at, override_reason=override_reason)
    return publish_at


def with_bracket_finding(note: Note) -> Note:
    note = revise(Note, note.pk, summary=BLOCKING_SUMMARY)
    note_refresh_findings(note_id=note.pk)
    blocking_finding(note)
    return note


def test_a_schedule_does_not_reuse_an_override_for_a_note_unapproved_later(chief_editor, editor):
    # Given an issue under review, one note with a bracket finding the chief overrode when scheduling
    issue, (first, second) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    with_bracket_finding(first)
    assert issue_publication_blockers(issue=issue)
    publish_at = scheduled(issue, chief_editor, override_reason=BRACKET_REASON)
    schedule_event = WorkflowEvent.objects.filter(issue=issue).latest("pk")

    # and the other note un-approved after scheduling
    note_reopen(note=second, actor=editor, comment="もう一度確認します")

    # When the schedule comes due
    published = publish_due_issues(now=publish_at + datetime.timedelta(minutes=1))

    # Then the issue is not published: it is back in review, with a record saying why, and no schedule
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    assert published == []
    assert fresh.state == IssueState.IN_REVIEW
    assert fresh.published_at is None
    assert not ScheduledPublication.objects.filter(issue=issue).exists()
    back = WorkflowEvent.objects.filter(issue=issue, pk__gt=schedule_event.pk, target_state=IssueState.IN_REVIEW)
    assert back.exclude(comment="").exists()


def test_an_overdue_schedule_waits_for_the_chief_after_the_blocker_is_cleared(chief_editor, editor):
    # Given an issue scheduled with nothing blocking it
    issue, (_first, second) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    assert not issue_publication_blockers(issue=issue)
    publish_at = scheduled(issue, chief_editor)

    # and a note un-approved before the due time, so the due run cannot publish
    note_reopen(note=second, actor=editor, comment="もう一度確認します")
    publish_due_issues(now=publish_at + datetime.timedelta(minutes=1))

    # When an editor approves the note again and the beat runs once more
    note_approve(note=Note.objects.get(pk=second.pk), actor=editor)
    published = publish_due_issues(now=publish_at + datetime.timedelta(minutes=2))

    # Then the issue is still unpublished: only a chief publishes it now
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    assert published == []
    assert fresh.state == IssueState.IN_REVIEW
    assert fresh.published_at is None


def test_a_schedule_publishes_when_only_the_overridden_blocker_remains(chief_editor):
    # Given an issue scheduled with a bracket finding the chief overrode
    issue, (first, _second) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    with_bracket_finding(first)
    publish_at = scheduled(issue, chief_editor, override_reason=BRACKET_REASON)

    # When the schedule comes due with the same blocker and nothing else
    published = publish_due_issues(now=publish_at + datetime.timedelta(minutes=1))

    # Then it is published, as the chief decided
    assert published == [issue.pk]
    assert WeeklyIssue.objects.get(pk=issue.pk).state == IssueState.PUBLISHED
