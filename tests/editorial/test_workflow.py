"""The workflow services: who may do what, guards, audit rows, and the states' protection."""

import datetime
import re

import pytest
from django.utils import timezone

from editorial.choices import WorkflowAction
from editorial.models import ScheduledPublication, WorkflowEvent
from editorial.workflow import (
    ActionNotPermitted,
    InvalidTransition,
    PublicationBlocked,
    WorkflowError,
    issue_mark_ready,
    issue_publish,
    issue_record_correction,
    issue_schedule,
    issue_submit_for_review,
    issue_withdraw,
    note_approve,
    note_assign,
    note_reopen,
    note_request_changes,
    note_start_review,
    note_take_back_approval,
    publish_due_issues,
)
from papernotes.models import IssueState, NoteState
from papernotes.services import note_mark_drafted
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


def _issue_with_notes(*, state=IssueState.IN_REVIEW, note_state=NoteState.APPROVED, count=2):
    issue = WeeklyIssueFactory(state=state)
    for position in range(1, count + 1):
        note = NoteFactory(issue=issue, position=position, state=note_state)
        QuestionAnswerFactory(note=note, position=1)
    return issue


# -- the state cannot be set directly ---------------------------------------------------


def test_state_cannot_be_assigned_directly():
    # Given a note and an issue loaded from the database
    note = NoteFactory(state=NoteState.DRAFTED)
    # When code assigns the state directly
    # Then it is refused
    with pytest.raises(AttributeError, match="Direct state modification is not allowed"):
        note.state = NoteState.APPROVED
    with pytest.raises(AttributeError):
        note.issue.state = IssueState.PUBLISHED


# -- notes ------------------------------------------------------------------------------


def test_mark_drafted_moves_a_waiting_note_once_and_logs_the_system():
    # Given a note waiting for its draft
    note = NoteFactory(state=NoteState.AWAITING_DRAFT)
    # When drafting reports the draft complete twice (a retried task)
    first = note_mark_drafted(note_id=note.pk)
    second = note_mark_drafted(note_id=note.pk)
    # Then the note is drafted, the second call changed nothing, and one system row is logged
    note.refresh_from_db()
    assert (first, second, note.state) == (True, False, NoteState.DRAFTED)
    event = WorkflowEvent.objects.get(note=note)
    assert (event.action, event.actor, event.source_state, event.target_state) == (
        WorkflowAction.NOTE_MARK_DRAFTED,
        None,
        NoteState.AWAITING_DRAFT,
        NoteState.DRAFTED,
    )


def test_editor_reviews_and_approves_a_note_with_audit_rows(editor):
    # Given a drafted note with its texts and a Q&A pair
    note = NoteFactory(state=NoteState.DRAFTED)
    QuestionAnswerFactory(note=note, position=1)
    # When an editor starts the review, asks for changes, then approves
    note_start_review(note=note, actor=editor)
    note_request_changes(note=note, actor=editor, comment="数値を原文と照合してください.")
    note = note_approve(note=note, actor=editor, comment="確認しました.")
    # Then the note is approved and each step is logged with who and the comment
    assert note.state == NoteState.APPROVED
    events = list(WorkflowEvent.objects.filter(note=note).order_by("pk"))
    assert [event.action for event in events] == ["note_start_review", "note_request_changes", "note_approve"]
    assert {event.actor for event in events} == {editor}
    assert events[1].comment == "数値を原文と照合してください."
    # And the note's history records the editor as the author of the revision
    assert note.history.first().history_user == editor


def test_request_changes_needs_a_comment(editor):
    note = NoteFactory(state=NoteState.IN_REVIEW)
    with pytest.raises(WorkflowError, match="コメント"):
        note_request_changes(note=note, actor=editor, comment="  ")
    note.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW


