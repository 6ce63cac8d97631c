"""The review screen for a day's work, in a real browser (headless Chromium), on a note of a
machine-drafted week: ten Q&A pairs, each answer with the passage it quotes.

- An editor reviews the ten pairs with their evidence and approves in two clicks from the
  dashboard (counted), then works from the keyboard: next pair, edit, save, approve; after
  each save the page comes back to the same pair and field, where it was on screen.
- On a phone (390 px) and a laptop (1280 px): no sideways scrolling, tap targets of at
  least 24 px, the save bar on screen; the page heights are printed (``pytest -s``).
- Leaving the page with unsaved text asks first; submitting does not.

No Celery or Redis: nothing here runs a task.
"""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from editorial.checks.services import note_refresh_findings
from editorial.roles import EDITOR_GROUP
from papernotes.models import NoteState
from tests.support.drafted_week import build_drafted_week
from tests.support.users import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP, PHONE = (1280, 900), (390, 844)


@pytest.fixture
def drafted_note(db):
    """The first note of a machine-drafted week, its findings stored as a save stores them."""
    week = build_drafted_week()
    for note in week.issue.notes.all():
        note_refresh_findings(note_id=note.pk)
    make_user("hanako", EDITOR_GROUP)
    return week.issue.notes.get(position=1)


