"""End to end: a publication is emailed by a real Celery worker on Redis through a real SMTP
server; a worker killed (SIGKILL) in the middle of a message is replaced, and no subscriber
receives anything twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from editorial.workflow import issue_publish
from papernotes.celery import app as celery_app
from papernotes.delivery.services import issue_delivery_start
from papernotes.delivery.tasks import resume_deliveries_task
from papernotes.models import IssueState, Mailing, NoteState, SendLog, SendState
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory
from tests.integration.conftest import _use_broker
from tests.support.delivery import make_subscriber
from tests.support.live_services import TEST_BROKER_URL, require_redis

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("delivery_settings"),
]

REPO = Path(__file__).resolve().parents[2]


def _ready_issue():
    issue = WeeklyIssueFactory(state=IssueState.READY)
    for position in (1, 2):
        note = NoteFactory(issue=issue, position=position, state=NoteState.APPROVED)
        QuestionAnswerFactory(note=note, position=1)
    return issue


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def test_a_publication_is_emailed_by_the_worker(celery_worker_on_redis, smtp_server, chief_editor):
    # Given three confirmed subscribers and an issue ready to publish
    for n in range(3):
        make_subscriber(f"r{n}@example.com")
    issue = _ready_issue()

    # When the chief editor publishes it (the mailing starts after the commit, in the worker)
    issue_publish(issue=issue, actor=chief_editor)

    # Then every subscriber receives it once, and the mailing is finished
    _wait(lambda: Mailing.objects.filter(issue=issue, finished_at__isnull=False).exists(), 60, "the mailing")
    recipients = sorted(r for message in smtp_server.messages for r in message.rcpt_tos)
    assert recipients == ["r0@example.com", "r1@example.com", "r2@example.com"]
    assert set(SendLog.objects.values_list("state", flat=True)) == {SendState.SENT}


def _database_url() -> str:
    """The test database, for a worker in another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _worker_process(smtp_port: int, tmp_path: Path, broker: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": "https://notes.example.org",
        "NEWSLETTER_MESSAGES_PER_SECOND": "0",
        "RATE_LIMIT_DIR": str(tmp_path / "ratelimit"),
        "NEWSLETTER_SENDING_LEASE": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "papernotes", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_message_is_replaced_and_nobody_gets_a_message_twice(
    smtp_server,
    sample_issue,
    settings,
    tmp_path,
):
    # Given five subscribers, a worker process on Redis, and a server that holds the third
    # message's DATA without answering (the worker is then in the middle of it)
    previous_broker = celery_app.conf.broker_url
    _use_broker(TEST_BROKER_URL)
    # The broker this process really publishes to: Celery prefers a CELERY_BROKER_URL in the
    # environment (as under CI) to the configured one. The worker process must use the same.
    broker = celery_app.conf.broker_url
    client = require_redis(broker)
    client.flushdb()
    settings.NEWSLETTER_SENDING_LEASE = 2.0
    for n in range(5):
        make_subscriber(f"r{n}@example.com")
    smtp_server.hold_after = 2
    worker = _worker_process(smtp_server.port, tmp_path, broker)
    try:
        # When the mailing starts and the worker is killed (SIGKILL: no clean-up at all) while
        # the server holds the third message
        mailing = issue_delivery_start(issue_id=sample_issue.pk)
        if not smtp_server.holding.wait(60):
            worker.kill()
            log = worker.communicate(timeout=10)[1].decode(errors="replace")
            pytest.fail(f"the worker sent nothing: {log[-3000:]}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        smtp_server.release.set()
        killed_at = timezone.now()

        # Then two messages are sent, the third is held by the dead worker, two wait
        states = dict(SendLog.objects.values_list("subscriber__email", "state"))
        assert sorted(states.values()) == [SendState.PENDING] * 2 + [SendState.SENDING] + [SendState.SENT] * 2
        in_flight = next(email for email, state in states.items() if state == SendState.SENDING)

        # When a new worker runs, and the periodic check (Celery beat's task) comes after the lease
        time.sleep(2.5)
        with start_worker(celery_app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
            resume_deliveries_task.delay()
            _wait(lambda: Mailing.objects.filter(pk=mailing.pk, finished_at__isnull=False).exists(), 60, "the mailing")
    finally:
        if worker.poll() is None:
            worker.kill()
        _use_broker(previous_broker)
        client.flushdb()

    # Then every subscriber received the issue exactly once (the held message was received
    # by the server before the kill), and its row says the outcome is unknown, for a chief
    # editor to resolve; it was not sent again
    recipients = sorted(r for message in smtp_server.messages for r in message.rcpt_tos)
    assert recipients == [f"r{n}@example.com" for n in range(5)]
    final = dict(SendLog.objects.values_list("subscriber__email", "state"))
    assert final.pop(in_flight) == SendState.UNKNOWN
    assert set(final.values()) == {SendState.SENT}
    assert SendLog.objects.get(subscriber__email=in_flight).updated_at > killed_at
