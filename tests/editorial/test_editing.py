"""The editing rules of ``editorial.editing``, at each door: the review screen, history revert,
the Q&A admin, and the service itself."""

import datetime

import pytest
from django.urls import reverse

from editorial.choices import WorkflowAction
from editorial.editing import (
    CorrectionNoteRequired,
    EditNotPermitted,
    QAEdit,
    StaleQASet,
    note_edit,
    qa_set_signature,
)
from editorial.models import WorkflowEvent
from editorial.workflow import WorkflowError, note_reopen
from papernotes.models import IssueState, NoteState, QuestionAnswer, TextSource
from tests.editorial.test_admin import _form_data, _qa_prefix
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


def _note(state=IssueState.IN_REVIEW, note_state=NoteState.APPROVED, position=1, issue=None):
    issue = issue or WeeklyIssueFactory(
        week_start=datetime.date(2024, 4, 29),
        state=state,
        published_at=datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC) if state != IssueState.IN_REVIEW else None,
    )
    note = NoteFactory(
        issue=issue,
        paper=PaperFactory(),
        position=position,
        state=note_state,
        summary="要約です.",
        summary_source=TextSource.MACHINE,
        abstract_ja="概要です.",
        abstract_ja_source=TextSource.MACHINE,
    )
    for qa_position in (1, 2, 3):
        QuestionAnswerFactory(
            note=note, position=qa_position, question=f"質問{qa_position}?", answer=f"回答{qa_position}."
        )
    return note


def _url(note):
    return reverse("admin:papernotes_note_change", args=[note.pk])


def _pairs(note):
    return list(note.qas.order_by("position").values_list("question", "answer"))


# -- any change of the Q&A set takes the approval back -----------------------------------


@pytest.mark.parametrize("change", ["delete", "reorder", "add", "edit"])
def test_any_change_of_the_qa_set_takes_the_approval_back(editor_client, change):
    # Given an approved note of an unpublished issue, open on the review screen
    note = _note()
    data = _form_data(editor_client.get(_url(note)))
    first, second = note.qas.order_by("position")[:2]
    # When the editor changes its Q&A set in one of the ways a pair changes
    if change == "delete":
        data[f"{_qa_prefix(data, first)}-DELETE"] = "on"
    elif change == "reorder":
        data[f"{_qa_prefix(data, first)}-position"] = "2"
        data[f"{_qa_prefix(data, second)}-position"] = "1"
    elif change == "add":
        total = int(data["qas-TOTAL_FORMS"])
        data.update(
            {f"qas-{total}-position": "4", f"qas-{total}-question": "新しい質問?", f"qas-{total}-answer": "新しい回答."}
        )
        data["qas-TOTAL_FORMS"] = str(total + 1)
    else:
        data[f"{_qa_prefix(data, second)}-answer"] = "直した回答."
    response = editor_client.post(_url(note), data)
    # Then it is saved and the note is back in review, with the reason in its log
    assert response.status_code == 302, response.content.decode()[:2000]
    note.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW
    event = WorkflowEvent.objects.filter(note=note).latest("id")
    assert (event.action, event.source_state) == (WorkflowAction.NOTE_REOPEN, NoteState.APPROVED)


def test_saving_without_a_change_keeps_the_approval(editor_client):
    note = _note()
    editor_client.post(_url(note), _form_data(editor_client.get(_url(note))))
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED


# -- a published issue changes only as a correction --------------------------------------


def test_a_published_answer_changed_without_a_correction_note_is_refused_with_the_text_kept(chief_client):
    # Given a published note, open on the chief editor's review screen
    note = _note(state=IssueState.PUBLISHED)
    data = _form_data(chief_client.get(_url(note)))
    qa = note.qas.get(position=2)
    # When the chief changes an answer with 訂正の内容 left empty
    data[f"{_qa_prefix(data, qa)}-answer"] = "訂正した回答."
    response = chief_client.post(_url(note), data)
    # Then the page comes back with the reason and the typed text, and nothing is saved
    html = response.content.decode()
    assert response.status_code == 200
    assert "訂正の内容を書いてください" in html and "訂正した回答." in html
    assert 'class="success"' not in html
    qa.refresh_from_db()
    note.issue.refresh_from_db()
    assert qa.answer == "回答2." and note.issue.state == IssueState.PUBLISHED and note.issue.corrected_at is None


