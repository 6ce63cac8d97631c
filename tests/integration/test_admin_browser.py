"""As an editor would: log in, paste the sample week's list, watch the progress bar fill,
and get ten papers with metadata and passages. Real browser, real server, real worker on
Redis, the local arXiv stand-in."""

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from papernotes.models import IngestionStatus, Paper, PaperIngestion, WeeklyIssue
from tests.conftest import FIXTURES
from tests.support.pdfgen import make_paper_pdf

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _sample_week_section() -> str:
    text = (FIXTURES / "ml-papers-of-the-week-2024-04-29.md").read_text(encoding="utf-8")
    return text.split("## Top ML Papers of the Week (June 23")[0]


def test_editor_pastes_the_week_and_watches_it_ingest(
    browser, live_server, admin_user, celery_worker_on_redis, arxiv_stand_in
):
    # Given arXiv (the stand-in) serves the ten papers' metadata and PDFs
    for seed, (arxiv_id, paper) in enumerate(arxiv_stand_in.papers.items()):
        arxiv_stand_in.pdfs[f"{arxiv_id}v{paper.version}"] = make_paper_pdf(title=paper.title, pages=3, seed=seed)
    wait = WebDriverWait(browser, 20)

    # When the editor logs in to the admin
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))  # shown once logged in

    # And opens 週刊号 → リストから新しい号を作成, where the coming Monday is offered
    browser.get(f"{live_server.url}/admin/papernotes/weeklyissue/")
    wait.until(ec.element_to_be_clickable((By.LINK_TEXT, "リストから新しい号を作成"))).click()
    week_field = wait.until(ec.presence_of_element_located((By.NAME, "week_start")))
    assert datetime.date.fromisoformat(week_field.get_attribute("value")).weekday() == 0
    # And sets the week to the sample's (as the date picker would), pastes its section and submits
    browser.execute_script("arguments[0].value = '2024-04-29'", week_field)
    browser.find_element(By.NAME, "text").send_keys(_sample_week_section())
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    # Then the issue page says what was added and shows the progress of the ten papers
    wait.until(ec.presence_of_element_located((By.ID, "pipeline")))
    assert "10 本の論文を追加し、取り込みを開始しました" in browser.page_source
    assert "として読み込みました" not in browser.page_source  # the heading agreed with the week
    # And the bar fills without reloading the page, until every paper is done
    WebDriverWait(browser, 120, poll_frequency=0.5).until(
        ec.text_to_be_present_in_element((By.ID, "pipeline"), "完了 10 / 失敗 0 / 全 10")
    )
    bar = browser.find_element(By.CSS_SELECTOR, "#pipeline .pipeline-bar-done")
    assert bar.get_attribute("style") == "width: 100%;"
    assert browser.find_element(By.ID, "pipeline").text.count("100%") >= 10

    # And the retry button answers in place: what the editor was typing stays in the form
    page_url = browser.current_url
    intro = browser.find_element(By.NAME, "intro")
    intro.send_keys("編集中の前書き")
    browser.find_element(By.XPATH, "//button[text()='失敗した論文を再試行']").click()
    wait.until(ec.text_to_be_present_in_element((By.CLASS_NAME, "pipeline-action-message"), "失敗した論文はありません"))
    assert browser.current_url == page_url
    assert browser.find_element(By.NAME, "intro").get_attribute("value").endswith("編集中の前書き")

    # And the ten papers have their metadata and passages
    issue = WeeklyIssue.objects.get(week_start=datetime.date(2024, 4, 29))
    assert issue.notes.count() == 10
    assert PaperIngestion.objects.filter(status=IngestionStatus.SUCCEEDED).count() == 10
    for paper in Paper.objects.all():
        assert paper.title and paper.abstract_en and paper.passages.exists()

    # And readers still cannot see the draft issue
    browser.get(f"{live_server.url}/issues/2024-04-29/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "ページが見つかりません"
    assert "10 本" not in browser.page_source
