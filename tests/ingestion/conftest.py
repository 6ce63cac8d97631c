"""Fixtures: a local arXiv stand-in, and settings that keep each test's limiter state apart."""

import pytest


@pytest.fixture(autouse=True)
def _ingestion_settings(settings, tmp_path):
    # Each test gets its own limiter state (file backend in its tmp dir), so one test's
    # backoff or last-request time never slows down the next one; a small interval keeps
    # the suite fast while still exercising the spacing.
    settings.REDIS_URL = ""
    settings.RATE_LIMIT_DIR = tmp_path / "ratelimit"
    settings.ARXIV_MIN_INTERVAL = 0.05
    settings.ARXIV_TIMEOUT = 2.0
    settings.PDF_ALLOWED_HOSTS = ["127.0.0.1:*"]
    settings.PDF_TIMEOUT = 2.0
    return settings