def test_a_published_answer_changed_with_a_correction_note_is_recorded_together(chief_client, chief_editor):
    note = _note(state=IssueState.PUBLISHED)
    data = _form_data(chief_client.get(_url(note)))
    qa = note.qas.get(position=2)
    data[f"{_qa_prefix(data, qa)}-answer"] = "訂正した回答."
    data["correction_note"] = "Q2 の数値を訂正"
    response = chief_client.post(_url(note), data)
    assert response.status_code == 302
    qa.refresh_from_db()
    note.refresh_from_db()
    issue = note.issue
    assert qa.answer == "訂正した回答." and note.state == NoteState.APPROVED
    assert issue.state == IssueState.CORRECTED and issue.corrected_at is not None
    event = WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_CORRECT)
    assert (event.note, event.actor, event.comment) == (note, chief_editor, "Q2 の数値を訂正")


@pytest.mark.parametrize("change", ["delete", "reorder", "position"])
def test_every_public_change_of_a_published_note_needs_the_correction_note(chief_editor, change):
    note = _note(state=IssueState.PUBLISHED)
    NoteFactory(issue=note.issue, position=2, state=NoteState.APPROVED)
    first, second = note.qas.order_by("position")[:2]
    kwargs = {
        "delete": {"qas": [QAEdit(qa_id=first.pk, delete=True)]},
        "reorder": {"qas": [QAEdit(qa_id=first.pk, position=2), QAEdit(qa_id=second.pk, position=1)]},
        "position": {"position": 3},
    }[change]
    with pytest.raises(CorrectionNoteRequired):
        note_edit(note_id=note.pk, actor=chief_editor, **kwargs)
    assert _pairs(note) == [("質問1?", "回答1."), ("質問2?", "回答2."), ("質問3?", "回答3.")]
    result = note_edit(note_id=note.pk, actor=chief_editor, correction_note="並びを訂正", **kwargs)
    assert result.corrected
    note.issue.refresh_from_db()
    assert note.issue.state == IssueState.CORRECTED


def test_editors_cannot_change_a_published_note_at_any_door(editor, editor_client):
    note = _note(state=IssueState.PUBLISHED)
    with pytest.raises(EditNotPermitted):
        note_edit(note_id=note.pk, actor=editor, texts={"summary": "書き換え"}, correction_note="訂正です")
    response = editor_client.post(_url(note), {"summary": "書き換え", "correction_note": "訂正です"})
    assert response.status_code in (302, 403)
    note.refresh_from_db()
    assert note.summary == "要約です."


def test_a_withdrawn_issues_notes_are_read_only_for_everyone(chief_editor, chief_client):
    note = _note(state=IssueState.WITHDRAWN)
    with pytest.raises(EditNotPermitted, match="取り下げた号"):
        note_edit(note_id=note.pk, actor=chief_editor, texts={"summary": "書き換え"}, correction_note="訂正です")
    with pytest.raises(EditNotPermitted):
        note_edit(note_id=note.pk, actor=None, texts={"summary": "書き換え"}, correction_note="訂正です")
    with pytest.raises(WorkflowError, match="取り下げた号"):
        note_reopen(note=note, actor=chief_editor, comment="取り下げ後の再確認")
    chief_client.post(_url(note), {"summary": "書き換え", "correction_note": "訂正です"})
    note.refresh_from_db()
    assert (note.summary, note.state) == ("要約です.", NoteState.APPROVED)


