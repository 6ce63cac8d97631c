"""Sending a mailing: claim one message, send it, record what the SMTP server said.

Never twice: a message's send-log row is claimed (``pending`` → ``sending``, committed)
*before* the SMTP conversation starts, and its outcome is committed right after. Any
number of workers, a task delivered twice (``acks_late``) or a worker restarted mid-batch
only ever claim rows still ``pending``.

A worker that dies between the claim and the outcome leaves the row ``sending``. Whether
the server accepted that message cannot be known, so it is never re-sent by itself: once
its claim is older than ``NEWSLETTER_SENDING_LEASE`` the row becomes ``unknown``, and a
chief editor decides (count it as sent, or send it again with the same Message-ID). The
same holds when the connection breaks during DATA. The policy is at-most-once for every
message nobody looked at.

SMTP replies (``papernotes.delivery.smtp.classify``): 4xx for the recipient → the
message waits ``NEWSLETTER_RETRY_BACKOFF`` × 2^(attempts-1) seconds and is tried again, up to
``NEWSLETTER_MAX_ATTEMPTS``; 5xx for the recipient → failed, never retried, and the
address is suppressed as bounced; a failure before the message was handed over (server
down, MAIL FROM refused, authentication) → the message is put back (that try not
counted) and the batch stops, for the task to retry later.

Rate: the SMTP backend (``papernotes.delivery.smtp``) makes every message wait for its
turn at the shared limiter ``newsletter`` (``NEWSLETTER_MESSAGES_PER_SECOND`` /
``_PER_MINUTE``, in Redis when ``REDIS_URL`` is set, so all workers together keep to the
SMTP server's limit) at MAIL FROM; a turn that does not come in time is a transport
failure (the batch stops and is retried). The console and file backends are not paced.
"""

import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.delivery.content import IssueContent, IssueNotPublic, confirmation_message, issue_content, message_id
from papernotes.delivery.smtp import SmtpFailure, classify
from papernotes.delivery.suppression import subscriber_record_event
from papernotes.models import DeliveryEventType, Mailing, SendLog, SendState, Subscriber, SubscriberStatus

logger = logging.getLogger(__name__)

class TransportFailure(Exception):
    """The SMTP server could not be used (down, refusing our sender, authentication):
    nothing was handed over; try the batch again later."""

    def __init__(self, failure: SmtpFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class BatchResult:
    """What a batch did and what is left: ``next_in`` seconds until more work is due
    (0: now; None: nothing left, the mailing is finished)."""

    sent: int
    failed: int
    deferred: int
    unknown: int
    next_in: float | None


def _phase(connection) -> str:
    return getattr(getattr(connection, "connection", None), "phase", "")


def _reply(connection) -> str:
    return getattr(getattr(connection, "connection", None), "last_reply", "")


# -- the send log ------------------------------------------------------------------------------


def mark_stale_sending_unknown(*, mailing_id: int | None = None) -> int:
    """Rows claimed longer ago than the lease and still ``sending``: their worker died. → ``unknown``."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.NEWSLETTER_SENDING_LEASE)
    rows = SendLog.objects.filter(state=SendState.SENDING, claimed_at__lt=cutoff)
    if mailing_id is not None:
        rows = rows.filter(mailing_id=mailing_id)
    count = rows.update(
        state=SendState.UNKNOWN,
        last_error=_(
            "送信中に処理が止まりました(ワーカーの停止など)。届いたかどうか不明のため、自動では再送しません。"
        ),
        updated_at=timezone.now(),
    )
    if count:
        logger.warning("%d message(s) of mailing %s left 'sending' by a lost worker: now 'unknown'", count, mailing_id)
    return count


@transaction.atomic
def claim_next(*, mailing_id: int) -> SendLog | None:
    """Claim the next due message of the mailing (committed before anything is sent).

    Rows of subscribers who left meanwhile are marked ``skipped`` on the way.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    while True:
        row = (
            SendLog.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, mailing_id=mailing_id, state=SendState.PENDING)
            .select_related("subscriber")
            .order_by("pk")
            .first()
        )
        if row is None:
            return None
        if row.subscriber.status != SubscriberStatus.CONFIRMED:
            row.state = SendState.SKIPPED
            row.last_error = _("購読者の状態が「{status}」のため送りません。").format(
                status=row.subscriber.get_status_display()
            )
            row.save(update_fields=["state", "last_error", "updated_at"])
            continue
        row.state = SendState.SENDING
        row.attempts += 1
        row.claimed_at = now
        row.message_id = message_id(mailing_id=mailing_id, subscriber_id=row.subscriber_id)
        row.save(update_fields=["state", "attempts", "claimed_at", "message_id", "updated_at"])
        return row