def test_a_note_with_an_empty_abstract_cannot_be_approved(editor):
    # Given a note whose Japanese abstract is still empty
    note = NoteFactory(state=NoteState.IN_REVIEW, abstract_ja="", abstract_ja_source="empty")
    QuestionAnswerFactory(note=note, position=1)
    # When an editor approves it
    with pytest.raises(PublicationBlocked) as info:
        note_approve(note=note, actor=editor)
    # Then it is refused with the reason, and nothing changed
    assert "概要が空です" in str(info.value)
    note.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW
    assert not WorkflowEvent.objects.exists()


def test_an_impossible_transition_is_refused_in_japanese(editor):
    note = NoteFactory(state=NoteState.APPROVED)
    with pytest.raises(InvalidTransition, match=re.escape("現在の状態(承認済み)ではこの操作はできません")):
        note_approve(note=note, actor=editor)


def test_a_user_without_a_role_can_do_nothing(django_user_model):
    # Given a staff user in no role
    nobody = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    note = NoteFactory(state=NoteState.DRAFTED)
    QuestionAnswerFactory(note=note, position=1)
    # When they try to review or approve
    for call in (note_start_review, note_approve):
        with pytest.raises(ActionNotPermitted):
            call(note=note, actor=nobody)
    # Then nothing changed
    note.refresh_from_db()
    assert note.state == NoteState.DRAFTED


def test_an_editor_cannot_change_a_published_note_but_the_chief_can(editor, chief_editor):
    # Given an approved note of a published issue
    issue = WeeklyIssueFactory(published=True)
    note = NoteFactory(issue=issue, state=NoteState.APPROVED)
    # When an editor reopens it, then it is refused
    with pytest.raises(ActionNotPermitted, match="編集長"):
        note_reopen(note=note, actor=editor)
    # When the chief editor reopens it, it is back in review
    assert note_reopen(note=note, actor=chief_editor, comment="訂正のため").state == NoteState.IN_REVIEW


@pytest.mark.parametrize(
    ("issue_state", "note_state", "expected"),
    [
        (IssueState.IN_REVIEW, NoteState.APPROVED, NoteState.IN_REVIEW),  # approval covered the old text
        (IssueState.READY, NoteState.APPROVED, NoteState.IN_REVIEW),
        (IssueState.IN_REVIEW, NoteState.CHANGES_REQUESTED, NoteState.CHANGES_REQUESTED),  # nothing to take back
        (IssueState.PUBLISHED, NoteState.APPROVED, NoteState.APPROVED),  # a correction, not a new review
    ],
)
def test_an_edit_takes_an_approval_back_only_before_publication(editor, issue_state, note_state, expected):
    # Given a note in note_state of an issue in issue_state
    issue = WeeklyIssueFactory(
        state=issue_state, published_at=timezone.now() if issue_state == IssueState.PUBLISHED else None
    )
    note = NoteFactory(issue=issue, state=note_state)
    # When an editor's change of its texts is reported
    taken_back = note_take_back_approval(note=note, actor=editor, comment="内容が変わった")
    # Then only an approval of an unpublished issue goes back to review, with an audit row
    note.refresh_from_db()
    assert note.state == expected
    assert taken_back == (expected != note_state)
    assert WorkflowEvent.objects.filter(note=note, action=WorkflowAction.NOTE_REOPEN).count() == int(taken_back)


def test_notes_are_assigned_only_to_people_who_can_review(editor, chief_editor, django_user_model):
    note = NoteFactory()
    note_assign(note=note, assignee=editor, actor=chief_editor)
    assert note.assignment.assignee == editor
    outsider = django_user_model.objects.create_user("outsider", password="x")
    with pytest.raises(WorkflowError, match="担当者にできません"):
        note_assign(note=note, assignee=outsider, actor=chief_editor)
    note.refresh_from_db()
    assert note.assignment.assignee == editor


