"""Email delivery of published issues: subscribers, mailings and the send log.

A :class:`Subscriber` confirms their address (double opt-in) before any issue is sent.
A :class:`Mailing` is one sending of one issue: the issue when it is published, or a
corrected version a chief editor asked to re-send. Each mailing has one :class:`SendLog`
row per subscriber, unique per (mailing, subscriber): the row is claimed (state
``sending``, committed) before the SMTP conversation starts, so no restart, retry or
second worker ever sends the same message twice. :class:`DeliveryEvent` records bounces,
complaints and unsubscribes as they were reported. The services are in
``papernotes.delivery``.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .choices import DeliveryEventType, EmailFormat, MailingKind, SendState, SubscriberStatus
from .issue import WeeklyIssue


class Subscriber(models.Model):
    """A reader's address. Only ``confirmed`` subscribers receive issues."""

    email = models.EmailField(_("メールアドレス"), max_length=254)
    status = models.CharField(
        _("状態"), max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING
    )
    email_format = models.CharField(_("配信形式"), max_length=8, choices=EmailFormat.choices, default=EmailFormat.HTML)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    confirmation_sent_at = models.DateTimeField(_("確認メール送信日時"), null=True, blank=True)
    confirmations_sent = models.PositiveIntegerField(_("確認メール送信回数"), default=0)
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("配信停止日時"), null=True, blank=True)
    suppressed_at = models.DateTimeField(_("送信停止日時"), null=True, blank=True)
    suppression_reason = models.TextField(_("送信停止の理由"), blank=True, default="")
    # The consent record: where the subscription was asked for and confirmed from.
    subscribed_ip = models.GenericIPAddressField(_("登録元 IP"), null=True, blank=True)
    confirmed_ip = models.GenericIPAddressField(_("確認元 IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("購読者")
        verbose_name_plural = _("購読者")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="subscriber_unique_email",
                violation_error_message=_("このメールアドレスは既に登録されています。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=SubscriberStatus.CONFIRMED) | models.Q(confirmed_at__isnull=False),
                name="subscriber_confirmed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="subscriber_status_idx")]

    def __str__(self) -> str:
        return self.email


class Mailing(models.Model):
    """One sending of one issue to every confirmed subscriber.

    ``kind`` is ``issue`` for the sending at publication (at most one per issue) or
    ``correction`` for a corrected version a chief editor asked to re-send (numbered).
    """

    issue = models.ForeignKey(WeeklyIssue, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("週刊号"))
    kind = models.CharField(_("種類"), max_length=16, choices=MailingKind.choices, default=MailingKind.ISSUE)
    number = models.PositiveSmallIntegerField(_("番号"), default=1, help_text=_("訂正版の再送は 2 から順に"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("依頼した人"),
    )
    comment = models.TextField(_("コメント"), blank=True, default="")
    created_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    # Touched by the worker as it sends; a mailing with work left and an old heartbeat has
    # lost its worker, and the periodic check starts a new batch for it.
    heartbeat_at = models.DateTimeField(_("最終処理日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("メール配信")
        verbose_name_plural = _("メール配信")
        ordering = ["-created_at"]
        permissions = [("send_mailing", _("メール配信を開始・再送できる"))]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind", "number"],
                name="mailing_unique_number",
                violation_error_message=_("この号には同じ番号の配信が既にあります。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=MailingKind.ISSUE) | models.Q(number=1),
                name="mailing_issue_sent_once",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return (
            f"{self.issue.title} {label}"
            if self.kind == MailingKind.ISSUE
            else f"{self.issue.title} {label} #{self.number}"
        )


class SendLog(models.Model):
    """One message of a mailing to one subscriber: claimed before it is sent, never twice."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="sends", verbose_name=_("配信"))
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="sends", verbose_name=_("購読者"))
    state = models.CharField(_("状態"), max_length=16, choices=SendState.choices, default=SendState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の試行"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("送信開始日時"), null=True, blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    last_error = models.TextField(_("エラー"), blank=True, default="")
    smtp_response = models.CharField(_("SMTP サーバーの応答"), max_length=500, blank=True, default="")
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("送信記録")
        verbose_name_plural = _("送信記録")
        ordering = ["mailing", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "subscriber"],
                name="sendlog_once_per_subscriber",
                violation_error_message=_("この購読者への送信記録はこの配信に既にあります。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(state=SendState.SENT) | models.Q(sent_at__isnull=False),
                name="sendlog_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["mailing", "state", "next_attempt_at"], name="sendlog_claim_idx")]

    def __str__(self) -> str:
        return f"{self.mailing} → {self.subscriber}: {self.get_state_display()}"


class DeliveryEvent(models.Model):
    """A bounce, complaint or unsubscribe as it was reported (webhook, command, SMTP, link)."""

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("購読者"),
    )
    email = models.EmailField(_("メールアドレス"), max_length=254)
    event_type = models.CharField(_("種類"), max_length=16, choices=DeliveryEventType.choices)
    source = models.CharField(_("報告元"), max_length=32)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("配信イベント")
        verbose_name_plural = _("配信イベント")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_event_type_display()}"


class NewsletterIssue(WeeklyIssue):
    """A weekly issue seen from its email delivery (the admin's 「号のメール配信」 screen)."""

    class Meta:
        proxy = True
        verbose_name = _("号のメール配信")
        verbose_name_plural = _("号のメール配信")
