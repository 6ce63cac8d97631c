"""The editorial flow in a real browser (headless Chromium, Debian's chromedriver).

An editor logs in, opens a note from the dashboard, edits the abstract with the live
preview, saves and approves; a second editor's stale save gets the conflict message with
their text kept; an editor cannot publish; a chief editor publishes the issue; the reader
page shows the change.

Two editors at once: one window on ``localhost`` and one on ``127.0.0.1`` — two origins,
so two separate sessions in one browser. No Celery or Redis is needed: nothing in this
flow runs a task.
"""

import datetime
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from editorial.checks.services import note_refresh_findings
from papernotes.models import IssueState, NoteState, TextSource
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory
from tests.support.users import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

WEEK = datetime.date(2024, 4, 29)
HANAKO_ABSTRACT = (
    "Prometheus 2 は、4つの直接評価ベンチマークで人間の判断に最も近い評価を示す**オープンな評価器**である."
)
TARO_ABSTRACT = "太郎が書き直した概要."


@pytest.fixture
def week(db):
    issue = WeeklyIssueFactory(week_start=WEEK, state=IssueState.IN_REVIEW, intro="今週の論文を紹介します.")
    paper = PaperFactory(
        title="Prometheus 2: An Open Source Language Model Specialized in Evaluating Other Language Models",
        abstract_en="We introduce Prometheus 2, an evaluator LM, on four direct assessment benchmarks.",
    )
    note = NoteFactory(
        issue=issue,
        paper=paper,
        position=1,
        state=NoteState.DRAFTED,
        summary="評価に特化したオープンな言語モデルを提案した.",
        summary_source=TextSource.MACHINE,
        abstract_ja="Prometheus 2 を紹介する.",
        abstract_ja_source=TextSource.MACHINE,
        abstract_ja_machine_draft="Prometheus 2 を紹介する.",
    )
    for position in range(1, 9):
        QuestionAnswerFactory(
            note=note,
            position=position,
            question=f"論点「{'あいうえおかきく'[position - 1]}」は何ですか?",
            answer=f"論点「{'あいうえおかきく'[position - 1]}」についての答えです.",
        )
    note_refresh_findings(note_id=note.pk)
    return note


def _login(browser: WebDriver, base: str, username: str) -> WebDriverWait:
    wait = WebDriverWait(browser, 15)
    browser.get(f"{base}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))
    return wait


def _replace(browser: WebDriver, element, text: str) -> None:
    element.clear()
    element.send_keys(text)


def test_review_conflict_and_publication_in_a_real_browser(browser, live_server, week):
    make_user("hanako", "編集者")
    make_user("taro", "編集者")
    make_user("chief", "編集長")
    port = re.search(r":(\d+)$", live_server.url).group(1)
    hanako_base, taro_base = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    note_path = f"/admin/papernotes/note/{week.pk}/change/"

    # Given the second editor, taro, has the note open in his own window
    hanako_window = browser.current_window_handle
    browser.switch_to.new_window("window")
    taro_window = browser.current_window_handle
    wait = _login(browser, taro_base, "taro")
    browser.get(taro_base + note_path)
    wait.until(ec.presence_of_element_located((By.ID, "id_abstract_ja")))

    # When hanako logs in and opens the note from the dashboard
    browser.switch_to.window(hanako_window)
    wait = _login(browser, hanako_base, "hanako")
    dashboard = browser.find_element(By.ID, "dashboard")
    assert "レビュー待ちのノート (1)" in dashboard.text
    dashboard.find_element(By.CSS_SELECTOR, "a.review-link").click()
    abstract = wait.until(ec.element_to_be_clickable((By.ID, "id_abstract_ja")))
    # Then the English source is beside the draft
    assert "four direct assessment benchmarks" in browser.find_element(By.CSS_SELECTOR, ".review__source").text

    # When she rewrites the abstract, the preview beside it shows the rendered Markdown
    _replace(browser, abstract, HANAKO_ABSTRACT)
    preview = browser.find_element(By.CSS_SELECTOR, "#review-field-abstract_ja .markdownx-preview")
    wait.until(lambda _driver: preview.find_elements(By.TAG_NAME, "strong"))
    assert preview.find_element(By.TAG_NAME, "strong").text == "オープンな評価器"
    assert preview.location["x"] > abstract.location["x"]  # beside the text, not under it

    # And moves the first Q&A pair down one row (positions renumber themselves)
    first_qa, second_qa = week.qas.order_by("position")[:2]
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.qa-row.has_original")
    rows[0].find_element(By.CSS_SELECTOR, "button.qa-move[data-move='1']").click()
    positions = [row.find_element(By.CSS_SELECTOR, "input.qa-position") for row in rows[:2]]
    assert [p.get_attribute("value") for p in positions] == ["2", "1"]

    # And saves and approves with one button in the save bar
    browser.find_element(By.CSS_SELECTOR, "#save-bar button.workflow-approve").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "ul.messagelist"), "「保存して承認」を実行しました"))
    assert browser.find_element(By.ID, "note-state").text == "承認済み"
    assert list(week.qas.order_by("position").values_list("pk", flat=True)[:2]) == [second_qa.pk, first_qa.pk]

    # When taro, whose page is now stale, saves his own abstract
    browser.switch_to.window(taro_window)
    _replace(browser, browser.find_element(By.ID, "id_abstract_ja"), TARO_ABSTRACT)
    browser.find_element(By.CSS_SELECTOR, "#save-bar button[data-shortcut='save']").click()

    # Then he is told about the conflict, sees hanako's text, and keeps his own in the field
    error = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#review-field-abstract_ja .errorlist")))
    assert "他の人または機械下書きによって変更されました" in error.text
    assert "オープンな評価器" in error.text
    assert browser.find_element(By.ID, "id_abstract_ja").get_attribute("value") == TARO_ABSTRACT
    week.refresh_from_db()
    assert week.abstract_ja == HANAKO_ABSTRACT

    # And an editor cannot publish: the issue page has no publish button for him
    browser.get(f"{taro_base}/admin/papernotes/weeklyissue/{week.issue_id}/change/")
    wait.until(ec.presence_of_element_located((By.ID, "issue-workflow-panel")))
    assert not browser.find_elements(By.ID, "issue-action-publish")

    # When the chief editor logs in and publishes the issue now
    browser.delete_all_cookies()
    wait = _login(browser, taro_base, "chief")
    browser.get(f"{taro_base}/admin/papernotes/weeklyissue/{week.issue_id}/change/")
    wait.until(ec.element_to_be_clickable((By.ID, "issue-action-publish"))).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "issue-state"), "公開済み"))

    # Then readers see the issue with hanako's abstract
    browser.get(f"{taro_base}/issues/{WEEK.isoformat()}/")
    abstract = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".paper__abstract")))
    abstract.find_element(By.TAG_NAME, "summary").click()  # the 概要 opens on a tap
    assert "オープンな評価器" in abstract.text
