"""Issue 13, Why 7: a stale save silently undid another editor's reorder; a pair deleted by
someone else left the other editor with only 「下記のエラーを修正してください。」; a position
clash was an HTTP 500 that lost the form. The rules: a stale review-screen save never undoes
another change (200, an error message, the typed text shown back, nothing saved); a pair
deleted meanwhile gives a visible error; a position clash is a form error."""

import pytest
from django.test import Client

from papernotes.models import IssueState, Note, NoteState
from tests.rules.doors import SAVE, body, error_texts, issue_with_notes, page_form, qa_texts, review_url
from tests.rules.htmlforms import main_form
from tests.rules.world import revise

pytestmark = pytest.mark.django_db

TYPED = "編集者 A が書いた回答です.数値を確認しました."


def note_in_review() -> Note:
    _issue, (note,) = issue_with_notes(IssueState.IN_REVIEW)
    return revise(Note, note.pk, state=NoteState.IN_REVIEW)


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def answers_shown(response) -> list[str]:
    form = main_form(response.content.decode())
    return (
        [value for name, value in form.fields if name.startswith("qas-") and name.endswith("-answer")] if form else []
    )


def test_a_stale_save_does_not_undo_another_editors_reorder(editor, second_editor):
    # Given two editors with the same note's review screen open
    note = note_in_review()
    first, second = logged_in(editor), logged_in(second_editor)
    stale = page_form(first.get(review_url(note)))
    fresh = page_form(second.get(review_url(note)))

    # and the second editor swaps the first two pairs and saves
    swapped = {"qas-0-position": fresh.value("qas-1-position"), "qas-1-position": fresh.value("qas-0-position")}
    assert second.post(review_url(note), body(fresh, SAVE, **swapped)).status_code == 302
    reordered = [(pk, position) for pk, position, _question, _answer in qa_texts(note)]

    # When the first editor, on the form loaded before, types an answer and saves
    response = first.post(review_url(note), body(stale, SAVE, **{"qas-2-answer": TYPED}))

    # Then their answer is saved and the other editor's order stands (their form did not reorder)
    assert response.status_code == 302
    assert [(pk, position) for pk, position, _question, _answer in qa_texts(note)] == reordered
    assert TYPED in [answer for *_rest, answer in qa_texts(note)]


def test_a_stale_reorder_is_refused_with_the_editors_text_back(editor, second_editor):
    # Given two editors with the same note's review screen open, and the second one's reorder saved
    note = note_in_review()
    first, second = logged_in(editor), logged_in(second_editor)
    stale = page_form(first.get(review_url(note)))
    fresh = page_form(second.get(review_url(note)))
    swapped = {"qas-0-position": fresh.value("qas-1-position"), "qas-1-position": fresh.value("qas-0-position")}
    assert second.post(review_url(note), body(fresh, SAVE, **swapped)).status_code == 302
    reordered = qa_texts(note)

    # When the first editor, on the form loaded before, moves pairs too and types an answer
    moved = {"qas-1-position": stale.value("qas-2-position"), "qas-2-position": stale.value("qas-1-position")}
    response = first.post(review_url(note), body(stale, SAVE, **moved, **{"qas-2-answer": TYPED}))

    # Then nothing of the stale form is saved, and the editor gets a message with their text back
    assert response.status_code == 200
    assert qa_texts(note) == reordered
    assert error_texts(response)
    assert TYPED in answers_shown(response)


def test_a_pair_deleted_by_someone_else_gives_a_visible_error(editor, second_editor):
    # Given two editors with the same note's review screen open
    note = note_in_review()
    first, second = logged_in(editor), logged_in(second_editor)
    stale = page_form(first.get(review_url(note)))
    fresh = page_form(second.get(review_url(note)))

    # and the second editor deletes the second pair
    assert second.post(review_url(note), body(fresh, SAVE, **{"qas-1-DELETE": "on"})).status_code == 302
    after_delete = qa_texts(note)

    # When the first editor, on the form loaded before, types an answer in the first pair and saves
    response = first.post(review_url(note), body(stale, SAVE, **{"qas-0-answer": TYPED}))

    # Then the page says what happened (not only the generic line), with the typed text still in the form
    assert response.status_code == 200
    assert error_texts(response), "only 「下記のエラーを修正してください。」 or nothing"
    assert TYPED in answers_shown(response)
    assert len(qa_texts(note)) == len(after_delete)


def test_a_position_clash_is_a_form_error(chief_editor):
    # Given an issue under review with two notes
    _issue, (first, second) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    client = logged_in(chief_editor)

    # When the chief editor gives the first note the second note's position
    form = page_form(client.get(review_url(first)))
    response = client.post(review_url(first), body(form, SAVE, position=str(second.position), summary="要約を直した."))

    # Then the form answers with an error (never a 500), the typed text kept, and nothing moved
    assert response.status_code == 200
    assert error_texts(response)
    assert "要約を直した." in response.content.decode()
    assert [Note.objects.get(pk=note.pk).position for note in (first, second)] == [first.position, second.position]