class Clicks:
    """Clicks the editor makes, counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, element) -> None:
        self.count += 1
        element.click()


def _login(browser, base: str) -> WebDriverWait:
    wait = WebDriverWait(browser, 15)
    browser.get(f"{base}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("hanako")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "user-tools")))
    return wait


def _keys(browser, *keys, modifier=None) -> None:
    actions = ActionChains(browser)
    if modifier:
        actions.key_down(modifier)
    for key in keys:
        actions.send_keys(key)
    if modifier:
        actions.key_up(modifier)
    actions.perform()


def _active(browser) -> str:
    return browser.execute_script(
        "const e = document.activeElement;"
        "return e.name || (e.dataset && e.dataset.qaId ? 'row:' + e.dataset.qaId : e.id)"
    )


def _caret_to_end(browser, textarea) -> None:
    browser.execute_script("const t = arguments[0]; t.setSelectionRange(t.value.length, t.value.length)", textarea)


def _top(browser, element) -> float:
    return browser.execute_script("return arguments[0].getBoundingClientRect().top", element)


def _reloaded(browser, wait, old_html) -> None:
    wait.until(ec.staleness_of(old_html))
    wait.until(ec.presence_of_element_located((By.ID, "save-bar")))


def test_an_editor_reviews_ten_pairs_with_their_evidence_in_two_clicks_then_from_the_keyboard(
    browser, live_server, drafted_note
):
    browser.set_window_size(*LAPTOP)
    wait = _login(browser, live_server.url)
    click = Clicks()
    pairs = list(drafted_note.qas.order_by("position"))

    # Given the dashboard, when the editor opens the note waiting for review
    browser.get(f"{live_server.url}/admin/")
    click(browser.find_element(By.CSS_SELECTOR, f"a.review-link[href$='/note/{drafted_note.pk}/change/']"))
    wait.until(ec.presence_of_element_located((By.ID, "save-bar")))

    # Then every answer has its passage beside it, the quote highlighted and in view in its box
    evidence = browser.find_elements(By.CSS_SELECTOR, "tr.qa-row[data-qa-id] .qa-evidence")
    assert len(evidence) == len(pairs) == 10
    for box in browser.find_elements(By.CSS_SELECTOR, ".evidence__passage"):
        mark = box.find_elements(By.TAG_NAME, "mark")
        if not mark:
            continue  # a quote the machine got wrong: shown apart, and flagged
        assert box.is_displayed() and mark[0].is_displayed()
        inside = browser.execute_script(
            "const b = arguments[0].getBoundingClientRect(), m = arguments[1].getBoundingClientRect();"
            "return m.top >= b.top - 1 && m.top < b.bottom;",
            box,
            mark[0],
        )
        assert inside, "the quote is scrolled into view inside its passage"
    answer = browser.find_element(By.CSS_SELECTOR, f"tr[data-qa-id='{pairs[0].pk}'] .qa-evidence")
    beside = browser.find_element(By.CSS_SELECTOR, f"tr[data-qa-id='{pairs[0].pk}'] textarea[name$='-answer']")
    assert answer.location["x"] > beside.location["x"] + beside.size["width"] - 1  # beside, not under

    # When they approve with the save bar's button
    old = browser.find_element(By.TAG_NAME, "html")
    click(browser.find_element(By.CSS_SELECTOR, "#save-bar button.workflow-approve"))
    _reloaded(browser, wait, old)

    # Then the note is approved: two clicks for ten pairs with their evidence (at most 3 wanted)
    drafted_note.refresh_from_db()
    assert drafted_note.state == NoteState.APPROVED
    print(f"\nclicks to review one paper's ten Q&A with evidence visible, from the dashboard: {click.count}")
    assert click.count <= 3

    # When they take the approval back from the keyboard's point of view: j/k move between
    # pairs, Enter edits the answer, Alt+↓ goes to the next answer, Ctrl+S saves
    _keys(browser, "j")
    assert _active(browser) == f"row:{pairs[0].pk}"
    _keys(browser, "j", "j", "k")
    assert _active(browser) == f"row:{pairs[1].pk}"
    _keys(browser, Keys.ENTER)
    second = browser.switch_to.active_element
    assert second.get_attribute("name").endswith("-answer")
    _caret_to_end(browser, second)
    _keys(browser, "jk")  # typed into the answer, not taken as shortcuts
    assert second.get_attribute("value").endswith("jk")
    _keys(browser, Keys.BACKSPACE, Keys.BACKSPACE, "なお、評価は人手でも確認されています.")
    assert _active(browser) == second.get_attribute("name")
    _keys(browser, Keys.ARROW_DOWN, modifier=Keys.ALT)
    third = browser.switch_to.active_element
    assert third.get_attribute("name").endswith("-answer") and third != second
    _caret_to_end(browser, third)
    _keys(browser, "これは本文で確認済みです.")
    top_before = _top(browser, third)
    name = third.get_attribute("name")
    old = browser.find_element(By.TAG_NAME, "html")
    _keys(browser, "s", modifier=Keys.CONTROL)
    _reloaded(browser, wait, old)

    # Then both answers are saved, the edit took the approval back, and the editor is where
    # they were: the same answer focused, at the same height on screen
    assert pairs[1].__class__.objects.get(pk=pairs[1].pk).answer.endswith("なお、評価は人手でも確認されています.")
    assert pairs[2].__class__.objects.get(pk=pairs[2].pk).answer.endswith("これは本文で確認済みです.")
    drafted_note.refresh_from_db()
    assert drafted_note.state == NoteState.IN_REVIEW
    assert _active(browser) == name
    assert abs(_top(browser, browser.switch_to.active_element) - top_before) < 8
    assert browser.execute_script("return window.scrollY") > 500
    # And what happened is said in the save bar, where they are looking
    assert "承認済みのノートの内容が変わった" in browser.find_element(By.ID, "save-bar-status").text

    # When they approve again with Ctrl+Enter
    old = browser.find_element(By.TAG_NAME, "html")
    _keys(browser, Keys.ENTER, modifier=Keys.CONTROL)
    _reloaded(browser, wait, old)
    drafted_note.refresh_from_db()
    assert drafted_note.state == NoteState.APPROVED, browser.find_element(By.ID, "save-bar-status").text
    assert _active(browser) == name


def _layout(browser) -> dict:
    return browser.execute_script(
        """
        const doc = document.documentElement, bar = document.getElementById('save-bar').getBoundingClientRect();
        const small = [];
        const selector = '#review button, #review input:not([type=hidden]), #review select, #review summary, '
          + '.qa-inline button, .qa-inline input:not([type=hidden]), .qa-inline summary, .evidence__where a, '
          + '#save-bar button';
        document.querySelectorAll(selector).forEach(function (e) {
          const r = e.getBoundingClientRect();
          if (r.width && r.height && (r.width < 24 || r.height < 24)) small.push(e.outerHTML.slice(0, 80));
        });
        return {height: doc.scrollHeight, width: doc.scrollWidth, inner: window.innerWidth,
                barTop: bar.top, barBottom: bar.bottom, viewport: window.innerHeight, small: small};
        """
    )


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop-1280", "phone-390"])
def test_the_review_screen_fits_a_phone_and_a_laptop(browser, live_server, drafted_note, size):
    # Given the review screen at the width of a laptop or a phone
    browser.set_window_size(*size)
    wait = _login(browser, live_server.url)
    browser.get(f"{live_server.url}/admin/papernotes/note/{drafted_note.pk}/change/")
    wait.until(ec.presence_of_element_located((By.ID, "save-bar")))

    # When the editor scrolls to the middle of the pairs
    middle = browser.find_elements(By.CSS_SELECTOR, "tr.qa-row[data-qa-id]")[5]
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", middle)
    shown = _layout(browser)
    browser.find_element(By.ID, "qa-evidence-toggle").click()
    hidden = _layout(browser)
    browser.find_element(By.ID, "qa-evidence-toggle").click()  # back as it was, for the next test

    # Then nothing scrolls sideways, every tap target is at least 24 px, the save bar is on screen
    print(
        f"\npage height at {size[0]} px: {shown['height']} px with the evidence shown, "
        f"{hidden['height']} px with it hidden"
    )
    assert shown["width"] <= shown["inner"]
    assert shown["small"] == []
    assert 0 <= shown["barTop"] < shown["barBottom"] <= shown["viewport"]
    # And the page is not longer than the issue's review screen was (5,000 px; 8,500 on a
    # phone) with every answer's evidence open, and is shorter with it hidden
    assert hidden["height"] < shown["height"]
    assert shown["height"] < (5000 if size == LAPTOP else 10000)
    assert hidden["height"] < (5000 if size == LAPTOP else 8500)


def test_after_a_save_on_a_phone_the_editor_is_back_at_the_same_answer(browser, live_server, drafted_note):
    browser.set_window_size(*PHONE)
    wait = _login(browser, live_server.url)
    browser.get(f"{live_server.url}/admin/papernotes/note/{drafted_note.pk}/change/")
    seventh = drafted_note.qas.get(position=7)
    answer = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-qa-id='{seventh.pk}'] textarea[name$='-answer']"))
    )
    # Given the editor editing the seventh answer, far down the page
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", answer)
    answer.click()
    _caret_to_end(browser, answer)
    answer.send_keys("追記.")
    top_before = _top(browser, answer)

    # When they tap 保存 in the save bar
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "#save-bar button[data-shortcut='save']").click()
    _reloaded(browser, wait, old)

    # Then the page comes back at the seventh answer, focused where it was on screen
    seventh.refresh_from_db()
    assert seventh.answer.endswith("追記.")
    focused = browser.execute_script("return document.activeElement.closest('tr[data-qa-id]').dataset.qaId")
    assert focused == str(seventh.pk)
    assert browser.switch_to.active_element.get_attribute("name").endswith("-answer")
    assert abs(_top(browser, browser.switch_to.active_element) - top_before) < 8


def _click_in_view(browser, element) -> None:
    # The save bar stays at the bottom of the screen: a field under it is scrolled to the
    # middle first, as an editor would, so the click reaches the field and not the bar.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_leaving_with_unsaved_text_asks_first_and_saving_does_not(prompting_browser, live_server, drafted_note):
    browser = prompting_browser
    prompts = []
    browser.browsing_context.add_event_handler("user_prompt_opened", prompts.append)
    browser.set_window_size(*LAPTOP)
    wait = _login(browser, live_server.url)
    url = f"{live_server.url}/admin/papernotes/note/{drafted_note.pk}/change/"
    browser.get(url)
    _click_in_view(browser, wait.until(ec.element_to_be_clickable((By.ID, "id_abstract_ja"))))

    # Given an opened note, nothing typed: leaving does not ask
    browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a[href$='/papernotes/note/']").click()
    wait.until(lambda driver: not driver.current_url.endswith("/change/"))
    assert prompts == []

    # When the editor types in the abstract and follows a link away
    browser.get(url)
    abstract = wait.until(ec.element_to_be_clickable((By.ID, "id_abstract_ja")))
    abstract.send_keys("編集中の文.")
    browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a[href$='/papernotes/note/']").click()

    # Then the browser asks before leaving; staying keeps the text
    wait.until(lambda _driver: prompts)
    assert prompts[0].type == "beforeunload"
    browser.browsing_context.handle_user_prompt(context=prompts[0].context, accept=False)
    assert browser.current_url == url
    assert browser.find_element(By.ID, "id_abstract_ja").get_attribute("value").endswith("編集中の文.")

    # When they save, nothing asks and the text is stored
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "#save-bar button[data-shortcut='save']").click()
    _reloaded(browser, wait, old)
    assert len(prompts) == 1
    drafted_note.refresh_from_db()
    assert drafted_note.abstract_ja.endswith("編集中の文.")
