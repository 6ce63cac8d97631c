"""Issue 13, Why 2 and 3: the Q&A admin (``/admin/papernotes/questionanswer/…``) had its own save
path: an editor deleted pairs of a published note, edits there left notes approved, and a pair
could be moved to another paper's note. The rule: its change, add, delete and the list's delete
action change nothing, for any role; Q&A are edited only inline on the note's review screen."""

import pytest
from django.urls import reverse

from papernotes.models import IssueState, QuestionAnswer
from tests.rules.doors import body, issue_row, issue_with_notes, note_row
from tests.rules.htmlforms import Submit, main_form

pytestmark = pytest.mark.django_db

ROLES = ["editor", "chief_editor"]
STATES = [IssueState.IN_REVIEW, IssueState.PUBLISHED]


def world_rows(issue, notes) -> tuple:
    return (issue_row(issue), [note_row(note) for note in notes], QuestionAnswer.objects.count())


def post_page_form(client, url: str, submit: Submit, fallback: dict, **changes):
    """POST the page's form with ``changes`` if the page shows one, else ``fallback`` (forged)."""
    page = client.get(url)
    form = main_form(page.content.decode()) if page.status_code == 200 else None
    if form is None:
        data = {**fallback, **changes}
        return client.post(url, data)
    return client.post(url, body(form, submit, **changes))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_editing_a_pair_in_the_qa_admin_changes_nothing(client, request, role, state):
    # Given an approved note with pairs, in an issue under review or published
    issue, notes = issue_with_notes(state)
    qa = notes[0].qas.order_by("position").first()
    before = world_rows(issue, notes)
    client.force_login(request.getfixturevalue(role))

    # When its answer is changed in the Q&A admin
    url = reverse("admin:papernotes_questionanswer_change", args=[qa.pk])
    post_page_form(
        client,
        url,
        Submit("_save", "保存"),
        {"note": notes[0].pk, "position": qa.position, "question": qa.question},
        answer="Q&A 管理画面で書き換えた回答.",
    )

    # Then nothing changed: the note is still approved with the same pairs
    assert world_rows(issue, notes) == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_deleting_a_pair_in_the_qa_admin_changes_nothing(client, request, role, state):
    # Given an approved note with pairs (published: readers see them)
    issue, notes = issue_with_notes(state)
    qa = notes[0].qas.order_by("position").first()
    before = world_rows(issue, notes)
    client.force_login(request.getfixturevalue(role))

    # When the pair's delete page is confirmed
    client.post(reverse("admin:papernotes_questionanswer_delete", args=[qa.pk]), {"post": "yes"})

    # Then the pair is still there, and no correction was needed
    assert QuestionAnswer.objects.filter(pk=qa.pk).exists()
    assert world_rows(issue, notes) == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_the_qa_lists_delete_action_changes_nothing(client, request, role, state):
    # Given an approved note with pairs
    issue, notes = issue_with_notes(state)
    ids = [str(pk) for pk in notes[0].qas.values_list("pk", flat=True)]
    before = world_rows(issue, notes)
    client.force_login(request.getfixturevalue(role))

    # When every pair is selected in the Q&A list and deleted with the bulk action, confirmed
    client.post(
        reverse("admin:papernotes_questionanswer_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes", "index": "0"},
    )

    # Then every pair is still there
    assert world_rows(issue, notes) == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_adding_a_pair_in_the_qa_admin_changes_nothing(client, request, role, state):
    # Given an approved note with three pairs
    issue, notes = issue_with_notes(state)
    before = world_rows(issue, notes)
    client.force_login(request.getfixturevalue(role))

    # When a pair is added to it through the Q&A admin's add form
    post_page_form(
        client,
        reverse("admin:papernotes_questionanswer_add"),
        Submit("_save", "保存"),
        {},
        note=str(notes[0].pk),
        position="7",
        question="追加した質問は?",
        answer="追加した回答です.",
    )

    # Then the note has the same pairs, and is still approved
    assert world_rows(issue, notes) == before


@pytest.mark.parametrize("role", ROLES)
def test_a_pair_never_moves_to_another_note(client, request, role):
    # Given two notes of an issue under review
    issue, (note, other) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    qa = note.qas.order_by("position").first()
    client.force_login(request.getfixturevalue(role))

    # When the pair's note is set to the other paper's note in the Q&A admin
    post_page_form(
        client,
        reverse("admin:papernotes_questionanswer_change", args=[qa.pk]),
        Submit("_save", "保存"),
        {"position": "8", "question": qa.question, "answer": qa.answer},
        note=str(other.pk),
        position="8",
    )

    # Then the pair is still in its own note
    qa.refresh_from_db()
    assert qa.note_id == note.pk
    assert issue_row(issue)[0] == IssueState.IN_REVIEW
