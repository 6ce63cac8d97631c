"""Importing back issues goes through the workflow and never publishes a week in progress."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from editorial.choices import WorkflowAction
from editorial.models import WorkflowEvent
from papernotes.models import IssueState, NoteState, WeeklyIssue
from tests.factories import NoteFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

SAMPLE_WEEK = datetime.date(2024, 4, 29)


@pytest.fixture
def sample_file(tmp_path, sample_issue_bytes):
    path = tmp_path / "issue.txt"
    path.write_bytes(sample_issue_bytes)
    return path


def test_a_new_week_is_published_by_the_workflow_with_an_audit_row(sample_file):
    # When a back issue of a new week is imported
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # Then it is published, every note approved, with frozen metadata and a system audit row
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.state == IssueState.PUBLISHED and issue.published_at is not None
    assert set(issue.notes.values_list("state", flat=True)) == {NoteState.APPROVED}
    assert all(note.paper_as_shown_data for note in issue.notes.all())
    event = WorkflowEvent.objects.get(issue=issue, action=WorkflowAction.ISSUE_PUBLISH)
    assert event.actor is None and event.comment == "過去の号の取り込み"


@pytest.mark.parametrize("state", [IssueState.COLLECTING, IssueState.IN_REVIEW, IssueState.READY])
def test_importing_over_a_week_in_progress_is_refused_and_changes_nothing(sample_file, state):
    # Given the same week exists as an unpublished issue with a draft note
    issue = WeeklyIssueFactory(week_start=SAMPLE_WEEK, state=state, intro="作業中の前書き.")
    NoteFactory(issue=issue, position=1, state=NoteState.IN_REVIEW)
    err = io.StringIO()
    # When the back issue of that week is imported
    with pytest.raises(CommandError):
        call_command("import_issue", str(sample_file), stdout=io.StringIO(), stderr=err)
    # Then the editor is told why, and the week is exactly as it was: not published
    assert "未公開" in err.getvalue() and "取り込みで上書き・公開できません" in err.getvalue()
    issue.refresh_from_db()
    assert (issue.state, issue.published_at, issue.intro) == (state, None, "作業中の前書き.")
    assert issue.notes.count() == 1
    assert not WorkflowEvent.objects.exists()


def test_reimporting_a_withdrawn_week_updates_it_without_publishing(sample_file):
    # Given the sample week was imported, then withdrawn
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    WeeklyIssue.objects.filter(week_start=SAMPLE_WEEK).update(state=IssueState.WITHDRAWN)
    # When it is imported again
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # Then it stays withdrawn
    assert WeeklyIssue.objects.get(week_start=SAMPLE_WEEK).state == IssueState.WITHDRAWN
