"""As a reader would, in headless Chromium: the home page, the issue page and a search at
phone and laptop widths (screenshots under var/screenshots/), the contents reachable at
both; and an editor's Markdown preview working under the Content-Security-Policy."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from papernotes.models import Note
from tests.conftest import REPO, SAMPLE_ISSUE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = REPO / "var" / "screenshots"
WIDTHS = {"phone": (390, 844), "laptop": (1366, 900)}


def _shot(browser, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def _in_viewport(browser, element) -> bool:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;", element
    )


def _csp_violations(browser) -> list[str]:
    return browser.execute_script("return window.__cspViolations || [];")


def _watch_csp(browser) -> None:
    # Registered before any page script runs: collects what the policy blocked.
    browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.__cspViolations = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
        },
    )


def test_reader_pages_at_phone_and_laptop_widths(browser, live_server):
    # Given the sample issue, published
    call_command("import_issue", str(SAMPLE_ISSUE), stdout=io.StringIO())
    _watch_csp(browser)
    wait = WebDriverWait(browser, 10)
    issue_url = f"{live_server.url}/issues/2024-04-29/"

    # On a laptop, the contents stay in a sticky column while the reader scrolls
    browser.set_window_size(*WIDTHS["laptop"])
    browser.get(issue_url)
    side = browser.find_element(By.CSS_SELECTOR, ".toc-side")
    assert side.is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, ".reader-bar__toc").is_displayed()
    _shot(browser, "issue-laptop-top")
    browser.find_element(By.CSS_SELECTOR, ".toc-side a[href='#paper-6']").click()
    wait.until(lambda b: _in_viewport(b, b.find_element(By.ID, "paper-6")))
    assert _in_viewport(browser, side)
    _shot(browser, "issue-laptop-paper-6")
    # one typeface family for Latin titles and Japanese text
    family = browser.execute_script(
        "return [getComputedStyle(document.querySelector('.paper__title a')).fontFamily,"
        " getComputedStyle(document.querySelector('.paper__abstract')).fontFamily];"
    )
    assert family[0] == family[1]

    # On a phone, a 目次 button opens the contents; choosing a paper closes them and jumps there
    browser.set_window_size(*WIDTHS["phone"])
    browser.get(issue_url)
    assert not browser.find_element(By.CSS_SELECTOR, ".toc-side").is_displayed()
    button = browser.find_element(By.CSS_SELECTOR, ".reader-bar__toc")
    assert button.is_displayed() and button.text == "目次"
    _shot(browser, "issue-phone-top")
    button.click()
    popover = wait.until(ec.visibility_of_element_located((By.ID, "toc-popover")))
    _shot(browser, "issue-phone-contents")
    popover.find_element(By.CSS_SELECTOR, "a[href='#paper-3']").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "toc-popover")))
    assert browser.current_url.endswith("#paper-3")
    wait.until(lambda b: _in_viewport(b, b.find_element(By.ID, "paper-3")))
    # and nothing is wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;")

    # Home and a Japanese search, at both widths
    for width, size in WIDTHS.items():
        browser.set_window_size(*size)
        browser.get(f"{live_server.url}/")
        assert "最新号" in browser.find_element(By.CSS_SELECTOR, ".latest").text
        _shot(browser, f"home-{width}")
        field = browser.find_element(By.ID, "site-search-q")
        field.send_keys("評価")
        field.submit()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".search-summary")))
        assert browser.find_elements(By.CSS_SELECTOR, ".note-card mark")
        _shot(browser, f"search-{width}")

    assert _csp_violations(browser) == []


def test_markdown_preview_works_under_the_content_security_policy(browser, live_server, admin_user):
    # Given an editor on a note's admin page
    call_command("import_issue", str(SAMPLE_ISSUE), stdout=io.StringIO())
    note = Note.objects.order_by("position").first()
    _watch_csp(browser)
    wait = WebDriverWait(browser, 10)
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))
    browser.get(f"{live_server.url}/admin/papernotes/note/{note.pk}/change/")

    # When they type Markdown into the summary
    field = wait.until(ec.presence_of_element_located((By.NAME, "summary")))
    field.clear()
    field.send_keys("**プレビュー**の確認 <script>alert(1)</script>")

    # Then the preview shows it rendered and sanitised, and the policy blocked nothing
    preview = browser.find_element(By.CSS_SELECTOR, "#id_summary ~ .markdownx-preview, .markdownx-preview")
    wait.until(lambda b: "<strong>プレビュー</strong>" in preview.get_attribute("innerHTML"))
    assert "<script" not in preview.get_attribute("innerHTML")
    _shot(browser, "admin-note-preview")
    assert _csp_violations(browser) == []
