"""Sending against a real SMTP server: never twice, temporary and permanent refusals, a worker
lost mid-message, the rate limit, a withdrawn issue."""

import datetime
import itertools
import threading

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from editorial.workflow import issue_withdraw
from papernotes.delivery import sending
from papernotes.delivery.services import issue_delivery_start, mailing_resolve_unknown
from papernotes.models import DeliveryEvent, DeliveryEventType, SendLog, SendState, SubscriberStatus
from tests.support.delivery import make_subscriber

pytestmark = pytest.mark.django_db


def _make_due(mailing) -> None:
    """Time passes: every deferred message of the mailing is due now."""
    SendLog.objects.filter(mailing=mailing, state=SendState.PENDING).update(next_attempt_at=timezone.now())


def test_a_temporary_refusal_is_retried_later_with_backoff_and_sent_once(smtp_server, sample_issue):
    # Given the server answers 451 to one recipient once
    subscriber = make_subscriber("busy@example.com")
    smtp_server.refuse("busy@example.com", "451 4.2.0 Mailbox busy, try again later")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)

    # When the first batch runs, the message waits about NEWSLETTER_RETRY_BACKOFF seconds
    before = timezone.now()
    result = sending.send_batch(mailing_id=mailing.pk)
    log = SendLog.objects.get(subscriber=subscriber)
    assert (result.sent, result.deferred) == (0, 1)
    assert log.state == SendState.PENDING and log.attempts == 1
    assert log.last_error.startswith("451 4.2.0")
    assert datetime.timedelta(seconds=59) < log.next_attempt_at - before < datetime.timedelta(seconds=62)
    assert 55 < result.next_in <= 60

    # and a batch before that time sends nothing
    assert sending.send_batch(mailing_id=mailing.pk).sent == 0

    # When the time has come, it is sent, once
    _make_due(mailing)
    result = sending.send_batch(mailing_id=mailing.pk)
    assert result.sent == 1 and result.next_in is None
    assert len(smtp_server.received_by("busy@example.com")) == 1
    log.refresh_from_db()
    assert log.state == SendState.SENT and log.attempts == 2
    mailing.refresh_from_db()
    assert mailing.finished_at is not None


def test_a_permanent_refusal_is_not_retried_and_suppresses_the_address(smtp_server, sample_issue):
    gone = make_subscriber("gone@example.com")
    make_subscriber("fine@example.com")
    smtp_server.refuse("gone@example.com", "550 5.1.1 No such user here")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)

    result = sending.send_batch(mailing_id=mailing.pk)

    assert (result.sent, result.failed, result.next_in) == (1, 1, None)
    log = SendLog.objects.get(subscriber=gone)
    assert log.state == SendState.FAILED and log.smtp_response.startswith("550 5.1.1")
    gone.refresh_from_db()
    assert gone.status == SubscriberStatus.BOUNCED and "smtp" in gone.suppression_reason
    event = DeliveryEvent.objects.get(subscriber=gone)
    assert event.event_type == DeliveryEventType.BOUNCE and event.detail["code"] == 550
    # The server would accept it now; nobody tries again, and the next issue skips the address
    _make_due(mailing)
    sending.send_batch(mailing_id=mailing.pk)
    assert smtp_server.received_by("gone@example.com") == []


def test_temporary_refusals_end_after_the_last_attempt(smtp_server, sample_issue, settings):
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    subscriber = make_subscriber("full@example.com")
    smtp_server.refuse("full@example.com", *["452 4.2.2 Mailbox full"] * 5)
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    for _attempt in range(4):
        sending.send_batch(mailing_id=mailing.pk)
        _make_due(mailing)
    log = SendLog.objects.get(subscriber=subscriber)
    assert log.state == SendState.FAILED and log.attempts == 3
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED  # a full mailbox is no bounce
    assert smtp_server.rcpt_replies["full@example.com"] == ["452 4.2.2 Mailbox full"] * 2


