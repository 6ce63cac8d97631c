"""A week in flight in the Batch API survives a worker restart: a worker sends the read batch
and stops; a new worker process, with Celery beat inside it (as ``make run`` starts it),
finds the batch in the database and carries the week to its end. Real Redis, PostgreSQL
(the new process reads the test database), Celery worker and beat, and the stand-in."""

import os
import subprocess
import sys
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from papernotes.celery import app as celery_app
from papernotes.drafting.services import issue_draft_start
from papernotes.models import DraftingBatch, DraftingBatchStatus, DraftingStatus, LlmCall, NoteDrafting
from tests.conftest import REPO
from tests.drafting.conftest import make_note
from tests.factories import WeeklyIssueFactory
from tests.integration.conftest import _use_broker
from tests.support.live_services import TEST_BROKER_URL, require_redis
from tests.support.openai_server import OpenAIServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _new_worker_with_beat(server: OpenAIServer, tmp_path) -> subprocess.Popen:
    """``celery worker --beat`` in a process of its own, on the test database and broker."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "REDIS_URL": "",
        "SECRET_KEY": "test-only",
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "",
        "LLM_BACKOFF_BASE": "0.01",
        "DRAFTING_BATCH_POLL_INTERVAL": "1",
        "RATE_LIMIT_DIR": str(tmp_path / "ratelimit"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "papernotes", "worker", "--pool", "threads", "--concurrency", "4",
        "--without-gossip", "--without-mingle", "--loglevel", "WARNING", "-n", "restarted@%h",
        "--beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
        "--schedule", str(tmp_path / "beat-schedule"),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_week_in_a_batch_is_finished_by_a_new_worker_process_after_a_restart(settings, tmp_path):
    if connection.vendor != "postgresql":
        reason = "a second process cannot open the in-memory SQLite test database; run on PostgreSQL (DATABASE_URL)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    client = require_redis(TEST_BROKER_URL)
    client.flushdb()
    issue = WeeklyIssueFactory()
    notes = [make_note(issue=issue, passages=4) for _ in range(3)]
    previous = celery_app.conf.broker_url
    _use_broker(TEST_BROKER_URL)
    worker = None
    try:
        with OpenAIServer() as server:
            settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, settings.LLM_BACKOFF_BASE = server.base_url, "", 0.01
            server.hold_batches = True
            # Given a worker that sends the week's read batch, then stops while it is in progress
            with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20):
                issue_draft_start(issue_id=issue.pk, batch=True)
                _wait(
                    lambda: DraftingBatch.objects.filter(status=DraftingBatchStatus.SUBMITTED).exists(),
                    seconds=30,
                    what="the read batch was not sent",
                )
            assert set(NoteDrafting.objects.values_list("status", "step")) == {(DraftingStatus.BATCH, "read")}

            # When the provider finishes it, and a new worker process with beat starts
            server.hold_batches = False
            worker = _new_worker_with_beat(server, tmp_path)
            _wait(
                lambda: (
                    (
                        NoteDrafting.objects.filter(status=DraftingStatus.SUCCEEDED).count() == len(notes)
                        and not DraftingBatch.objects.exclude(status=DraftingBatchStatus.DONE).exists()
                    )
                    or worker.poll() is not None
                ),
                seconds=90,
                what=f"the week was not finished: {list(NoteDrafting.objects.values('status', 'step', 'last_error'))}",
            )

            # Then the new process finished the week: read and answer batches, every note drafted
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            assert server.batch_steps() == ["read"] * 3 + ["answer"] * 3 and server.call_steps() == []
            assert all(note.qas.count() == 10 for note in notes)
            assert LlmCall.objects.filter(batch_id="").count() == 0 and LlmCall.objects.count() == 6
            assert set(DraftingBatch.objects.values_list("status", flat=True)) == {DraftingBatchStatus.DONE}
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        _use_broker(previous)
        client.flushdb()