# -- issues -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda issue, actor: issue_submit_for_review(issue=issue, actor=actor),
        lambda issue, actor: issue_mark_ready(issue=issue, actor=actor),
        lambda issue, actor: issue_publish(issue=issue, actor=actor),
        lambda issue, actor: issue_schedule(
            issue=issue, actor=actor, publish_at=timezone.now() + datetime.timedelta(days=1)
        ),
    ],
)
def test_an_editor_cannot_move_or_publish_an_issue(editor, call):
    # Given an issue whose notes are all approved
    issue = _issue_with_notes(state=IssueState.COLLECTING)
    # When an editor tries a chief editor's action
    with pytest.raises(ActionNotPermitted):
        call(issue, editor)
    # Then the issue is where it was
    issue.refresh_from_db()
    assert issue.state == IssueState.COLLECTING and issue.published_at is None


def test_chief_editor_publishes_an_issue_freezing_paper_metadata(chief_editor):
    # Given an issue in review whose notes are approved, with no frozen metadata yet
    issue = _issue_with_notes()
    note = issue.notes.first()
    assert note.paper_as_shown_data == {}
    # When the chief editor publishes it
    issue = issue_publish(issue=issue, actor=chief_editor, comment="今週号")
    # Then it is public with a publication time, and an audit row says who
    assert issue.state == IssueState.PUBLISHED and issue.published_at is not None
    event = WorkflowEvent.objects.get(issue=issue, action=WorkflowAction.ISSUE_PUBLISH)
    assert (event.actor, event.source_state, event.comment) == (chief_editor, "in_review", "今週号")
    # And each note keeps the paper metadata it was published with, whatever arXiv does later
    note.refresh_from_db()
    title = note.paper.title
    note.paper.title = "A Renamed Paper"
    note.paper.save()
    note.refresh_from_db()
    assert note.paper_as_shown.title == title


def test_publishing_with_an_unapproved_note_is_refused_then_overridden_with_a_reason(chief_editor):
    # Given an issue with one note still in review
    issue = _issue_with_notes()
    straggler = NoteFactory(issue=issue, position=3, state=NoteState.IN_REVIEW, paper=PaperFactory(title="Late"))
    # When the chief editor publishes without a reason
    with pytest.raises(PublicationBlocked) as info:
        issue_publish(issue=issue, actor=chief_editor)
    # Then it is refused, naming the note
    assert "3. Late が承認されていません(レビュー中)" in str(info.value)
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW
    # When they publish with a written reason
    issue = issue_publish(issue=issue, actor=chief_editor, override_reason="著者確認待ちだが先に公開する")
    # Then it is published and the reason is logged with what was overridden
    assert issue.state == IssueState.PUBLISHED
    event = WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_PUBLISH)
    assert event.override_reason.startswith("著者確認待ちだが先に公開する")
    assert "Late" in event.override_reason
    assert straggler.pk


def test_override_needs_the_permission(editor, chief_editor):
    # Given a chief editor's role without the override permission
    from django.contrib.auth.models import Permission

    chief_editor.user_permissions.clear()
    group = chief_editor.groups.get()
    group.permissions.remove(Permission.objects.get(codename="override_checks"))
    issue = _issue_with_notes(note_state=NoteState.IN_REVIEW)
    from django.contrib.auth import get_user_model

    chief = get_user_model().objects.get(pk=chief_editor.pk)
    with pytest.raises(ActionNotPermitted):
        issue_publish(issue=issue, actor=chief, override_reason="急ぎ")


def test_mark_ready_schedule_and_beat_publishes_when_due(chief_editor):
    # Given an issue ready for publication, scheduled for tomorrow
    issue = _issue_with_notes()
    issue_mark_ready(issue=issue, actor=chief_editor)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    issue = issue_schedule(issue=issue, actor=chief_editor, publish_at=tomorrow)
    assert issue.state == IssueState.SCHEDULED
    # When the periodic task runs before the time, nothing happens
    assert publish_due_issues() == []
    # When it runs after the time
    published = publish_due_issues(now=tomorrow + datetime.timedelta(minutes=1))
    # Then the issue is published by the system and the schedule is gone
    issue.refresh_from_db()
    assert published == [issue.pk] and issue.state == IssueState.PUBLISHED
    assert not ScheduledPublication.objects.exists()
    event = WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_PUBLISH)
    assert event.actor is None and "chief" in event.comment


