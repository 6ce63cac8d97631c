"""Issue 13, Why 4: corrections after publication went unrecorded. A chief's edit of a published
answer with an empty 訂正の内容 was saved (error and success on one page); taking back the
approval of a published note, or moving it, recorded nothing; a withdrawn issue's note could be
edited. The rules: only a chief changes a published issue's texts, Q&A or positions, and only
with a 訂正の内容, which records the correction (state 訂正あり, corrected_at, an ISSUE_CORRECT
event) together with the change; editors change nothing; a withdrawn issue is read only."""

import pytest
from django.contrib import messages

from papernotes.models import IssueState, NoteState, WeeklyIssue
from tests.rules.doors import (
    SAVE,
    body,
    corrections,
    error_texts,
    issue_row,
    issue_with_notes,
    message_levels,
    note_row,
    page_form,
    review_url,
)
from tests.rules.htmlforms import Submit

pytestmark = pytest.mark.django_db

CORRECTION = "2 問目の回答の数値を論文どおりに直しました"
PUBLISHED_STATES = [IssueState.PUBLISHED, IssueState.CORRECTED]


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_a_chiefs_answer_edit_without_a_correction_note_saves_nothing(client, chief_editor, state):
    # Given a published issue's approved note
    issue, (note,) = issue_with_notes(state)
    before = (issue_row(issue), note_row(note), corrections(issue).count())
    client.force_login(chief_editor)

    # When a chief editor changes one answer on the review screen and leaves 訂正の内容 empty
    form = page_form(client.get(review_url(note)))
    response = client.post(
        review_url(note), body(form, SAVE, **{"qas-0-answer": form.value("qas-0-answer") + "(訂正)"})
    )

    # Then the page answers with the form error, nothing is saved, and no success is announced
    assert response.status_code == 200
    assert error_texts(response)
    assert messages.SUCCESS not in message_levels(response)
    assert messages.INFO not in message_levels(response)
    assert (issue_row(issue), note_row(note), corrections(issue).count()) == before


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_a_chiefs_correction_with_a_note_is_recorded_with_the_change(client, chief_editor, state):
    # Given a published issue's approved note
    issue, (note,) = issue_with_notes(state)
    before = WeeklyIssue.objects.get(pk=issue.pk).corrected_at
    client.force_login(chief_editor)

    # When a chief editor changes an answer and writes 訂正の内容
    form = page_form(client.get(review_url(note)))
    new_answer = form.value("qas-0-answer") + "(訂正)"
    response = client.post(
        review_url(note), body(form, SAVE, **{"qas-0-answer": new_answer, "correction_note": CORRECTION})
    )

    # Then the change, 訂正あり, corrected_at and the correction record are all there
    assert response.status_code == 302, error_texts(response)
    assert note.qas.order_by("position").first().answer == new_answer
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    assert fresh.state == IssueState.CORRECTED
    assert fresh.corrected_at is not None and fresh.corrected_at != before
    assert corrections(issue).filter(comment__contains=CORRECTION).exists()


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_an_editor_cannot_correct_a_published_note(client, editor, state):
    # Given a published issue's approved note
    issue, (note,) = issue_with_notes(state)
    before = (issue_row(issue), note_row(note))
    client.force_login(editor)

    # When an editor posts the review form with changed texts and a 訂正の内容
    form = page_form(client.get(review_url(note)))
    client.post(
        review_url(note),
        body(
            form,
            SAVE,
            summary="編集者が書き換えた要約.",
            correction_note=CORRECTION,
            **{"qas-0-answer": "編集者が書き換えた回答."},
        ),
    )

    # Then nothing changed
    assert (issue_row(issue), note_row(note)) == before


