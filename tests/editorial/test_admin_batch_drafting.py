"""The issue page's 「下書きを作成(LLM・バッチ)」: a chief editor's choice to draft the week
through the Batch API; an editor is refused, and nothing starts."""

import pytest
from django.urls import reverse

from papernotes.models import DraftingBatch, DraftingStatus, NoteDrafting
from tests.drafting.conftest import make_note
from tests.factories import WeeklyIssueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _week():
    issue = WeeklyIssueFactory()
    for _ in range(2):
        make_note(issue=issue)
    return issue


def test_a_chief_editor_drafts_the_week_in_a_batch_from_the_issue_page(
    chief_client, llm_server, django_capture_on_commit_callbacks
):
    issue = _week()
    llm_server.hold_batches = True
    page = chief_client.get(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk])).content.decode()
    url = reverse("admin:papernotes_weeklyissue_draft", args=[issue.pk]) + "?batch=1"
    assert f'data-post="{url}"' in page and "下書きを作成(LLM・バッチ)" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = chief_client.post(url, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["message"] == "2 本の論文の下書きをバッチで作成します(結果は 24 時間以内に届きます)。"
    assert DraftingBatch.objects.get().items.count() == 2
    table = chief_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[issue.pk])).content.decode()
    assert table.count("バッチ待ち(読解)") == 2


def test_an_editor_gets_no_batch_button_and_is_refused(editor_client, llm_server):
    issue = _week()
    page = editor_client.get(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk])).content.decode()
    assert "下書きを作成(LLM)" in page and "下書きを作成(LLM・バッチ)" not in page

    url = reverse("admin:papernotes_weeklyissue_draft", args=[issue.pk]) + "?batch=1"
    response = editor_client.post(url, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.json()["message"] == "バッチでの下書きは編集長だけが始められます。"
    assert not DraftingBatch.objects.exists()
    assert set(NoteDrafting.objects.values_list("status", flat=True)) <= {DraftingStatus.NOT_STARTED}


def test_the_batches_and_each_requests_batch_are_listed_for_the_operator(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    issue = _week()
    llm_server.hold_batches = True
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:papernotes_weeklyissue_draft", args=[issue.pk]) + "?batch=1")
    batch = DraftingBatch.objects.get()

    page = admin_client.get(reverse("admin:papernotes_draftingbatch_changelist")).content.decode()

    assert batch.provider_batch_id in page and "処理待ち" in page and "validating" in page
