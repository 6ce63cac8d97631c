"""The API docs page (Swagger UI) loads under the Content-Security-Policy, in headless Chromium."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.test_reader_browser import _csp_violations, _watch_csp

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_operations_list_without_breaking_the_policy(browser, live_server):
    # given a reader's browser that records what the policy blocks
    _watch_csp(browser)

    # when it opens the API docs
    browser.get(f"{live_server.url}/api/schema/docs/")

    # then Swagger UI runs and lists the operations from the schema
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path")))
    paths = {
        element.text.replace("\u200b", "")
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/api/v1/issues/", "/api/v1/notes/", "/api/v1/issues/{week}/"} <= paths
    assert "最新論文ノート API" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    # and nothing was blocked: no inline script, no outside origin
    assert _csp_violations(browser) == []
