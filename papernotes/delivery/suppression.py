"""Bounces and complaints: recorded as reported, and the address suppressed for good.

Used by the webhook, ``manage.py delivery_event`` and the sender itself (a permanent SMTP
refusal is a bounce reported by our own server).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.models import DeliveryEvent, DeliveryEventType, Subscriber, SubscriberStatus


class DeliveryError(Exception):
    """A delivery request was refused; ``message`` says why, in Japanese. Nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_email(email: str) -> str:
    """One spelling per address: surrounding blanks dropped, lower case (mail systems in
    practice treat the local part case-insensitively, and two rows for one inbox would
    mean two copies of every issue)."""
    return email.strip().lower()


SUPPRESSING_EVENTS = {
    DeliveryEventType.BOUNCE: SubscriberStatus.BOUNCED,
    DeliveryEventType.COMPLAINT: SubscriberStatus.COMPLAINED,
}


@transaction.atomic
def subscriber_record_event(*, email: str, event_type: str, source: str, detail: dict | None = None) -> DeliveryEvent:
    """Record a bounce or complaint report; a hard bounce or a complaint suppresses the address.

    A report on an address we do not know is recorded all the same (a provider may report
    on mail this site did not send). A soft bounce is recorded and suppresses nothing.
    """
    if event_type not in DeliveryEventType.values:
        raise DeliveryError(_("不明なイベントの種類です: {kind}").format(kind=event_type))
    email = normalise_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    event = DeliveryEvent.objects.create(
        subscriber=subscriber, email=email, event_type=event_type, source=source, detail=detail or {}
    )
    status = SUPPRESSING_EVENTS.get(event_type)
    if subscriber is not None and status is not None:
        _suppress(subscriber, status=status, reason=f"{event.get_event_type_display()} ({source})")
    return event


def _suppress(subscriber: Subscriber, *, status: str, reason: str) -> None:
    # A complaint outranks a bounce; a suppressed address is never made sendable here.
    if subscriber.status == SubscriberStatus.COMPLAINED:
        return
    subscriber.status = status
    subscriber.suppressed_at = timezone.now()
    subscriber.suppression_reason = reason
    subscriber.save()


@transaction.atomic
def events_record(*, events: list, source: str) -> list[DeliveryEvent]:
    """Record several reports (one webhook call) together: all or nothing."""
    return [
        subscriber_record_event(email=event.email, event_type=event.event_type, source=source, detail=event.detail)
        for event in events
    ]