def test_a_scheduled_issue_that_became_unpublishable_waits_for_the_chief_again(chief_editor):
    # Given an issue scheduled with every note approved
    issue = _issue_with_notes()
    issue = issue_schedule(issue=issue, actor=chief_editor, publish_at=timezone.now() + datetime.timedelta(hours=1))
    # When a note is reopened meanwhile (by a direct update, as a concurrent change would)
    issue.notes.filter(position=1).update(state=NoteState.IN_REVIEW)
    assert publish_due_issues(now=timezone.now() + datetime.timedelta(hours=2)) == []
    # Then it is not published: back in review, the schedule gone, the reason in the log
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW and issue.published_at is None
    assert not ScheduledPublication.objects.filter(issue=issue).exists()
    event = issue.workflow_events.order_by("-id").first()
    assert event.actor is None and "承認されていません" in event.comment
    # And clearing the blocker later does not publish it without a chief
    issue.notes.filter(position=1).update(state=NoteState.APPROVED)
    assert publish_due_issues(now=timezone.now() + datetime.timedelta(hours=3)) == []
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW


def test_an_override_covers_only_what_the_chief_overrode(chief_editor):
    # Given an issue scheduled over one unapproved note, with the chief's reason about it
    issue = _issue_with_notes(note_state=NoteState.APPROVED, count=3)
    issue.notes.filter(position=3).update(state=NoteState.IN_REVIEW)
    issue = issue_schedule(
        issue=issue,
        actor=chief_editor,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
        override_reason="3 本目は括弧の表記だけの問題",
    )
    schedule = issue.scheduled_publication
    assert schedule.overridden_blockers == [f"note:{issue.notes.get(position=3).pk}:in_review"]
    # When another note is un-approved after scheduling
    issue.notes.filter(position=1).update(state=NoteState.IN_REVIEW)
    # Then the due run does not publish it under the old reason
    assert publish_due_issues(now=timezone.now() + datetime.timedelta(hours=2)) == []
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW
    # While the same schedule with only what was overridden publishes, with the reason logged
    issue2 = _issue_with_notes(count=2)
    issue2.notes.filter(position=2).update(state=NoteState.IN_REVIEW)
    issue_schedule(
        issue=issue2,
        actor=chief_editor,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
        override_reason="2 本目は来週差し替える",
    )
    assert publish_due_issues(now=timezone.now() + datetime.timedelta(hours=2)) == [issue2.pk]
    published = issue2.workflow_events.get(action=WorkflowAction.ISSUE_PUBLISH)
    assert "来週差し替える" in published.override_reason


def test_scheduling_in_the_past_is_refused(chief_editor):
    issue = _issue_with_notes()
    with pytest.raises(WorkflowError, match="未来"):
        issue_schedule(issue=issue, actor=chief_editor, publish_at=timezone.now() - datetime.timedelta(minutes=1))


def test_correction_and_withdrawal_after_publication(chief_editor, editor):
    issue = issue_publish(issue=_issue_with_notes(), actor=chief_editor)
    with pytest.raises(ActionNotPermitted):
        issue_record_correction(issue=issue, actor=editor, comment="誤字")
    issue = issue_record_correction(issue=issue, actor=chief_editor, comment="誤字を訂正")
    assert issue.state == IssueState.CORRECTED and issue.corrected_at is not None
    issue = issue_withdraw(issue=issue, actor=chief_editor, comment="権利の確認のため")
    assert issue.state == IssueState.WITHDRAWN and not issue.is_published


def test_the_publish_command_uses_the_same_rules(editor, chief_editor):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    issue = _issue_with_notes()
    week = issue.week_start.isoformat()
    # An editor cannot publish from the command line either
    with pytest.raises(CommandError, match="権限がありません"):
        call_command("publish_issue", week, "--user", editor.username, stdout=io.StringIO())
    # The chief editor can; the action is logged under their name
    out = io.StringIO()
    call_command("publish_issue", week, "--user", chief_editor.username, stdout=out)
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and "を公開しました" in out.getvalue()
    assert WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_PUBLISH).actor == chief_editor
