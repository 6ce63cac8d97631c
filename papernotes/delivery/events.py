"""Bounce and complaint reports from a mail provider, read into one shape.

Two payloads are understood (both JSON, in one POST):

- generic: ``{"type": "bounce" | "soft_bounce" | "complaint", "email": "a@example.com",
  "reason": "..."}``, or ``{"events": [ ... ]}`` for several;
- Amazon SES notifications delivered by SNS: the SNS envelope (``"Type": "Notification"``)
  whose ``Message`` is SES's JSON, ``notificationType`` (or ``eventType``) ``Bounce``
  (``bounceType`` ``Permanent`` → bounce, else soft bounce) or ``Complaint``, with their
  recipients. An SNS ``SubscriptionConfirmation`` is answered with the URL to visit (an
  operator confirms it once; the site makes no outgoing call).
"""

import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from papernotes.models import DeliveryEventType


class PayloadError(ValueError):
    """The body is not a report we understand; ``str()`` says why, in Japanese."""


@dataclass(frozen=True)
class ReportedEvent:
    email: str
    event_type: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedReport:
    source: str
    events: list[ReportedEvent]
    subscribe_url: str = ""


GENERIC_TYPES = {
    "bounce": DeliveryEventType.BOUNCE,
    "hard_bounce": DeliveryEventType.BOUNCE,
    "soft_bounce": DeliveryEventType.SOFT_BOUNCE,
    "complaint": DeliveryEventType.COMPLAINT,
}


def parse_report(body: bytes) -> ParsedReport:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(_("本文が JSON ではありません。")) from error
    if not isinstance(data, dict):
        raise PayloadError(_("本文は JSON オブジェクトにしてください。"))
    if "Type" in data and "TopicArn" in data:
        return _sns(data)
    items = data.get("events", [data])
    if not isinstance(items, list) or not items:
        raise PayloadError(_("events は空でないリストにしてください。"))
    return ParsedReport(source="webhook", events=[_generic(item) for item in items])


def _email(value) -> str:
    if not isinstance(value, str) or "@" not in value or len(value) > 254:
        raise PayloadError(_("email にメールアドレスを指定してください。"))
    return value.strip()


def _generic(item) -> ReportedEvent:
    if not isinstance(item, dict):
        raise PayloadError(_("イベントは JSON オブジェクトにしてください。"))
    kind = GENERIC_TYPES.get(str(item.get("type", "")).lower())
    if kind is None:
        raise PayloadError(_("type は bounce、soft_bounce、complaint のいずれかにしてください。"))
    reason = item.get("reason")
    return ReportedEvent(
        email=_email(item.get("email")), event_type=kind, detail={"reason": str(reason)[:1000]} if reason else {}
    )


def _sns(envelope: dict) -> ParsedReport:
    kind = envelope.get("Type")
    if kind == "SubscriptionConfirmation":
        return ParsedReport(source="ses", events=[], subscribe_url=str(envelope.get("SubscribeURL", "")))
    if kind != "Notification":
        return ParsedReport(source="ses", events=[])
    try:
        message = json.loads(envelope.get("Message") or "")
    except ValueError as error:
        raise PayloadError(_("SNS の Message が JSON ではありません。")) from error
    if not isinstance(message, dict):
        raise PayloadError(_("SNS の Message が JSON オブジェクトではありません。"))
    notification = message.get("notificationType") or message.get("eventType")
    detail = {
        "sns_message_id": envelope.get("MessageId", ""),
        "ses_message_id": message.get("mail", {}).get("messageId", ""),
    }
    if notification == "Bounce":
        bounce = message.get("bounce") or {}
        kind = DeliveryEventType.BOUNCE if bounce.get("bounceType") == "Permanent" else DeliveryEventType.SOFT_BOUNCE
        recipients = bounce.get("bouncedRecipients") or []
        detail |= {"bounce_type": bounce.get("bounceType", ""), "bounce_subtype": bounce.get("bounceSubType", "")}
        return ParsedReport(
            source="ses",
            events=[
                ReportedEvent(
                    email=_email(r.get("emailAddress")),
                    event_type=kind,
                    detail=detail | {"diagnostic": str(r.get("diagnosticCode", ""))[:1000]},
                )
                for r in recipients
            ],
        )
    if notification == "Complaint":
        complaint = message.get("complaint") or {}
        detail |= {"feedback_type": complaint.get("complaintFeedbackType", "")}
        recipients = complaint.get("complainedRecipients") or []
        return ParsedReport(
            source="ses",
            events=[
                ReportedEvent(
                    email=_email(r.get("emailAddress")), event_type=DeliveryEventType.COMPLAINT, detail=detail
                )
                for r in recipients
            ],
        )
    return ParsedReport(source="ses", events=[])  # deliveries, opens...: nothing to do
