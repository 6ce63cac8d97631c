"""Editors' endpoints: token authentication and editor permissions; readers are refused."""

import pytest

from papernotes.models import WeeklyIssue
from tests.drafting.conftest import make_note

pytestmark = pytest.mark.django_db

LIST = "2405.01535\nhttps://arxiv.org/abs/2404.19756\nnot a paper\n"


def test_an_editor_creates_a_weeks_issue_from_a_list(editor_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = editor_api.post(
            "/api/v1/editorial/issues/", {"text": LIST, "week_start": "2024-04-29"}, format="json"
        )

    assert response.status_code == 201
    body = response.json()
    assert body["week_start"] == "2024-04-29"
    assert sorted(body["added"]) == ["2404.19756", "2405.01535"]
    assert {row["line_no"] for row in body["rejected"]} == {3}
    issue = WeeklyIssue.objects.get(week_start="2024-04-29")
    assert issue.notes.count() == 2 and not issue.is_published


def test_a_bad_week_is_a_400_with_a_japanese_message_and_nothing_is_created(editor_api):
    response = editor_api.post("/api/v1/editorial/issues/", {"text": LIST, "week_start": "2024-04-30"}, format="json")

    assert response.status_code == 400
    assert "月曜日" in response.json()["detail"]
    assert not WeeklyIssue.objects.exists()


def test_an_editor_reads_the_pipeline_status(editor_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        editor_api.post("/api/v1/editorial/issues/", {"text": LIST, "week_start": "2024-04-29"}, format="json")

    response = editor_api.get("/api/v1/editorial/issues/2024-04-29/pipeline/")

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["done"] == 0
    assert {row["arxiv_id"] for row in body["rows"]} == {"2405.01535", "2404.19756"}
    assert editor_api.get("/api/v1/editorial/issues/2031-01-06/pipeline/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_editorial_endpoints_refuse_non_editors(api, reader_api, who):
    client = api if who == "anonymous" else reader_api

    created = client.post("/api/v1/editorial/issues/", {"text": LIST}, format="json")
    status = client.get("/api/v1/editorial/issues/2024-04-29/pipeline/")

    assert created.status_code in (401, 403)
    assert status.status_code in (401, 403)
    assert not WeeklyIssue.objects.exists()


@pytest.mark.usefixtures("eager_tasks")
def test_an_editor_starts_drafting_a_week(editor_api, llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    week = note.issue.week_start.isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_api.post(f"/api/v1/editorial/issues/{week}/draft/", {}, format="json")

    assert response.status_code == 202
    assert response.json() == {"week_start": week, "started": 1}
    pipeline = editor_api.get(f"/api/v1/editorial/issues/{week}/pipeline/").json()
    assert pipeline["done"] == 1 and pipeline["rows"][0]["state"] == "done" and pipeline["rows"][0]["calls"] == 2
    # Again, with nothing to do, and for a week that does not exist
    again = editor_api.post(f"/api/v1/editorial/issues/{week}/draft/", {}, format="json")
    assert again.json()["started"] == 0
    assert editor_api.post("/api/v1/editorial/issues/2031-01-06/draft/", {}, format="json").status_code == 404


def test_drafting_without_an_llm_is_a_400_saying_why(editor_api, settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    note = make_note()

    response = editor_api.post(f"/api/v1/editorial/issues/{note.issue.week_start}/draft/", {}, format="json")

    assert response.status_code == 400 and "OPENAI_API_KEY" in response.json()["detail"]


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_starting_drafting_is_refused_to_non_editors(api, reader_api, llm_server, who):
    client = api if who == "anonymous" else reader_api
    note = make_note()

    response = client.post(f"/api/v1/editorial/issues/{note.issue.week_start}/draft/", {}, format="json")

    assert response.status_code in (401, 403)
    assert llm_server.calls == []
