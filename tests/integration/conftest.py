"""A real Celery worker on real Redis, and the local arXiv stand-in, for end-to-end tests."""

import pytest
from celery.contrib.testing.worker import start_worker

from papernotes.celery import app as celery_app
from tests.services import TEST_BROKER_URL, require_redis
from tests.support.arxiv_server import ArxivServer


@pytest.fixture
def arxiv_stand_in(settings):
    with ArxivServer() as server:
        server.local_pdf_links = True
        settings.ARXIV_API_URL = server.api_url
        settings.ARXIV_MIN_INTERVAL = 0.05
        settings.PDF_ALLOWED_HOSTS = ["127.0.0.1"]
        yield server


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