def _finish(row: SendLog, **fields) -> None:
    """Write a claimed row's outcome (only while it is still ours: ``sending``) and the heartbeat."""
    now = timezone.now()
    with transaction.atomic():
        SendLog.objects.filter(pk=row.pk, state=SendState.SENDING).update(updated_at=now, **fields)
        Mailing.objects.filter(pk=row.mailing_id).update(heartbeat_at=now)


def record_sent(row: SendLog, *, reply: str) -> None:
    _finish(row, state=SendState.SENT, sent_at=timezone.now(), smtp_response=reply[:500], last_error="")


def record_failure(row: SendLog, failure: SmtpFailure) -> str:
    """Write a failed message's outcome; returns the row's new state."""
    if failure.kind == "permanent":
        _finish(row, state=SendState.FAILED, smtp_response=failure.message[:500], last_error=failure.message)
        subscriber_record_event(
            email=row.subscriber.email,
            event_type=DeliveryEventType.BOUNCE,
            source="smtp",
            detail={"code": failure.code, "reply": failure.message, "mailing": row.mailing_id},
        )
        return SendState.FAILED
    if failure.kind == "unknown":
        _finish(row, state=SendState.UNKNOWN, last_error=failure.message)
        return SendState.UNKNOWN
    if failure.kind == "transport":
        # Nothing was handed over: put it back; this try does not count.
        _finish(row, state=SendState.PENDING, attempts=F("attempts") - 1, last_error=failure.message)
        return SendState.PENDING
    if row.attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        _finish(row, state=SendState.FAILED, smtp_response=failure.message[:500], last_error=failure.message)
        return SendState.FAILED
    delay = settings.NEWSLETTER_RETRY_BACKOFF * 2 ** (row.attempts - 1)
    _finish(
        row,
        state=SendState.PENDING,
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
        smtp_response=failure.message[:500],
        last_error=failure.message,
    )
    return SendState.PENDING


def _skip_all_pending(mailing_id: int, reason: str) -> None:
    SendLog.objects.filter(mailing_id=mailing_id, state=SendState.PENDING).update(
        state=SendState.SKIPPED, last_error=reason, updated_at=timezone.now()
    )


def what_is_left(*, mailing_id: int) -> float | None:
    """Seconds until the mailing has due work (0: now), or None when it is finished (then marked so)."""
    rows = SendLog.objects.filter(mailing_id=mailing_id)
    now = timezone.now()
    pending = rows.filter(state=SendState.PENDING).aggregate(first=Min("next_attempt_at"), n=Min("pk"))
    if pending["n"] is not None:
        due = rows.filter(state=SendState.PENDING).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        if due.exists():
            return 0.0
        return max((pending["first"] - now).total_seconds(), 0.0)
    sending = rows.filter(state=SendState.SENDING).aggregate(first=Min("claimed_at"))["first"]
    if sending is not None:
        # Another worker holds a message (or died holding it): look again when its lease ends.
        lease_end = sending + datetime.timedelta(seconds=settings.NEWSLETTER_SENDING_LEASE)
        return max((lease_end - now).total_seconds(), 1.0)
    Mailing.objects.filter(pk=mailing_id, finished_at__isnull=True).update(finished_at=now)
    return None


def mailings_needing_a_worker(*, stale_after: float) -> list[int]:
    """Mailings whose worker went silent ``stale_after`` seconds ago although a message has
    been due that long (a task lost with its worker, or never enqueued)."""
    since = timezone.now() - datetime.timedelta(seconds=stale_after)
    overdue = SendLog.objects.filter(state=SendState.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=since)
    )
    silent = Q(heartbeat_at__isnull=True, created_at__lt=since) | Q(heartbeat_at__lt=since)
    mailings = Mailing.objects.filter(silent, finished_at__isnull=True, pk__in=overdue.values("mailing_id"))
    return list(mailings.values_list("pk", flat=True))


# -- the batch ----------------------------------------------------------------------------------


