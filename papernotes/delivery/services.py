"""Entry points of email delivery: subscriptions, suppression, mailings, unknown outcomes.

Pages, the admin, the webhook, commands and the editorial publish hook call these; each
is one transaction, keyword-only, with a typed error saying in Japanese why it refused
(nothing changed then). Sending itself happens in ``papernotes.delivery.sending``, run by
the tasks these services enqueue after commit.

Double opt-in: :func:`subscriber_subscribe` answers the same way whatever the address's
state (new, waiting, subscribed, unsubscribed, suppressed), so the form never tells
whether an address is known; only a new, waiting or unsubscribed address is sent a
confirmation, at most once per ``NEWSLETTER_CONFIRM_RESEND_INTERVAL``.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.delivery.suppression import DeliveryError, normalise_email, subscriber_record_event
from papernotes.delivery.tasks import send_confirmation_task, send_mailing_task
from papernotes.delivery.tokens import InvalidToken, email_digest, read_confirmation_token, read_manage_token
from papernotes.models import (
    PUBLIC_ISSUE_STATES,
    SUPPRESSED_SUBSCRIBER_STATUSES,
    DeliveryEvent,
    DeliveryEventType,
    EmailFormat,
    IssueState,
    Mailing,
    MailingKind,
    SendLog,
    SendState,
    Subscriber,
    SubscriberStatus,
    WeeklyIssue,
)

__all__ = ["DeliveryError", "LinkError", "normalise_email", "subscriber_record_event"]


# Declared on ``Mailing.Meta``; the 編集長 role has it (``editorial.roles``).
SEND_MAILING = "papernotes.send_mailing"


def _require_send_permission(user: AbstractBaseUser | None) -> None:
    """A person needs ``papernotes.send_mailing``; ``None`` is the system (publication, a command)."""
    if user is not None and not (user.is_active and user.has_perm(SEND_MAILING)):
        raise DeliveryError(_("メール配信の操作は編集長だけが行えます。"))


class LinkError(DeliveryError):
    """A subscriber's link is invalid or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


# -- subscriptions ------------------------------------------------------------------------


@transaction.atomic
def subscriber_subscribe(*, email: str, ip: str | None = None) -> Subscriber | None:
    """Ask to subscribe ``email``: a confirmation email is sent when that makes sense.

    Idempotent and silent: returns the subscriber when a confirmation was queued, else
    None, and the caller answers the same in both cases.
    """
    email = normalise_email(email)
    now = timezone.now()
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(email=email, subscribed_ip=ip)
        except IntegrityError:  # the same address in a concurrent request
            return None
    elif subscriber.status in (SubscriberStatus.CONFIRMED, *SUPPRESSED_SUBSCRIBER_STATUSES):
        return None  # already receiving, or never to be written to again
    elif subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < datetime.timedelta(
        seconds=settings.NEWSLETTER_CONFIRM_RESEND_INTERVAL
    ):
        return None  # one confirmation is on its way
    else:
        subscriber.status = SubscriberStatus.PENDING
        subscriber.subscribed_ip = ip
    subscriber.confirmation_sent_at = now
    subscriber.confirmations_sent += 1
    subscriber.save()
    subscriber_id = subscriber.pk
    transaction.on_commit(lambda: send_confirmation_task.delay(subscriber_id))
    return subscriber


def _subscriber_from_confirmation(token: str) -> Subscriber:
    try:
        subscriber_id, digest = read_confirmation_token(token)
    except InvalidToken as error:
        if error.expired:
            raise LinkError(
                _("確認用リンクの有効期限が切れています。もう一度購読をお申し込みください。"), expired=True
            ) from error
        raise LinkError(_("確認用リンクが正しくありません。メールのリンクをそのまま開いてください。")) from error
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or email_digest(subscriber.email) != digest:
        raise LinkError(_("確認用リンクが正しくありません。メールのリンクをそのまま開いてください。"))
    return subscriber


