"""The editors' workflow and editing endpoints: built from editorial.actions and editorial.editing,
so the API keeps every rule the review screen keeps, with no rule of its own."""

import datetime

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create
from editorial.choices import WorkflowAction
from editorial.models import WorkflowEvent
from editorial.roles import CHIEF_EDITOR_GROUP, EDITOR_GROUP
from papernotes.models import IssueState, NoteState, TextSource
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory
from tests.support.users import make_user

pytestmark = pytest.mark.django_db

WEEK = "2024-04-29"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='tests').key}")
    return client


@pytest.fixture
def editor_token():
    return _client(make_user("hanako", EDITOR_GROUP))


@pytest.fixture
def chief_token():
    return _client(make_user("chief", CHIEF_EDITOR_GROUP))


def _issue(state=IssueState.IN_REVIEW, note_state=NoteState.APPROVED):
    issue = WeeklyIssueFactory(
        week_start=datetime.date(2024, 4, 29),
        state=state,
        published_at=datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC) if state != IssueState.IN_REVIEW else None,
    )
    note = NoteFactory(
        issue=issue,
        paper=PaperFactory(),
        position=1,
        state=note_state,
        summary="要約です.",
        summary_source=TextSource.MACHINE,
        abstract_ja="概要です.",
        abstract_ja_source=TextSource.MACHINE,
    )
    for position in (1, 2):
        QuestionAnswerFactory(note=note, position=position, question=f"質問{position}?", answer=f"回答{position}.")
    return issue, note


def test_each_role_is_offered_the_actions_of_its_role(editor_token, chief_token):
    # Given an issue in review
    _issue()
    # When each role asks what it may do
    editor_offer = editor_token.get(f"/api/v1/editorial/issues/{WEEK}/actions/").json()
    chief_offer = chief_token.get(f"/api/v1/editorial/issues/{WEEK}/actions/").json()
    # Then the state is the same, and only the chief editor is offered publishing
    assert editor_offer["state"] == chief_offer["state"] == IssueState.IN_REVIEW
    assert editor_offer["actions"] == []
    assert {action["name"] for action in chief_offer["actions"]} >= {"mark_ready", "publish", "schedule"}


def test_an_editor_cannot_publish_through_the_api(editor_token):
    issue = _issue()[0]
    response = editor_token.post(f"/api/v1/editorial/issues/{WEEK}/actions/publish/", {}, format="json")
    assert response.status_code == 403
    assert "編集長" in response.json()["detail"]
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW


def test_a_blocked_publication_says_why_and_an_override_publishes(chief_token):
    _issue(note_state=NoteState.IN_REVIEW)
    refused = chief_token.post(f"/api/v1/editorial/issues/{WEEK}/actions/publish/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["reasons"] and "承認されていません" in refused.json()["reasons"][0]
    done = chief_token.post(
        f"/api/v1/editorial/issues/{WEEK}/actions/publish/", {"override_reason": "承認は紙面で確認済み"}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == IssueState.PUBLISHED
    event = WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_PUBLISH)
    assert "紙面で確認済み" in event.override_reason


def test_unknown_actions_and_objects_are_json_404s(chief_token):
    _issue()
    assert chief_token.post(f"/api/v1/editorial/issues/{WEEK}/actions/explode/", {}, format="json").status_code == 404
    assert chief_token.get("/api/v1/editorial/notes/999999/actions/").status_code == 404
    assert chief_token.get("/api/v1/editorial/notes/abc/").status_code == 404


def test_an_edit_through_the_api_takes_the_approval_back(editor_token):
    # Given an approved note
    note = _issue()[1]
    qa = note.qas.get(position=2)
    # When an editor changes an answer through the API
    response = editor_token.patch(
        f"/api/v1/editorial/notes/{note.pk}/", {"qas": [{"id": qa.pk, "answer": "直した回答."}]}, format="json"
    )
    # Then the answer is theirs and the approval is taken back, as on the review screen
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["approval_taken_back"] is True and body["note"]["state"] == NoteState.IN_REVIEW
    qa.refresh_from_db()
    assert (qa.answer, qa.answer_source) == ("直した回答.", TextSource.EDITOR)
    # And approving again is an action of the same table
    approved = editor_token.post(f"/api/v1/editorial/notes/{note.pk}/actions/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == NoteState.APPROVED


def test_a_published_note_changes_only_as_a_chiefs_correction(editor_token, chief_token):
    issue, note = _issue(state=IssueState.PUBLISHED)
    url = f"/api/v1/editorial/notes/{note.pk}/"
    assert editor_token.patch(url, {"summary": "書き換え", "correction_note": "訂正"}, format="json").status_code == 403
    missing = chief_token.patch(url, {"summary": "訂正した要約."}, format="json")
    assert missing.status_code == 400 and "訂正の内容" in missing.json()["detail"]
    note.refresh_from_db()
    issue.refresh_from_db()
    assert (note.summary, issue.state) == ("要約です.", IssueState.PUBLISHED)
    done = chief_token.patch(url, {"summary": "訂正した要約.", "correction_note": "要約の誤記"}, format="json")
    assert done.status_code == 200 and done.json()["corrected"] is True
    issue.refresh_from_db()
    assert issue.state == IssueState.CORRECTED and issue.corrected_at is not None


def test_a_stale_reorder_through_the_api_is_a_409(editor_token, chief_token):
    note = _issue(note_state=NoteState.IN_REVIEW)[1]
    url = f"/api/v1/editorial/notes/{note.pk}/"
    seen = editor_token.get(url).json()["qa_set"]
    first, second = note.qas.order_by("position")
    chief_token.patch(url, {"qas": [{"id": first.pk, "delete": True}]}, format="json")
    response = editor_token.patch(
        url, {"qa_set_seen": seen, "qas": [{"question": "追加の質問?", "answer": "回答."}]}, format="json"
    )
    assert response.status_code == 409
    assert list(note.qas.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_the_editing_endpoints_are_closed_to_anonymous_clients(api, method):
    note = _issue()[1]
    response = getattr(api, method)(f"/api/v1/editorial/notes/{note.pk}/", {"summary": "x"}, format="json")
    assert response.status_code in (401, 403)
    note.refresh_from_db()
    assert note.summary == "要約です."


def test_scheduling_without_a_time_is_a_400_not_a_crash(chief_token):
    issue = _issue()[0]
    response = chief_token.post(f"/api/v1/editorial/issues/{WEEK}/actions/schedule/", {}, format="json")
    assert response.status_code == 400 and "公開予定日時" in response.json()["detail"]
    issue.refresh_from_db()
    assert issue.state == IssueState.IN_REVIEW