def send_batch(*, mailing_id: int, max_messages: int | None = None, max_seconds: float | None = None) -> BatchResult:
    """Send up to ``max_messages`` due messages of the mailing within about ``max_seconds``.

    Raises :class:`TransportFailure` when the SMTP server cannot be used (nothing lost:
    the current message is put back).
    """
    max_messages = max_messages or settings.NEWSLETTER_BATCH_SIZE
    deadline = time.monotonic() + (max_seconds or settings.NEWSLETTER_BATCH_SECONDS)
    mark_stale_sending_unknown(mailing_id=mailing_id)
    mailing = Mailing.objects.select_related("issue").filter(pk=mailing_id).first()
    if mailing is None:  # a task of a deleted mailing (or of another database)
        logger.warning("mailing %s does not exist; nothing to send", mailing_id)
        return BatchResult(0, 0, 0, 0, None)
    Mailing.objects.filter(pk=mailing_id).update(heartbeat_at=timezone.now())
    try:
        content = issue_content(mailing=mailing)
    except IssueNotPublic:
        _skip_all_pending(mailing_id, _("号が公開されていない(取り下げられた)ため送りません。"))
        return BatchResult(0, 0, 0, 0, what_is_left(mailing_id=mailing_id))
    counts = {SendState.SENT: 0, SendState.FAILED: 0, SendState.PENDING: 0, SendState.UNKNOWN: 0}
    connection = get_connection(fail_silently=False)
    try:
        _open(connection)
        for _number in range(max_messages):
            if time.monotonic() > deadline:
                break
            row = claim_next(mailing_id=mailing_id)
            if row is None:
                break
            state = _send_one(connection, content, row)
            counts[state] += 1
    finally:
        connection.close()
    return BatchResult(
        sent=counts[SendState.SENT],
        failed=counts[SendState.FAILED],
        deferred=counts[SendState.PENDING],
        unknown=counts[SendState.UNKNOWN],
        next_in=what_is_left(mailing_id=mailing_id),
    )


def _open(connection) -> None:
    try:
        connection.open()
    except Exception as error:
        raise TransportFailure(classify(error, phase="connect")) from error


def _send_one(connection, content: IssueContent, row: SendLog) -> str:
    """Send one claimed message and record the outcome; returns the row's new state."""
    try:
        message = content.message(subscriber=row.subscriber, connection=connection)
    except Exception as error:  # a bug: recorded on the row, not retried, then raised for the logs
        _finish(row, state=SendState.FAILED, last_error=f"internal error: {type(error).__name__}: {error}")
        raise
    try:
        connection.send_messages([message])
    except Exception as error:
        failure = classify(error, phase=_phase(connection))
        state = record_failure(row, failure)
        logger.info("mailing %s to %s: %s (%s)", row.mailing_id, row.subscriber.email, failure.kind, failure.message)
        if failure.kind in ("transport", "unknown") or failure.code == 421:
            # The connection is broken (or the server closed it, 421): open a new one, or
            # stop the batch if the server is gone.
            connection.close()
            if failure.kind == "transport":
                raise TransportFailure(failure) from error
            _open(connection)
        return state
    record_sent(row, reply=_reply(connection))
    return SendState.SENT


# -- confirmation emails ---------------------------------------------------------------------------


def send_confirmation(*, subscriber_id: int) -> bool:
    """Send the double opt-in email; returns whether it was handed over.

    A permanent refusal suppresses the address (bounced). A temporary failure raises
    :class:`TransportFailure` (or an SMTP 4xx as one) for the task to retry.
    """
    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=SubscriberStatus.PENDING).first()
    if subscriber is None:
        return False  # confirmed, unsubscribed or suppressed since it was asked for
    connection = get_connection(fail_silently=False)
    try:
        _open(connection)
        connection.send_messages([confirmation_message(subscriber=subscriber, connection=connection)])
    except TransportFailure:
        raise
    except Exception as error:
        failure = classify(error, phase=_phase(connection))
        if failure.kind == "permanent":
            subscriber_record_event(
                email=subscriber.email,
                event_type=DeliveryEventType.BOUNCE,
                source="smtp",
                detail={"code": failure.code, "reply": failure.message, "confirmation": True},
            )
            return False
        if failure.kind == "unknown":
            logger.warning("confirmation to %s: outcome unknown (%s)", subscriber.email, failure.message)
            return False
        raise TransportFailure(failure) from error
    finally:
        connection.close()
    return True
