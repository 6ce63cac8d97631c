"""The ingestion screens of the admin: new issue from a list, progress, retry."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone as django_timezone

from editorial.admin.ingestion import next_monday
from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import (
    DraftingStatus,
    IngestionStage,
    IngestionStatus,
    IssueState,
    NoteDrafting,
    PaperIngestion,
    WeeklyIssue,
)
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

WEEK = datetime.date(2024, 4, 29)
NEW_URL = reverse("admin:papernotes_weeklyissue_new_from_list")


def _ml_papers_2024() -> str:
    text = (FIXTURES / "ml-papers-of-the-week-2024-04-29.md").read_text(encoding="utf-8")
    return text.split("## Top ML Papers of the Week (June 23")[0]


def _set_state(arxiv_id: str, stage: str, status: str, error: str = "") -> None:
    PaperIngestion.objects.filter(paper__arxiv_id=arxiv_id).update(stage=stage, status=status, last_error=error)


def test_changelist_offers_the_list_form(admin_client):
    page = admin_client.get(reverse("admin:papernotes_weeklyissue_changelist")).content.decode()
    assert "リストから新しい号を作成" in page and NEW_URL in page


def test_pasting_the_week_creates_the_issue_and_shows_progress(admin_client, django_capture_on_commit_callbacks):
    # Given the form
    assert "論文の一覧" in admin_client.get(NEW_URL).content.decode()
    # When an editor pastes the sample week's section without giving the week
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(NEW_URL, {"week_start": "", "text": _ml_papers_2024()}, follow=True)
    # Then the issue page opens with the papers queued and a progress bar at 0%
    issue = WeeklyIssue.objects.get(week_start=WEEK)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]))
    assert "10 本の論文を追加し、取り込みを開始しました" in page
    assert "取り込みと下書きの進み具合" in page and "完了 0 / 失敗 0 / 全 10" in page
    assert page.count("<progress") >= 10 and page.count("pipeline-bar-done") == 1
    assert len(callbacks) == 1


def test_rows_not_on_arxiv_are_shown_to_the_editor(admin_client):
    text = _ml_papers_2024() + "\n| 11) **A Blog** - not a paper | [Blog](https://example.org/post) |\n"
    page = admin_client.post(NEW_URL, {"week_start": "2024-04-29", "text": text}, follow=True).content.decode()
    assert "A Blog" in page and "example.org" in page


TWO_WEEKS = (
    "## Top ML Papers of the Week (May 6 - May 12) - 2024\n"
    "| 1) **A Paper** - x | [Paper](https://arxiv.org/abs/2405.01535) |\n"
    "## Top ML Papers of the Week (April 29 - May 5) - 2024\n"
    "| 1) **B Paper** - x | [Paper](https://arxiv.org/abs/2404.19756) |\n"
)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"week_start": "2024-04-30", "text": "2405.01535"}, "week_start", "月曜日を指定してください"),
        ({"week_start": "", "text": "2405.01535"}, "week_start", "週を指定してください"),
        ({"week_start": "", "text": TWO_WEEKS}, "week_start", "2 週分の見出しが貼り付けられています"),
        ({"week_start": "2024-05-13", "text": TWO_WEEKS}, "week_start", "2024-05-13 から始まる週の見出し"),
        ({"week_start": "2024-04-29", "text": ""}, "text", "この項目は必須です"),
        ({"week_start": "2024-04-29", "text": "hello world"}, "text", "arXiv の ID や URL が見つかりません"),
        ({"week_start": "2024-04-29", "text": "| 1) **Blog** | [Blog](https://example.org/p) |"}, "text", "一本も"),
    ],
)
def test_bad_input_is_answered_at_the_field_to_correct_and_changes_nothing(admin_client, data, field, message):
    response = admin_client.post(NEW_URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    # The message sits at the field the editor must correct, and only there
    assert [error for error in form.errors[field] if message in error]
    assert not form.non_field_errors()
    assert set(form.errors) == {field}
    assert message in response.content.decode()
    assert not WeeklyIssue.objects.exists()


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (datetime.date(2024, 4, 29), datetime.date(2024, 4, 29)),  # a Monday: this week
        (datetime.date(2024, 4, 30), datetime.date(2024, 5, 6)),  # a Tuesday: the coming Monday
        (datetime.date(2024, 5, 5), datetime.date(2024, 5, 6)),  # a Sunday: tomorrow
        (datetime.date(2024, 12, 31), datetime.date(2025, 1, 6)),  # across New Year
    ],
)
def test_next_monday_is_the_coming_monday(today, monday):
    assert next_monday(today) == monday


def test_next_monday_counts_in_the_sites_time_zone(settings, monkeypatch):
    # Given Monday 2024-05-06 16:00 UTC, which is already Tuesday 01:00 in Tokyo (the clock
    # is Django's, set here; nothing of the project is replaced)
    settings.TIME_ZONE = "Asia/Tokyo"
    instant = datetime.datetime(2024, 5, 6, 16, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(django_timezone, "now", lambda: instant)
    # Then the coming Monday is counted from Tokyo's Tuesday, not from UTC's Monday
    assert next_monday() == datetime.date(2024, 5, 13)


def test_the_form_offers_next_monday(admin_client):
    page = admin_client.get(NEW_URL).content.decode()
    assert f'value="{next_monday().isoformat()}"' in page


def test_a_single_section_for_another_week_is_that_week_and_the_editor_is_told(admin_client):
    response = admin_client.post(NEW_URL, {"week_start": "2024-05-06", "text": _ml_papers_2024()}, follow=True)
    issue = WeeklyIssue.objects.get()
    assert issue.week_start == datetime.date(2024, 5, 6)
    page = response.content.decode()
    assert "10 本の論文を追加し、取り込みを開始しました" in page
    assert "2024-04-29 からの週ですが、指定された週 2024-05-06 の号として読み込みました" in page


def test_progress_and_errors_show_on_issue_list_fragment_and_paper(admin_client):
    result = issue_create_from_list(text="2405.01535 2405.00675 2404.19756", week_start=WEEK)
    _set_state("2405.01535", IngestionStage.DONE, IngestionStatus.SUCCEEDED)
    _set_state("2405.00675", IngestionStage.PDF, IngestionStatus.FAILED, "PDF のサイズが上限 50 MB を超えています")
    _set_state("2404.19756", IngestionStage.EXTRACTION, IngestionStatus.RUNNING)

    NoteDrafting.objects.create(
        note=result.issue.notes.get(paper__arxiv_id="2405.01535"), status=DraftingStatus.SUCCEEDED
    )

    listing = admin_client.get(reverse("admin:papernotes_weeklyissue_changelist")).content.decode()
    # Of 4 steps each: 4 (drafted) + 0 (failed at the PDF: a failure is no progress) + 2 (extracting)
    assert "50% 完了 1 / 失敗 1 / 全 3" in listing

    fragment = admin_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[result.issue.pk]))
    text = fragment.content.decode()
    assert "PDF のサイズが上限 50 MB を超えています" in text and 'data-active="1"' in text

    paper = result.issue.notes.get(paper__arxiv_id="2405.00675").paper
    page = admin_client.get(reverse("admin:papernotes_paper_change", args=[paper.pk])).content.decode()
    assert "PDF のサイズが上限 50 MB を超えています" in page and "PDF ダウンロード" in page


def test_an_issue_whose_papers_all_failed_never_reads_as_done(admin_client):
    result = issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK)
    for arxiv_id in ("2405.01535", "2405.00675"):
        _set_state(arxiv_id, IngestionStage.METADATA, IngestionStatus.FAILED, "arXiv に接続できません(HTTP 503)")

    listing = admin_client.get(reverse("admin:papernotes_weeklyissue_changelist")).content.decode()
    fragment = admin_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[result.issue.pk]))

    assert "0% 完了 0 / 失敗 2 / 全 2" in listing
    assert 'class="pipeline-bar-failed" style="width: 100%"' in listing
    assert 'data-active="0"' in fragment.content.decode()  # nothing more will happen by itself


def test_a_pending_automatic_retry_says_which_and_when(admin_client, settings):
    result = issue_create_from_list(text="2405.01535", week_start=WEEK)
    at = datetime.datetime(2024, 4, 29, 5, 7, tzinfo=datetime.UTC)  # 14:07 in Tokyo
    PaperIngestion.objects.update(
        stage=IngestionStage.PDF,
        status=IngestionStatus.PENDING,
        attempts=2,
        last_error="PDF のサーバーが混み合っています(HTTP 503)",
        retry_number=2,
        max_retries=4,
        next_retry_at=at,
    )

    text = admin_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[result.issue.pk])).content.decode()

    assert "自動再試行 2/4 回目・次回 14:07 頃" in text and "自動再試行待ち" in text
    assert "再取得してください" not in text and 'data-active="1"' in text


def test_a_published_issue_shows_what_was_published_not_the_papers_later_work(admin_client, sample_issue_bytes):
    # Given a published issue that shares a paper with an issue being made, whose ingestion failed
    published = issue_create_from_list(text="2405.01535", week_start=WEEK).issue
    WeeklyIssue.objects.filter(pk=published.pk).update(state=IssueState.PUBLISHED, published_at=published.created_at)
    issue_create_from_list(text="2405.01535", week_start=WEEK + datetime.timedelta(weeks=1))
    _set_state("2405.01535", IngestionStage.PDF, IngestionStatus.FAILED, "PDF が見つかりません")

    fragment = admin_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[published.pk]))

    text = fragment.content.decode()
    assert "100%" in text and "公開済み" in text and "PDF が見つかりません" not in text


def test_the_retry_button_does_not_submit_the_issue_form(admin_client):
    result = issue_create_from_list(text="2405.01535", week_start=WEEK)
    page = admin_client.get(reverse("admin:papernotes_weeklyissue_change", args=[result.issue.pk])).content.decode()
    retry_url = reverse("admin:papernotes_weeklyissue_retry_failed", args=[result.issue.pk])

    assert f'<button type="button" class="button" data-post="{retry_url}">' in page
    assert "formaction" not in page


def test_retry_answers_the_pages_button_in_json(admin_client):
    result = issue_create_from_list(text="2405.01535", week_start=WEEK)
    _set_state("2405.01535", IngestionStage.PDF, IngestionStatus.FAILED, "x")
    retry_url = reverse("admin:papernotes_weeklyissue_retry_failed", args=[result.issue.pk])

    response = admin_client.post(retry_url, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json() == {"message": "1 本の論文を再試行します。"}


def test_retry_failed_requeues_only_failed_papers(admin_client, django_capture_on_commit_callbacks):
    result = issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK)
    _set_state("2405.01535", IngestionStage.DONE, IngestionStatus.SUCCEEDED)
    _set_state("2405.00675", IngestionStage.METADATA, IngestionStatus.FAILED, "arXiv に接続できません")
    change_url = reverse("admin:papernotes_weeklyissue_change", args=[result.issue.pk])
    retry_url = reverse("admin:papernotes_weeklyissue_retry_failed", args=[result.issue.pk])
    assert retry_url in admin_client.get(change_url).content.decode()
    assert admin_client.get(retry_url).status_code == 405  # a change, so POST only
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(retry_url, follow=True)
    assert response.redirect_chain[-1][0].endswith(change_url)
    assert "1 本の論文を再試行します" in response.content.decode()
    assert len(callbacks) == 1
    states = dict(PaperIngestion.objects.values_list("paper__arxiv_id", "status"))
    assert states == {"2405.01535": IngestionStatus.SUCCEEDED, "2405.00675": IngestionStatus.PENDING}


def test_retry_failed_action_on_the_list(admin_client):
    result = issue_create_from_list(text="2405.01535", week_start=WEEK)
    _set_state("2405.01535", IngestionStage.PDF, IngestionStatus.FAILED, "x")
    response = admin_client.post(
        reverse("admin:papernotes_weeklyissue_changelist"),
        {"action": "retry_failed_action", "_selected_action": [result.issue.pk]},
        follow=True,
    )
    assert "1 本の論文を再試行します" in response.content.decode()


def test_issue_list_query_count_does_not_grow_with_issues(admin_client, django_assert_max_num_queries):
    for week in range(3):
        issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK + datetime.timedelta(weeks=week))
    url = reverse("admin:papernotes_weeklyissue_changelist")
    admin_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        admin_client.get(url)
    for week in range(3, 9):
        issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK + datetime.timedelta(weeks=week))
    with django_assert_max_num_queries(len(three.captured_queries)):
        admin_client.get(url)


def test_an_editor_cannot_retry_through_the_bulk_action_either(client, django_capture_on_commit_callbacks):
    # Given a failed paper, and an editor (the retry button is the chief editor's)
    from tests.support.users import make_user

    result = issue_create_from_list(text="2405.00675", week_start=WEEK)
    _set_state("2405.00675", IngestionStage.METADATA, IngestionStatus.FAILED, "arXiv に接続できません")
    client.force_login(make_user("hanako", "編集者"))
    changelist = reverse("admin:papernotes_weeklyissue_changelist")
    # When the editor posts the list's bulk action by hand
    assert "retry_failed_action" not in client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(changelist, {"action": "retry_failed_action", "_selected_action": [result.issue.pk]})
    # Then nothing is queued and the paper is still failed
    assert callbacks == []
    assert PaperIngestion.objects.get(paper__arxiv_id="2405.00675").status == IngestionStatus.FAILED
