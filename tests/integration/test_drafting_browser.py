"""Regenerating a field from the review screen in a real browser: the request and the
progress go through fetch and a real Celery worker, the new draft appears in the box the
editor had not touched, and what they typed in another box stays."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from editorial.roles import EDITOR_GROUP
from papernotes.drafting.services import notes_draft_start
from papernotes.models import NoteDrafting
from tests.drafting.conftest import make_note
from tests.support.openai_server import Reply
from tests.support.users import PASSWORD, make_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_editor_regenerates_the_summary_while_keeping_their_unsaved_abstract(
    browser, live_server, celery_worker_on_redis, llm_server
):
    # Given a drafted note, and an editor with the review screen open
    note = make_note()
    notes_draft_start(note_ids=[note.pk])
    wait = WebDriverWait(browser, 30, poll_frequency=0.2)
    wait.until(lambda _driver: NoteDrafting.objects.get(note=note).status == "succeeded")
    make_user("hanako", EDITOR_GROUP)
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("hanako")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))
    browser.get(f"{live_server.url}/admin/papernotes/note/{note.pk}/change/")
    abstract = wait.until(ec.presence_of_element_located((By.NAME, "abstract_ja")))
    abstract.send_keys("(編集中)")
    llm_server.script(Reply(transform=lambda output: {**output, "summary_ja": "作り直した要約。"}), step="read")

    # When they regenerate the summary
    browser.find_element(By.CSS_SELECTOR, "button[data-regenerate='summary']").click()

    # Then the new summary appears in its box, with no reload, and their typing stays
    wait.until(ec.text_to_be_present_in_element_value((By.NAME, "summary"), "作り直した要約."))
    status = browser.find_element(By.CSS_SELECTOR, "#review-field-summary .regenerate-status")
    assert status.text == "新しい機械下書きを反映しました。"
    assert browser.find_element(By.NAME, "abstract_ja").get_attribute("value").endswith("(編集中)")
