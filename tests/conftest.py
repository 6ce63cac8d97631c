"""Shared fixtures. Tests run against the database in DATABASE_URL (PostgreSQL in CI)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from papernotes.celery import app as celery_app
from tests.support.arxiv_server import ArxivServer
from tests.support.openai_server import OpenAIServer

# Fixtures shared by several test packages: the role users and the delivery fixtures.
pytest_plugins = ["tests.support.users", "tests.support.delivery"]

REPO = Path(__file__).resolve().parent.parent
SAMPLE_ISSUE = REPO / "sample_data" / "weekly-issue-2024-04-29.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def sample_issue_bytes() -> bytes:
    return SAMPLE_ISSUE.read_bytes()


@pytest.fixture(scope="session", autouse=True)
def _plain_http() -> Iterator[None]:
    """Production's HTTPS defaults apply whenever DEBUG is off; the test client and the
    live server speak plain HTTP. Session-wide, so that the live server's middleware (built
    once, when it starts) sees it too. tests/papernotes/test_production.py checks the defaults."""
    from django.conf import settings

    names = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    saved = {name: getattr(settings, name) for name in names}
    for name in names:
        setattr(settings, name, False)
    yield
    for name, value in saved.items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATE_LIMIT_DIR = tmp_path / "ratelimit"
    # The manifest storage used when DEBUG is off needs `collectstatic`; tests render
    # pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Reader pages: ask for the version stamp on every request, so a test sees its own writes.
    settings.READER_STAMP_TTL = 0
    # Many searches in a row from one test client; tests/papernotes/test_search.py tests the limit.
    settings.SEARCH_THROTTLE_RATE = ""
    # admin_client creates a superuser per test; the real hasher costs ~0.2 s each time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def arxiv_server(settings) -> Iterator[ArxivServer]:
    """The local arXiv stand-in, started on a free port, with ARXIV_API_URL pointing at it."""
    with ArxivServer() as server:
        settings.ARXIV_API_URL = server.api_url
        yield server


@pytest.fixture
def llm_server(settings) -> Iterator[OpenAIServer]:
    """The stand-in, with the settings of a fast test run pointing at it."""
    with OpenAIServer() as server:
        settings.OPENAI_API_KEY = ""
        settings.OPENAI_BASE_URL = server.base_url
        settings.LLM_TIMEOUT = 2.0
        settings.LLM_RETRY_ATTEMPTS = 3
        settings.LLM_BACKOFF_BASE = 0.01
        settings.LLM_MAX_RETRY_AFTER = 5.0
        settings.LLM_MAX_CONCURRENT = 4
        settings.LLM_MODEL = settings.LLM_MODEL_READ = settings.LLM_MODEL_ANSWER = "gpt-4o-mini"
        settings.LLM_MODEL_REPAIR = "gpt-4o-mini"
        settings.REDIS_URL = ""
        yield server


@pytest.fixture
def eager_tasks(settings) -> Iterator[None]:
    # The real task code, run in this process: a retry runs again at once.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