def subscriber_for_confirmation(*, token: str) -> Subscriber:
    """The subscriber a confirmation link names (for the confirmation page); raises :class:`LinkError`."""
    with transaction.atomic():
        return _subscriber_from_confirmation(token)


@transaction.atomic
def subscriber_confirm(*, token: str, ip: str | None = None) -> Subscriber:
    """Confirm an address from its link: the subscriber receives the next issues.

    Confirming twice is harmless. A suppressed address (bounce, complaint) stays
    suppressed; an address that unsubscribed after this link was sent must ask again.
    """
    subscriber = _subscriber_from_confirmation(token)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return subscriber
    if subscriber.status != SubscriberStatus.PENDING:
        raise LinkError(_("このリンクは使えません。もう一度購読をお申し込みください。"))
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = timezone.now()
    subscriber.confirmed_ip = ip
    subscriber.save()
    return subscriber


def _subscriber_from_manage_token(token: str) -> Subscriber:
    try:
        subscriber_id = read_manage_token(token)
    except InvalidToken as error:
        raise LinkError(_("リンクが正しくありません。メールのリンクをそのまま開いてください。")) from error
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        raise LinkError(_("リンクが正しくありません。メールのリンクをそのまま開いてください。"))
    return subscriber


def subscriber_for_link(*, token: str) -> Subscriber:
    """The subscriber an unsubscribe or preferences link names; raises :class:`LinkError`."""
    with transaction.atomic():
        return _subscriber_from_manage_token(token)


@transaction.atomic
def subscriber_unsubscribe(*, token: str, source: str) -> Subscriber:
    """Stop sending to the subscriber of ``token`` (RFC 8058 one-click, or the page's button).

    Idempotent; a suppressed address stays suppressed. Messages of a mailing in progress
    that were not yet sent are skipped (the sender checks the status at each message).
    """
    subscriber = _subscriber_from_manage_token(token)
    if subscriber.status in (SubscriberStatus.CONFIRMED, SubscriberStatus.PENDING):
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save()
        DeliveryEvent.objects.create(
            subscriber=subscriber, email=subscriber.email, event_type=DeliveryEventType.UNSUBSCRIBE, source=source
        )
    return subscriber


@transaction.atomic
def subscriber_update_preferences(*, token: str, email_format: str, subscribed: bool) -> Subscriber:
    """Change the format, stop, or start again (the link proves the inbox is theirs)."""
    if email_format not in EmailFormat.values:
        raise DeliveryError(_("配信形式を選んでください。"))
    subscriber = _subscriber_from_manage_token(token)
    if subscriber.status in SUPPRESSED_SUBSCRIBER_STATUSES:
        raise DeliveryError(
            _("このアドレスには配信できない状態です(不達または迷惑メール報告)。再開はサイトの運営者にご連絡ください。")
        )
    subscriber.email_format = email_format
    now = timezone.now()
    if subscribed and subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = subscriber.confirmed_at or now
        subscriber.unsubscribed_at = None
    elif not subscribed and subscriber.status == SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now
        DeliveryEvent.objects.create(
            subscriber=subscriber,
            email=subscriber.email,
            event_type=DeliveryEventType.UNSUBSCRIBE,
            source="preferences",
        )
    subscriber.save()
    return subscriber


# -- mailings -------------------------------------------------------------------------------


def _enqueue(mailing_id: int) -> None:
    transaction.on_commit(lambda: send_mailing_task.delay(mailing_id))


def _create_mailing(*, issue: WeeklyIssue, kind: str, user: AbstractBaseUser | None, comment: str = "") -> Mailing:
    """The mailing and one pending send-log row per confirmed subscriber (one INSERT … SELECT-sized batch)."""
    number = 1
    if kind == MailingKind.CORRECTION:
        last = issue.mailings.filter(kind=MailingKind.CORRECTION).order_by("-number").first()
        number = last.number + 1 if last else 2
    mailing = Mailing.objects.create(issue=issue, kind=kind, number=number, requested_by=user, comment=comment)
    subscriber_ids = Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED).values_list("pk", flat=True)
    created = SendLog.objects.bulk_create(
        (SendLog(mailing=mailing, subscriber_id=subscriber_id) for subscriber_id in subscriber_ids.iterator()),
        batch_size=1000,
    )
    if created:
        _enqueue(mailing.pk)
    else:  # nobody to send to: done at once, and no task
        mailing.finished_at = mailing.created_at
        mailing.save(update_fields=["finished_at"])
    return mailing


