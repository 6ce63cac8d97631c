"""Editors' endpoints: token authentication and editor permissions; readers are refused."""

import pytest

from papernotes.models import WeeklyIssue

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