def test_taking_back_a_published_notes_approval_is_a_correction(chief_editor):
    note = _note(state=IssueState.PUBLISHED)
    with pytest.raises(WorkflowError, match="訂正の内容"):
        note_reopen(note=note, actor=chief_editor)
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED
    note_reopen(note=note, actor=chief_editor, comment="著者の依頼で一時的に外す")
    note.refresh_from_db()
    note.issue.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW
    assert note.issue.state == IssueState.CORRECTED
    assert WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_CORRECT).note == note


# -- robust editing ----------------------------------------------------------------------


def test_a_stale_reorder_does_not_undo_another_editors_order(client, editor, second_editor):
    # Given two editors with the same note open
    note = _note(note_state=NoteState.IN_REVIEW)
    client.force_login(editor)
    mine = _form_data(client.get(_url(note)))
    first, second, third = note.qas.order_by("position")
    # When the other editor moves Q3 to the top meanwhile
    note_edit(
        note_id=note.pk,
        actor=second_editor,
        qas=[
            QAEdit(qa_id=third.pk, position=1),
            QAEdit(qa_id=first.pk, position=2),
            QAEdit(qa_id=second.pk, position=3),
        ],
        qa_set_seen=qa_set_signature(note_id=note.pk),
    )
    # And the first editor saves their (stale) swap of Q1 and Q2 with an edited answer
    mine[f"{_qa_prefix(mine, first)}-position"] = "2"
    mine[f"{_qa_prefix(mine, second)}-position"] = "1"
    mine[f"{_qa_prefix(mine, second)}-answer"] = "私の回答."
    response = client.post(_url(note), mine)
    # Then the page says so with their text still in the form, and the other order stands
    html = response.content.decode()
    assert response.status_code == 200
    assert "他の人が Q&amp;A の並びや組を変更しました" in html and "私の回答." in html
    assert list(note.qas.order_by("position").values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    assert note.qas.get(pk=second.pk).answer == "回答2."


def test_a_stale_text_edit_keeps_the_other_editors_order(client, editor, second_editor):
    note = _note(note_state=NoteState.IN_REVIEW)
    client.force_login(editor)
    mine = _form_data(client.get(_url(note)))
    first, second, third = note.qas.order_by("position")
    note_edit(
        note_id=note.pk,
        actor=second_editor,
        qas=[QAEdit(qa_id=third.pk, position=1), QAEdit(qa_id=first.pk, position=3)],
    )
    mine[f"{_qa_prefix(mine, second)}-answer"] = "私の回答."
    response = client.post(_url(note), mine)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(note.qas.order_by("position").values_list("pk", flat=True)) == [third.pk, second.pk, first.pk]
    assert note.qas.get(pk=second.pk).answer == "私の回答."


def test_a_pair_deleted_by_someone_else_is_said_in_words(client, editor, second_editor):
    note = _note(note_state=NoteState.IN_REVIEW)
    client.force_login(editor)
    mine = _form_data(client.get(_url(note)))
    second = note.qas.get(position=2)
    prefix = _qa_prefix(mine, second)
    note_edit(note_id=note.pk, actor=second_editor, qas=[QAEdit(qa_id=second.pk, delete=True)])
    mine[f"{prefix}-answer"] = "私が直した回答."
    response = client.post(_url(note), mine)
    html = response.content.decode()
    assert response.status_code == 200
    assert "他の人が削除しました" in html and "私が直した回答." in html
    assert not QuestionAnswer.objects.filter(pk=second.pk).exists()


def test_a_position_clash_is_a_form_error_not_a_500(chief_client):
    note = _note(note_state=NoteState.IN_REVIEW)
    NoteFactory(issue=note.issue, position=2)
    data = _form_data(chief_client.get(_url(note)))
    data["position"] = "2"
    data["summary"] = "私の要約."
    response = chief_client.post(_url(note), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "順番 2 の論文ノートが既にあります" in html and "私の要約." in html
    note.refresh_from_db()
    assert (note.position, note.summary) == (1, "要約です.")


def test_a_pair_never_moves_to_another_note(editor):
    note = _note(note_state=NoteState.IN_REVIEW)
    other = _note(note_state=NoteState.IN_REVIEW, position=2, issue=note.issue)
    stranger = other.qas.first()
    with pytest.raises(Exception, match="別の論文ノート"):
        note_edit(note_id=note.pk, actor=editor, qas=[QAEdit(qa_id=stranger.pk, texts={"answer": "x"})])
    stranger.refresh_from_db()
    assert stranger.note_id == other.pk


def test_stale_set_is_refused_by_the_service_too(editor, second_editor):
    note = _note(note_state=NoteState.IN_REVIEW)
    seen = qa_set_signature(note_id=note.pk)
    first = note.qas.get(position=1)
    note_edit(note_id=note.pk, actor=second_editor, qas=[QAEdit(qa_id=first.pk, delete=True)])
    with pytest.raises(StaleQASet):
        note_edit(note_id=note.pk, actor=editor, qas=[QAEdit(qa_id=None, texts={"question": "q?"})], qa_set_seen=seen)


# -- history revert ----------------------------------------------------------------------


def _history_url(obj, history_id):
    return reverse(f"admin:papernotes_{obj._meta.model_name}_simple_history", args=[obj.pk, history_id])


def test_an_editor_cannot_revert_an_issue_to_an_unpublished_version(editor_client, chief_client):
    # Given a published issue whose history holds its earlier, unpublished version
    note = _note(state=IssueState.PUBLISHED)
    issue = note.issue
    issue.intro = "前書き."
    issue.save()
    old = issue.history.order_by("history_id").first()
    # When an editor, and even the chief editor, post the version form
    for client in (editor_client, chief_client):
        response = client.post(_history_url(issue, old.history_id), {"week_start": "2024-04-29", "intro": ""})
        # Then it is refused in Japanese and the issue stays published
        assert response.status_code == 403
        assert "許可されていません" in response.content.decode()
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and issue.published_at is not None


def test_reverting_an_approved_note_restores_texts_only_and_takes_the_approval_back(editor_client):
    note = _note(note_state=NoteState.IN_REVIEW)
    old = note.history.order_by("history_id").first()
    note_edit(note_id=note.pk, actor=None, texts={"summary": "新しい要約."})
    from editorial.workflow import note_approve

    note.refresh_from_db()
    note_approve(note=note, actor=None)
    response = editor_client.post(_history_url(note, old.history_id), {"summary": "x", "abstract_ja": "y"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("要約です.", TextSource.EDITOR)
    assert note.state == NoteState.IN_REVIEW and note.position == 1


def test_reverting_a_published_note_or_pair_is_refused(chief_client):
    note = _note(state=IssueState.PUBLISHED)
    qa = note.qas.get(position=1)
    qa_old = qa.history.order_by("history_id").first()
    note_old = note.history.order_by("history_id").first()
    assert chief_client.post(_history_url(note, note_old.history_id), {}).status_code == 403
    assert chief_client.post(_history_url(qa, qa_old.history_id), {}).status_code == 403


def test_history_pages_are_japanese_in_japan_time(editor_client):
    note = _note()
    html = editor_client.get(reverse("admin:papernotes_note_history", args=[note.pk])).content.decode()
    assert "日時(日本時間)" in html and "変更した人" in html
    assert "Date/time" not in html and "Changed by" not in html and "View history" not in html
    assert "変更履歴:" in html
    version = note.history.order_by("history_id").first()
    form = editor_client.get(_history_url(note, version.history_id)).content.decode()
    assert "この版に戻す" in form and "Revert" not in form


# -- people without a role ---------------------------------------------------------------


def test_staff_without_a_role_see_nothing_editorial(client, django_user_model):
    note = _note()
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    home = client.get(reverse("admin:index")).content.decode()
    assert "役割" in home and note.paper.title not in home
    assert client.get(reverse("admin:papernotes_glossaryentry_import")).status_code == 403
    assert client.get(_url(note)).status_code == 403
