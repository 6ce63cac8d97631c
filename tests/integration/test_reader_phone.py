"""Reading the sample issue as a reader would, in headless Chromium at a phone's 390×844 and a
laptop's 1280×800: how long the page is, what opens and closes, what stays at hand, how the
Japanese lines break (measured character by character), and WCAG AA contrast and tap targets.

The figures are written to var/measurements/ (and printed with ``pytest -s``); the README and
the issue's report quote them. The line measurements need a Japanese font (Debian's
fonts-noto-cjk, installed by .ci/run): without one every line is measured in a fallback font.
"""

import io
import json
import os
import shutil
import statistics
import subprocess

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import REPO, SAMPLE_ISSUE
from tests.integration.test_reader_browser import _csp_violations, _watch_csp

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)
LAPTOP = (1280, 800)
MEASUREMENTS = REPO / "var" / "measurements"
TYPESETTING_JS = (REPO / "tests" / "support" / "typesetting.js").read_text(encoding="utf-8")
ISSUE = "/issues/2024-04-29/"
# Text blocks as the reader sees them: body text (概要, answers, the intro) and short texts
# (questions, one-line summaries).
PROSE = ".prose p"
PHRASES = ".phrases"


@pytest.fixture
def japanese_font() -> None:
    families = ""
    if shutil.which("fc-list"):
        families = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout
    if not families.strip():
        reason = "no Japanese font: line measurements need one (apt-get install fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def sample_issue(db) -> None:
    call_command("import_issue", str(SAMPLE_ISSUE), stdout=io.StringIO())


def _viewport(browser, width: int, height: int) -> None:
    """Exactly ``width``×``height`` CSS pixels of page: a headless window's size includes its
    frame, which would leave a 390×844 window only about 700 pixels of page."""
    browser.set_window_size(width, height)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _height(browser) -> int:
    return browser.execute_script("return document.documentElement.scrollHeight;")


def _top(browser, selector: str) -> float:
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top + window.scrollY;", selector
    )


def _scroll_to(browser, selector: str) -> None:
    browser.execute_script(
        "document.documentElement.style.scrollBehavior = 'auto';"
        "window.scrollTo(0, document.querySelector(arguments[0]).getBoundingClientRect().top + window.scrollY);",
        selector,
    )