@pytest.mark.parametrize("comment", ["", "原文の取り違えが見つかったため承認を取り消します"])
@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_taking_back_a_published_notes_approval_is_never_silent(client, chief_editor, state, comment):
    # Given a published issue's approved note
    issue, (note,) = issue_with_notes(state)
    before = WeeklyIssue.objects.get(pk=issue.pk).corrected_at
    client.force_login(chief_editor)

    # When a chief editor presses 承認を取り消す on its review screen (with or without a comment)
    form = page_form(client.get(review_url(note)))
    client.post(review_url(note), body(form, Submit("_workflow", "reopen"), comment=comment, correction_note=comment))

    # Then either the approval stands, or it was taken back as a recorded correction with a comment
    note.refresh_from_db()
    if note.state != NoteState.APPROVED:
        fresh = WeeklyIssue.objects.get(pk=issue.pk)
        assert comment, "taken back without any comment"
        assert corrections(issue).exclude(comment="").exists()
        assert fresh.corrected_at is not None and fresh.corrected_at != before


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_an_editor_cannot_take_back_a_published_notes_approval(client, editor, state):
    # Given a published issue's approved note
    _issue, (note,) = issue_with_notes(state)
    client.force_login(editor)

    # When an editor forges the 承認を取り消す button with a comment
    form = page_form(client.get(review_url(note)))
    client.post(
        review_url(note), body(form, Submit("_workflow", "reopen"), comment="取り消します", correction_note="取り消し")
    )

    # Then the note is still approved
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_moving_a_published_note_without_a_correction_note_saves_nothing(client, chief_editor, state):
    # Given a published issue with two notes
    issue, notes = issue_with_notes(state, notes=2)
    before = (issue_row(issue), [note_row(note) for note in notes])
    client.force_login(chief_editor)

    # When a chief editor gives the first note a free position (its anchor would move) without 訂正の内容
    form = page_form(client.get(review_url(notes[0])))
    response = client.post(review_url(notes[0]), body(form, SAVE, position="5"))

    # Then the form says why and nothing changed
    assert response.status_code == 200
    assert error_texts(response)
    assert (issue_row(issue), [note_row(note) for note in notes]) == before


@pytest.mark.parametrize("state", PUBLISHED_STATES)
def test_moving_a_published_note_with_a_correction_note_is_a_correction(client, chief_editor, state):
    # Given a published issue with two notes
    issue, notes = issue_with_notes(state, notes=2)
    before = WeeklyIssue.objects.get(pk=issue.pk).corrected_at
    client.force_login(chief_editor)

    # When a chief editor moves the first note to a free position with 訂正の内容
    form = page_form(client.get(review_url(notes[0])))
    client.post(review_url(notes[0]), body(form, SAVE, position="5", correction_note=CORRECTION))

    # Then the move is recorded as a correction
    notes[0].refresh_from_db()
    assert notes[0].position == 5
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    assert fresh.state == IssueState.CORRECTED
    assert fresh.corrected_at is not None and fresh.corrected_at != before
    assert corrections(issue).filter(comment__contains=CORRECTION).exists()


@pytest.mark.parametrize("role", ["editor", "chief_editor"])
def test_a_withdrawn_issues_note_is_read_only(client, request, role):
    # Given a withdrawn issue's note
    issue, (note,) = issue_with_notes(IssueState.WITHDRAWN)
    before = (issue_row(issue), note_row(note))
    client.force_login(request.getfixturevalue(role))

    # When its texts and a pair are changed on the review screen, with 訂正の内容
    page = client.get(review_url(note))
    form = page_form(page) if page.status_code == 200 else None
    data = (
        body(
            form,
            SAVE,
            summary="取り下げ後に書き換えた要約.",
            correction_note=CORRECTION,
            **{"qas-0-answer": "取り下げ後の回答.", "qas-1-DELETE": "on"},
        )
        if form is not None
        else {"summary": "取り下げ後に書き換えた要約.", "correction_note": CORRECTION}
    )
    client.post(review_url(note), data)

    # Then nothing changed
    assert (issue_row(issue), note_row(note)) == before
