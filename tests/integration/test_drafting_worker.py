"""The shipped drafting worker (pool type and concurrency read from the Procfile), consuming
the drafting queue from Redis, keeps LLM_MAX_CONCURRENT calls in flight and no more."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from papernotes.celery import app as celery_app
from papernotes.drafting.services import notes_draft_start
from papernotes.models import DRAFTING_FINISHED, NoteDrafting
from tests.drafting.conftest import make_note
from tests.integration.conftest import _use_broker
from tests.support.live_services import TEST_BROKER_URL, require_redis
from tests.support.openai_server import OpenAIServer
from tests.support.procfile import drafting_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_shipped_drafting_worker_reaches_the_llm_cap(settings):
    client = require_redis(TEST_BROKER_URL)
    client.flushdb()
    shipped = drafting_worker()
    settings.LLM_MAX_CONCURRENT = 4
    notes = [make_note(passages=4) for _ in range(8)]
    previous = celery_app.conf.broker_url
    _use_broker(TEST_BROKER_URL)
    try:
        with OpenAIServer(latency=0.4) as server:
            settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.LLM_BACKOFF_BASE = server.base_url, "", 0.01
            with start_worker(
                celery_app,
                pool=shipped.pool,
                concurrency=shipped.concurrency,
                queues=list(shipped.queues),
                perform_ping_check=False,
                shutdown_timeout=20,
            ):
                notes_draft_start(note_ids=[note.pk for note in notes])
                deadline = time.monotonic() + 60
                while NoteDrafting.objects.filter(status__in=DRAFTING_FINISHED).count() < len(notes):
                    assert time.monotonic() < deadline, list(NoteDrafting.objects.values("status", "last_error"))
                    time.sleep(0.1)
    finally:
        # A worker started with -Q narrows the app's queues for the whole process: widen them
        # again, or the next test's worker would consume the drafting queue only.
        celery_app.amqp.queues.select(list(settings.TASK_QUEUE_NAMES))
        _use_broker(previous)
        client.flushdb()

    assert server.max_in_flight == settings.LLM_MAX_CONCURRENT