def _tap(browser, element) -> None:
    """A reader taps what they see: Selenium would scroll a target to the screen's bottom edge,
    under the bar that stays there."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _open_all(browser) -> None:
    browser.execute_script("document.querySelectorAll('details').forEach((d) => { d.open = true; });")


def _record(name: str, figures: dict) -> None:
    MEASUREMENTS.mkdir(parents=True, exist_ok=True)
    (MEASUREMENTS / f"{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n{name}: {json.dumps(figures, ensure_ascii=False)}")


def test_an_issue_reads_on_a_phone_with_everything_at_hand(browser, live_server, sample_issue, japanese_font):
    _watch_csp(browser)
    wait = WebDriverWait(browser, 10)
    figures = {}

    # Given a reader on a phone opening the sample issue
    _viewport(browser, *PHONE)
    browser.get(live_server.url + ISSUE)

    # Then the first paper starts within the first screen: its title and one-line summary
    title_bottom = browser.execute_script(
        "return document.querySelector('#paper-1 .paper__summary').getBoundingClientRect().bottom;"
    )
    assert title_bottom < PHONE[1]
    # and the issue, every answer and 概要 closed, is at most 15 screens long
    collapsed = _height(browser)
    figures["phone"] = {"collapsed_px": collapsed, "collapsed_screens": round(collapsed / PHONE[1], 1)}
    figures["phone"]["first_paper_top_px"] = round(_top(browser, "#paper-1"))
    assert collapsed <= 15 * PHONE[1]
    # and nothing is wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth;")

    # When they tap a question, its answer opens under it
    first = browser.find_element(By.ID, "paper-1-q1")
    answer = first.find_element(By.CSS_SELECTOR, ".qa__answer")
    assert not answer.is_displayed()
    _tap(browser, first.find_element(By.TAG_NAME, "summary"))
    assert answer.is_displayed() and "プロメテウス" in answer.text

    # When they tap 「すべて開く」 for the first paper, all its answers open; tapped again, they close
    toggle = browser.find_element(By.CSS_SELECTOR, "#paper-1 button[data-expand]")
    assert toggle.text == "すべて開く"
    _tap(browser, toggle)
    pairs = browser.find_elements(By.CSS_SELECTOR, "#paper-1 details.qa__pair")
    assert len(pairs) == 10 and all(pair.get_attribute("open") is not None for pair in pairs)
    assert toggle.text == "すべて閉じる" and toggle.get_attribute("aria-expanded") == "true"
    _tap(browser, toggle)
    assert not any(pair.get_attribute("open") is not None for pair in pairs)
    assert browser.find_elements(By.CSS_SELECTOR, "#paper-2 details.qa__pair[open]") == []

    # When they follow a link to one question, that question opens, in view
    browser.get(live_server.url + ISSUE + "#paper-3-q2")
    target = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, "#paper-3-q2[open]"))
    wait.until(lambda b: 0 <= b.execute_script("return arguments[0].getBoundingClientRect().top;", target) < PHONE[1])
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.qa__pair[open]")) == 1

    # While they read paper 4, the bar at the bottom says so and points to papers 3 and 5
    _scroll_to(browser, "#paper-4")
    bar = browser.find_element(By.CSS_SELECTOR, ".reader-bar")
    wait.until(lambda b: "4/10" in bar.text)
    assert bar.find_element(By.CSS_SELECTOR, "[data-reader='previous']").get_attribute("href").endswith("#paper-3")
    assert bar.find_element(By.CSS_SELECTOR, "[data-reader='next']").get_attribute("href").endswith("#paper-5")
    assert browser.execute_script("return arguments[0].getBoundingClientRect().bottom;", bar) == PHONE[1]
    # and the contents mark paper 4 as the current one
    current = browser.find_elements(By.CSS_SELECTOR, "#toc-popover a[aria-current='location']")
    assert [link.get_attribute("hash") for link in current] == ["#paper-4"]
    # When they tap "next", they are at paper 5
    bar.find_element(By.CSS_SELECTOR, "[data-reader='next']").click()
    wait.until(lambda b: "5/10" in bar.text)
    assert browser.current_url.endswith("#paper-5")

    # The contents open from the bar; choosing a paper closes them and goes there
    bar.find_element(By.CSS_SELECTOR, "button[popovertarget='toc-popover']").click()
    popover = wait.until(ec.visibility_of_element_located((By.ID, "toc-popover")))
    popover.find_element(By.CSS_SELECTOR, "a[href='#paper-8']").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "toc-popover")))
    wait.until(lambda b: "8/10" in bar.text)

    # "Back to the contents" at a paper's end opens the contents in the page
    _tap(browser, browser.find_element(By.CSS_SELECTOR, "#paper-8 .paper__toc"))
    wait.until(lambda b: b.find_element(By.ID, "toc").get_attribute("open") is not None)

    # With everything open (the issue's own 「すべての概要と回答を開く」), the page is its full length
    _tap(browser, browser.find_element(By.CSS_SELECTOR, ".issue__toggle"))
    assert browser.find_elements(By.CSS_SELECTOR, "details.qa__pair:not([open])") == []
    figures["phone"]["expanded_px"] = _height(browser)
    figures["phone"]["expanded_screens"] = round(figures["phone"]["expanded_px"] / PHONE[1], 1)

    # On a laptop, the contents stay in a sticky column that follows the paper being read
    _viewport(browser, *LAPTOP)
    browser.get(live_server.url + ISSUE)
    collapsed = _height(browser)
    figures["laptop"] = {
        "collapsed_px": collapsed,
        "collapsed_screens": round(collapsed / LAPTOP[1], 1),
        "first_paper_top_px": round(_top(browser, "#paper-1")),
    }
    assert not browser.find_element(By.CSS_SELECTOR, ".reader-bar").is_displayed()
    side = browser.find_element(By.CSS_SELECTOR, ".toc-side")
    _scroll_to(browser, "#paper-6")
    wait.until(lambda b: side.find_elements(By.CSS_SELECTOR, "a[aria-current='location'][href='#paper-6']"))
    assert 0 <= browser.execute_script("return arguments[0].getBoundingClientRect().top;", side) < LAPTOP[1]
    _open_all(browser)
    figures["laptop"]["expanded_px"] = _height(browser)
    figures["laptop"]["expanded_screens"] = round(figures["laptop"]["expanded_px"] / LAPTOP[1], 1)

    # A paper's own page reads the same way: an h1, and the way back to its issue first
    browser.get(live_server.url + "/papers/2405.01535/")
    back = browser.find_element(By.CSS_SELECTOR, ".paper-page__back a")
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert back.location["y"] < heading.location["y"]
    assert "2024-04-29〜2024-05-05 の号" in back.text and back.get_attribute("href").endswith(ISSUE + "#paper-1")
    assert heading.text.startswith("Prometheus 2")

    assert _csp_violations(browser) == []
    _record("reader-heights", figures)


def _lines(browser, selector: str) -> dict:
    result = browser.execute_script(TYPESETTING_JS, selector)
    loose = result["looseness"] or [0.0]
    return {
        "blocks": result["blocks"],
        "lines": result["lines"],
        "non_final_lines": result["nonFinal"],
        "short_lines": result["short"],
        "short_share": round(result["short"] / max(1, result["nonFinal"]), 3),
        "lines_starting_with_punctuation": len(result["punctuationStarts"]),
        "punctuation_examples": result["punctuationStarts"][:5],
        "breaks_inside_a_phrase": result["splits"],
        "of_which_in_a_phrase_too_long_to_keep": result["longPhraseSplits"],
        "phrase_break_examples": result["splitSamples"][:5],
        "looseness_mean_em": round(statistics.mean(loose), 3),
        "looseness_p90_em": round(sorted(loose)[int(len(loose) * 0.9)], 3),
        "characters_per_line_median": statistics.median(result["charsPerLine"] or [0]),
        "page_px": result["height"],
    }


# What the choice was made between (tests/support/typesetting.js measures each): the same page
# with other CSS for its Japanese text. auto-phrase is what the site shipped before.
OPTIONS = {
    "auto-phrase (before)": [".ja, .ja-long { word-break: auto-phrase !important; text-align: start !important; }"],
    "auto-phrase, justified": [".ja, .ja-long { word-break: auto-phrase !important; text-align: justify !important; }"],
    "normal, ragged": [".ja, .ja-long { word-break: normal !important; text-align: start !important; }"],
}


def test_japanese_lines_break_like_typeset_text(browser, live_server, sample_issue, japanese_font):
    # Given the sample issue on a phone, every 概要 and answer open
    _viewport(browser, *PHONE)
    figures = {}
    for option, rules in {"shipped": [], **OPTIONS}.items():
        browser.get(live_server.url + ISSUE)
        for rule in rules:
            browser.execute_script(
                "const sheet = document.styleSheets[0]; sheet.insertRule(arguments[0], sheet.cssRules.length);", rule
            )
        _open_all(browser)
        # When each line of body text and of the short texts is measured
        figures[option] = {"body": _lines(browser, PROSE), "short texts": _lines(browser, PHRASES)}
        if option == "shipped":
            nowrap = browser.execute_script(
                "return [...document.querySelectorAll('.ja .nowrap')]"
                ".filter((e) => new Set([...e.getClientRects()].map((r) => Math.round(r.top))).size > 1)"
                ".map((e) => e.textContent);"
            )
    _record("reader-lines-phone", figures)
    body, short = figures["shipped"]["body"], figures["shipped"]["short texts"]

    # Then body text fills the phone's width (answers had 17.5 characters a line)...
    assert body["characters_per_line_median"] >= 21
    # ...with a straight edge: under 10% of its lines end 2+ characters short...
    assert body["non_final_lines"] > 1000
    assert body["short_share"] < 0.10
    # ...without spreading its letters to get it (justification adds little between characters)
    assert body["looseness_mean_em"] < 0.1 and body["looseness_p90_em"] < 0.15
    # and no line of any text starts with closing punctuation
    assert body["lines_starting_with_punctuation"] == 0, body["punctuation_examples"]
    assert short["lines_starting_with_punctuation"] == 0, short["punctuation_examples"]
    # and short texts break between phrases (BudouX), inside one only when it is too long to keep
    # whole (14 characters or more: a phone line holds about 22)
    kept_whole = short["breaks_inside_a_phrase"] - short["of_which_in_a_phrase_too_long_to_keep"]
    assert kept_whole == 0, short["phrase_break_examples"]
    assert short["breaks_inside_a_phrase"] <= short["non_final_lines"] * 0.1
    # and no Latin name or number ("GPT-4", "Bradley-Terry") is split over two lines
    assert nowrap == []
    # What was shipped before leaves a ragged edge: over 10% of body lines end 2+ characters short
    assert figures["auto-phrase (before)"]["body"]["short_share"] > 0.10


def _rgb(color: str) -> tuple[float, ...]:
    values = color[color.index("(") + 1 : color.index(")")].replace("/", " ").replace(",", " ").split()
    return tuple(float(v) for v in values[:3])


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: str, two: str) -> float:
    light, dark = sorted((_luminance(_rgb(one)), _luminance(_rgb(two))), reverse=True)
    return round((light + 0.05) / (dark + 0.05), 2)


# Targets that are not words within a sentence (WCAG 2.5.8 exempts those), on reader pages.
TARGETS = (
    ".site-name, .site-nav a, .site-search input, .site-search button, .issue__toggle, .qa__toggle, summary,"
    " .paper__nav a, .qa__permalink a, .reader-bar a:not([hidden]), .reader-bar button, .issue__formats a,"
    " .issue-nav a, .toc-side__list a, .latest__more a, .archive__item a, .pagination a, .category-list a,"
    " .paper-page__back a, .appeared a, .site-footer a"
)
PAGES = (ISSUE, "/", "/categories/", "/categories/cs.CL/", "/papers/2405.01535/")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_contrast_and_tap_targets_meet_wcag_aa(browser, live_server, sample_issue, scheme):
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    figures = {}
    for size in (PHONE, LAPTOP):
        _viewport(browser, *size)
        for page in PAGES:
            browser.get(live_server.url + page)
            # The search box: its placeholder 4.5:1 against the box, its edge 3:1 against
            # the header around it and the box inside it (WCAG 1.4.3, 1.4.11)
            colours = browser.execute_script(
                "const input = document.getElementById('site-search-q');"
                "const box = getComputedStyle(input);"
                "return {placeholder: getComputedStyle(input, '::placeholder').color, inside: box.backgroundColor,"
                " border: box.borderTopColor,"
                " around: getComputedStyle(document.querySelector('.site-header')).backgroundColor};"
            )
            placeholder = _contrast(colours["placeholder"], colours["inside"])
            edge = min(_contrast(colours["border"], colours["around"]), _contrast(colours["border"], colours["inside"]))
            figures.setdefault("search placeholder", set()).add(placeholder)
            figures.setdefault("search box edge", set()).add(edge)
            assert placeholder >= 4.5 and edge >= 3
            # Every target at least 24×24 CSS pixels (WCAG 2.5.8)
            small = browser.execute_script(
                "return [...document.querySelectorAll(arguments[0])]"
                ".filter((e) => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')"
                ".map((e) => [e, e.getBoundingClientRect()])"
                ".filter(([e, r]) => r.width < 24 || r.height < 24)"
                ".map(([e, r]) => `${e.className || e.tagName} '${e.textContent.trim().slice(0, 20)}'"
                " ${Math.round(r.width)}×${Math.round(r.height)}`);",
                TARGETS,
            )
            assert small == [], f"{page} at {size[0]}px: {small}"
    _record(f"reader-contrast-{scheme}", {key: sorted(values) for key, values in figures.items()})