@transaction.atomic
def issue_delivery_start(*, issue_id: int, user: AbstractBaseUser | None = None) -> Mailing | None:
    """Send a published issue to every confirmed subscriber, once.

    Called after the publication commits (``editorial.receivers``, when
    ``NEWSLETTER_SEND_ON_PUBLISH``), or by a chief editor. Returns None when the issue
    was already sent (a repeated call sends nothing).
    """
    _require_send_permission(user)
    issue = WeeklyIssue.objects.select_for_update().filter(pk=issue_id).first()
    if issue is None or issue.state not in PUBLIC_ISSUE_STATES:
        raise DeliveryError(_("公開されていない号は配信できません。"))
    if issue.mailings.filter(kind=MailingKind.ISSUE).exists():
        return None
    return _create_mailing(issue=issue, kind=MailingKind.ISSUE, user=user)


def issue_published(*, issue_id: int) -> Mailing | None:
    """The publish hook: start the issue's mailing if ``NEWSLETTER_SEND_ON_PUBLISH`` is on."""
    if not settings.NEWSLETTER_SEND_ON_PUBLISH:
        return None
    return issue_delivery_start(issue_id=issue_id)


@transaction.atomic
def issue_delivery_resend_correction(*, issue_id: int, user: AbstractBaseUser | None, comment: str = "") -> Mailing:
    """Send the corrected issue again to every confirmed subscriber (a chief editor's decision).

    Chief editors only (``papernotes.send_mailing``). The issue must be public and
    corrected since it was published, and its earlier sendings must have finished (two
    mailings of one issue in flight would reach readers out of order).
    """
    _require_send_permission(user)
    issue = WeeklyIssue.objects.select_for_update().filter(pk=issue_id).first()
    if issue is None or issue.state not in PUBLIC_ISSUE_STATES:
        raise DeliveryError(_("公開されていない号は配信できません。"))
    if issue.state != IssueState.CORRECTED:
        raise DeliveryError(_("この号は公開後に訂正されていないため、訂正版は送れません。"))
    unfinished = issue.mailings.filter(sends__state__in=(SendState.PENDING, SendState.SENDING)).exists()
    if unfinished:
        raise DeliveryError(_("この号の配信がまだ終わっていません。終わってから再送してください。"))
    return _create_mailing(issue=issue, kind=MailingKind.CORRECTION, user=user, comment=comment)


@transaction.atomic
def mailing_resolve_unknown(*, mailing_id: int, resend: bool, user: AbstractBaseUser | None) -> int:
    """Decide the messages whose outcome is unknown (a worker died mid-send).

    ``resend=False``: count them as sent (most likely: the server had the message).
    ``resend=True``: send them again (the copy keeps its Message-ID, so many receiving
    systems drop it as a duplicate). Returns the number of messages resolved.
    """
    _require_send_permission(user)
    mailing = Mailing.objects.select_for_update().filter(pk=mailing_id).first()
    if mailing is None:
        raise DeliveryError(_("配信が見つかりません。"))
    unknown = mailing.sends.filter(state=SendState.UNKNOWN)
    note = _("{user} が判断: {decision}").format(
        user=user or "system", decision=_("再送") if resend else _("送信済みとみなす")
    )
    now = timezone.now()
    if resend:
        count = unknown.update(state=SendState.PENDING, next_attempt_at=None, last_error=note, updated_at=now)
        if count:
            mailing.finished_at = None
            mailing.save(update_fields=["finished_at"])
            _enqueue(mailing.pk)
    else:
        count = unknown.update(state=SendState.SENT, sent_at=now, last_error=note, updated_at=now)
    return count
