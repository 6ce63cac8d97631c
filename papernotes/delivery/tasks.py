"""Celery tasks of email delivery: thin wrappers around ``papernotes.delivery.sending``.

Tasks take ids, are enqueued after the transaction that asked for them commits, have
time limits, and are safe to run twice (a message is claimed before it is sent).
``send_mailing_task`` sends one batch and enqueues the next (at once, or when the next
deferred message is due); ``resume_deliveries_task`` (Celery beat, every minute) turns
messages left ``sending`` by a lost worker into ``unknown`` and restarts mailings whose
worker went silent (a task lost with its worker: Redis redelivers unacknowledged tasks
only after the broker's visibility timeout).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from papernotes.delivery import sending
from papernotes.external.retries import backoff

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(
    **TASK_OPTIONS, name="papernotes.delivery.send_mailing_task", max_retries=20, soft_time_limit=240, time_limit=300
)
def send_mailing_task(self, mailing_id: int) -> dict | None:
    """Send one batch of a mailing, then hand on to the next batch."""
    try:
        result = sending.send_batch(mailing_id=mailing_id, max_seconds=min(settings.NEWSLETTER_BATCH_SECONDS, 180.0))
    except sending.TransportFailure as error:
        logger.warning("mailing %s: SMTP server unusable (%s); retrying later", mailing_id, error)
        raise self.retry(exc=error, countdown=backoff(self.request.retries, base=30.0)) from error
    except (OperationalError, SoftTimeLimitExceeded) as error:
        # A claimed message stays "sending" and becomes "unknown" after its lease: never sent twice.
        raise self.retry(exc=error, countdown=backoff(self.request.retries, base=10.0)) from error
    # (Run eagerly, a countdown would not wait: a deferred message is left to the periodic check.)
    if result.next_in is not None and not (self.request.is_eager and result.next_in > 0):
        send_mailing_task.apply_async((mailing_id,), countdown=result.next_in or None)
    logger.info("mailing %s: batch %s", mailing_id, result)
    return {"sent": result.sent, "failed": result.failed, "deferred": result.deferred, "unknown": result.unknown}


@shared_task(
    **TASK_OPTIONS,
    name="papernotes.delivery.send_confirmation_task",
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_confirmation_task(self, subscriber_id: int) -> bool:
    """Send the double opt-in email of one subscriber (retried on temporary failures)."""
    try:
        return sending.send_confirmation(subscriber_id=subscriber_id)
    except sending.TransportFailure as error:
        raise self.retry(exc=error, countdown=backoff(self.request.retries, base=30.0)) from error


@shared_task(bind=True, name="papernotes.delivery.resume_deliveries_task", soft_time_limit=60, time_limit=90)
def resume_deliveries_task(self) -> list[int]:
    """Beat: messages of lost workers → unknown; silent mailings with work left → a new batch."""
    sending.mark_stale_sending_unknown()
    resumed = sending.mailings_needing_a_worker(stale_after=settings.NEWSLETTER_SENDING_LEASE)
    for mailing_id in resumed:
        send_mailing_task.delay(mailing_id)
    if resumed:
        logger.info("resumed mailings %s", resumed)
    return resumed
