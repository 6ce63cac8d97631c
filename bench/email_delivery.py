"""Email delivery: the send rate against an SMTP server's limit, and the pipeline against a plain loop.

Prints figures, not a verdict. A real SMTP server (aiosmtpd, tests/support/smtp_server.py)
runs on loopback; the sample issue (10 papers, 100 Q&A, about 300 kB a message with its
HTML) goes to N confirmed subscribers on a scratch SQLite database.

1. Against a server that accepts at most L messages a second (more are refused with 451):
   - the pipeline (``papernotes.delivery.sending.send_batch``, what the worker runs: claim a
     send-log row, render the footer, wait for the shared rate limiter, send, record) with
     ``NEWSLETTER_MESSAGES_PER_SECOND`` = L;
   - the baseline: the same messages sent in a plain loop over one SMTP connection, as
     fast as it goes.
2. Against the same server without a limit, time to deliver the issue: the pipeline
   unpaced vs two plain loops over one connection: Django building each message and
   sending it (what the pipeline does minus the send log, the limiter and the footer),
   and the bytes built beforehand (the SMTP conversation alone).

Usage: .venv/bin/python bench/email_delivery.py [--subscribers 200] [--limit 10]
"""

import argparse
import os
import smtplib
import time

import scratch_django

scratch_django.setup(CELERY_BROKER_URL="memory://")  # tasks are not run: the bench drives the batches
REPO = scratch_django.REPO

from django.conf import settings
from django.core.mail import get_connection
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from papernotes.delivery import sending
from papernotes.delivery.content import issue_content
from papernotes.delivery.services import issue_delivery_start
from papernotes.models import Mailing, SendLog, SendState, Subscriber, SubscriberStatus, WeeklyIssue
from tests.support.smtp_server import SmtpServer

SAMPLE = REPO / "sample_data" / "weekly-issue-2024-04-29.txt"


def configure(server: SmtpServer, *, per_second: float) -> None:
    settings.EMAIL_BACKEND = "papernotes.delivery.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.NEWSLETTER_MIN_INTERVAL = 1.0 / per_second if per_second else 0.0
    settings.NEWSLETTER_BATCH_SIZE = 100_000
    settings.NEWSLETTER_BATCH_SECONDS = 3600.0


def run_pipeline(issue: WeeklyIssue) -> tuple[float, dict]:
    """Deliver the issue as the worker would (batches until nothing is due); seconds and states."""
    Mailing.objects.filter(issue=issue).delete()
    started = time.perf_counter()
    with transaction.atomic():
        mailing = issue_delivery_start(issue_id=issue.pk)
    while True:
        result = sending.send_batch(mailing_id=mailing.pk)
        if result.next_in is None or result.next_in > 0:
            break  # finished, or only deferred (refused) messages are left
    elapsed = time.perf_counter() - started
    states = {state: SendLog.objects.filter(mailing=mailing, state=state).count() for state in SendState.values}
    return elapsed, states


def build_messages(issue: WeeklyIssue) -> list[tuple[str, list[str], bytes]]:
    """The same messages the pipeline sends (one per subscriber), as bytes, built beforehand."""
    mailing = Mailing(pk=0, issue=issue)
    content = issue_content(mailing=mailing)
    out = []
    for subscriber in Subscriber.objects.order_by("pk"):
        message = content.message(subscriber=subscriber)
        out.append((message.from_email, message.recipients(), message.message().as_bytes(linesep="\r\n")))
    return out


def run_django_loop(issue: WeeklyIssue) -> tuple[float, int]:
    """One connection of Django's own SMTP backend (unpaced), each message built and sent in turn."""
    content = issue_content(mailing=Mailing(pk=0, issue=issue))
    subscribers = list(Subscriber.objects.order_by("pk"))
    started = time.perf_counter()
    with get_connection("django.core.mail.backends.smtp.EmailBackend") as connection:
        sent = sum(connection.send_messages([content.message(subscriber=s)]) for s in subscribers)
    return time.perf_counter() - started, sent


def run_plain_loop(server: SmtpServer, messages) -> tuple[float, int, int]:
    """One SMTP connection, one sendmail per message; seconds, accepted, refused."""
    accepted = refused = 0
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", server.port) as smtp:
        for from_email, recipients, data in messages:
            try:
                smtp.sendmail(from_email, recipients, data)
                accepted += 1
            except smtplib.SMTPRecipientsRefused:
                refused += 1
    return time.perf_counter() - started, accepted, refused


def start_rate(server: SmtpServer, since: int = 0) -> float:
    times = [message.at for message in server.messages[since:]]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--limit", type=int, default=10, help="the SMTP server's limit, messages per second")
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("import_issue", str(SAMPLE), stdout=quiet)
    issue = WeeklyIssue.objects.get()
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n:05d}@example.com", status=SubscriberStatus.CONFIRMED, confirmed_at=now)
        for n in range(options.subscribers)
    )
    n, limit = options.subscribers, options.limit
    messages = build_messages(issue)
    size = sum(len(data) for _f, _r, data in messages) / len(messages)
    print(f"sample issue to {n} subscribers, {size / 1024:.0f} kB a message (text + HTML)")

    with SmtpServer(max_per_second=limit) as server:
        configure(server, per_second=limit)
        seconds, states = run_pipeline(issue)
        rate = start_rate(server)
        print(f"\n1. server limit {limit} messages/s (451 beyond it)")
        print(
            f"  pipeline at NEWSLETTER_MESSAGES_PER_SECOND={limit}: {seconds:.2f} s, "
            f"{n / seconds:.1f} messages/s overall, {rate:.1f}/s between first and last accepted; "
            f"sent {states['sent']}, refused by the server {server.rate_limited}, deferred {states['pending']}"
        )
        time.sleep(1.1)  # let the server's one-second window empty
        before, refused_before = len(server.messages), server.rate_limited
        seconds, accepted, refused = run_plain_loop(server, messages)
        print(
            f"  baseline plain loop, one connection: {seconds:.2f} s, accepted {accepted}, "
            f"refused {refused} ({refused / n:.0%}) — {accepted / seconds:.1f} accepted/s"
        )
        assert server.rate_limited - refused_before == refused and len(server.messages) - before == accepted

    with SmtpServer() as server:
        configure(server, per_second=0)
        pipeline_seconds, states = run_pipeline(issue)
        django_seconds, django_sent = run_django_loop(issue)
        loop_seconds, accepted, _refused = run_plain_loop(server, messages)
        print("\n2. server without a limit: time to deliver the issue")
        for label, seconds, sent in (
            ("pipeline unpaced (send log, limiter, footer)", pipeline_seconds, states["sent"]),
            ("baseline: Django builds and sends each, one connection", django_seconds, django_sent),
            ("baseline: prebuilt bytes, smtplib, one connection", loop_seconds, accepted),
        ):
            per_message = seconds / n * 1000
            print(f"  {label}: {seconds:.2f} s ({sent / seconds:.1f} messages/s, {per_message:.1f} ms a message)")
        print(
            f"  pipeline / Django loop: {pipeline_seconds / django_seconds:.2f}x "
            f"({(pipeline_seconds - django_seconds) / n * 1000:+.1f} ms a message); "
            f"building a {size / 1024:.0f} kB MIME message is {(django_seconds - loop_seconds) / n * 1000:.1f} ms of it"
        )


if __name__ == "__main__":
    main()