def test_a_server_that_cannot_be_reached_leaves_every_message_waiting(smtp_server, sample_issue):
    make_subscriber("a@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    smtp_server.stop()
    with pytest.raises(sending.TransportFailure):
        sending.send_batch(mailing_id=mailing.pk)
    log = SendLog.objects.get()
    assert (log.state, log.attempts) == (SendState.PENDING, 0)


def test_a_421_closing_the_connection_defers_that_message_and_the_batch_goes_on(smtp_server, sample_issue):
    make_subscriber("first@example.com")
    make_subscriber("second@example.com")
    smtp_server.refuse("first@example.com", "421 4.3.2 Service shutting down")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    result = sending.send_batch(mailing_id=mailing.pk)
    assert (result.sent, result.deferred) == (1, 1)
    assert len(smtp_server.received_by("second@example.com")) == 1


def test_a_message_claimed_by_a_lost_worker_is_never_sent_again_by_itself(smtp_server, sample_issue, settings):
    # Given three subscribers, and a worker that claimed the first message and died
    # (it may or may not have handed it to the server)
    for n in range(3):
        make_subscriber(f"r{n}@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    lost = sending.claim_next(mailing_id=mailing.pk)
    lost_address = lost.subscriber.email

    # When another worker runs the mailing
    result = sending.send_batch(mailing_id=mailing.pk)

    # Then it sends the two others, and leaves the claimed one alone (it looks again after the lease)
    assert result.sent == 2
    assert smtp_server.received_by(lost_address) == []
    assert 590 < result.next_in <= 600

    # When the lease is over, the message is "unknown": not sent, and the mailing is done
    SendLog.objects.filter(pk=lost.pk).update(claimed_at=timezone.now() - datetime.timedelta(seconds=601))
    result = sending.send_batch(mailing_id=mailing.pk)
    assert result.next_in is None and result.sent == 0
    lost.refresh_from_db()
    assert lost.state == SendState.UNKNOWN and "自動では再送しません" in lost.last_error
    assert smtp_server.received_by(lost_address) == []

    # When a chief editor decides to send it again, it goes once, with the same Message-ID
    assert mailing_resolve_unknown(mailing_id=mailing.pk, resend=True, user=None) == 1
    sending.send_batch(mailing_id=mailing.pk)
    [copy] = smtp_server.received_by(lost_address)
    assert copy.message["Message-ID"] == lost.message_id
    lost.refresh_from_db()
    assert lost.state == SendState.SENT


def test_an_unknown_message_can_be_counted_as_sent(sample_issue):
    make_subscriber("r@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    row = sending.claim_next(mailing_id=mailing.pk)
    SendLog.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - datetime.timedelta(hours=1))
    assert sending.mark_stale_sending_unknown() == 1
    assert mailing_resolve_unknown(mailing_id=mailing.pk, resend=False, user=None) == 1
    row.refresh_from_db()
    assert row.state == SendState.SENT and row.sent_at


def test_the_rate_limit_spaces_messages_and_the_server_never_refuses(smtp_server, sample_issue, settings):
    # Given a server that accepts at most 5 messages a second, and our limit a little under
    # it, as the README advises (we pace at MAIL FROM, the server counts at RCPT: a loaded
    # machine's jitter between the two must not turn into a refusal)
    smtp_server.max_per_second = 5
    settings.NEWSLETTER_MIN_INTERVAL = 0.3
    for n in range(7):
        make_subscriber(f"r{n}@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)

    result = sending.send_batch(mailing_id=mailing.pk)

    # Then all went through, none refused, spaced by the limit
    assert result.sent == 7 and smtp_server.rate_limited == 0
    times = [message.at for message in smtp_server.messages]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) > 0.15, gaps
    assert times[-1] - times[0] >= 6 * 0.3 - 0.1


def test_without_pacing_the_same_server_refuses_and_the_refused_wait(smtp_server, sample_issue, settings):
    # The check above is not vacuous: unpaced, this server's limit bites, as 451s.
    smtp_server.max_per_second = 5
    for n in range(8):
        make_subscriber(f"r{n}@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    result = sending.send_batch(mailing_id=mailing.pk)
    assert smtp_server.rate_limited >= 1
    assert result.deferred == smtp_server.rate_limited and result.sent == 8 - result.deferred


def test_a_withdrawn_issue_sends_nothing_more(smtp_server, sample_issue):
    make_subscriber("r@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    issue_withdraw(issue=sample_issue, actor=None, comment="誤りがあったため")
    result = sending.send_batch(mailing_id=mailing.pk)
    assert result.next_in is None and not smtp_server.messages
    assert SendLog.objects.get().state == SendState.SKIPPED


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_mailing_send_each_message_once(smtp_server, sample_issue):
    # Given twelve subscribers and two workers running the same mailing at once
    for n in range(12):
        make_subscriber(f"r{n}@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    errors = []

    def worker():
        try:
            sending.send_batch(mailing_id=mailing.pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Then every subscriber got exactly one message
    assert not errors
    recipients = sorted(r for message in smtp_server.messages for r in message.rcpt_tos)
    assert recipients == sorted(f"r{n}@example.com" for n in range(12))
    assert set(SendLog.objects.values_list("state", flat=True)) == {SendState.SENT}
