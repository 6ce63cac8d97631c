"""End-to-end fixtures: a real Celery worker on real Redis, the local arXiv stand-in, and
headless Chromium (Debian's chromium and chromium-driver, driven by Selenium).

The browser is the system one: nothing is downloaded. Without it the browser tests are
skipped with the reason, except under CI, where .ci/run installs it and they must run.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from papernotes.celery import app as celery_app
from tests.support.live_services import TEST_BROKER_URL, require_redis


@pytest.fixture
def arxiv_stand_in(arxiv_server, settings):
    """The stand-in with its feed linking PDFs to itself, as arXiv links to arxiv.org."""
    arxiv_server.local_pdf_links = True
    settings.ARXIV_MIN_INTERVAL = 0.05
    settings.PDF_ALLOWED_HOSTS = ["127.0.0.1:*"]
    return arxiv_server


@pytest.fixture
def celery_worker_on_redis(settings):
    """A worker thread consuming from Redis, as in production (tasks are not run eagerly)."""
    client = require_redis(TEST_BROKER_URL)
    client.flushdb()
    previous = celery_app.conf.broker_url
    _use_broker(TEST_BROKER_URL)
    try:
        with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20):
            yield
    finally:
        _use_broker(previous)
        client.flushdb()


def _use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Drop the connection pools built for the previous broker (what Celery does after fork).
    celery_app._after_fork()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _chromium(*, bidi: bool = False) -> Iterator[webdriver.Chrome]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        reason = "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    profile = tempfile.mkdtemp(prefix="papernotes-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
        "--lang=ja",
    ):
        options.add_argument(flag)
    if bidi:
        # WebDriver BiDi reports the page's prompts, "leave this page?" included, and leaves
        # them open for the test to answer (classic WebDriver accepts those by itself).
        options.enable_bidi = True
        options.set_capability("unhandledPromptBehavior", {"beforeUnload": "ignore", "default": "ignore"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    yield from _chromium()


@pytest.fixture
def prompting_browser() -> Iterator[webdriver.Chrome]:
    """The browser, with the prompts a page opens (``beforeunload``) left for the test to answer."""
    yield from _chromium(bidi=True)
