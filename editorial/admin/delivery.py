"""Email delivery in the admin: each issue's mailings, subscribers, the send log, reports.

Editors may look; chief editors act (``papernotes.send_mailing``): start an issue's
mailing by hand, 「訂正版を再送」 after a correction, and decide the messages whose outcome
is unknown. An action an editor may see but not do is refused with a Japanese message,
on the server. Every action calls one service of ``papernotes.delivery``.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.roles import SEND_MAILING
from papernotes.delivery.services import (
    DeliveryError,
    issue_delivery_resend_correction,
    issue_delivery_start,
    mailing_resolve_unknown,
    subscriber_record_event,
)
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    DeliveryEvent,
    DeliveryEventType,
    Mailing,
    NewsletterIssue,
    SendLog,
    SendState,
    Subscriber,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are written by the services only; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _refused_unless_chief(modeladmin, request) -> bool:
    """True (and a Japanese message) when the user may not act on deliveries (the services
    check the same permission again)."""
    if request.user.has_perm(SEND_MAILING):
        return False
    modeladmin.message_user(request, gettext("メール配信の操作は編集長だけが行えます。"), messages.ERROR)
    return True


def _counts(mailing_ids) -> dict[int, dict[str, int]]:
    rows = (
        SendLog.objects.filter(mailing_id__in=mailing_ids)
        .values("mailing_id")
        .annotate(
            total=Count("pk"),
            **{state: Count("pk", filter=Q(state=state)) for state in SendState.values},
        )
    )
    return {row.pop("mailing_id"): row for row in rows}


def _summary(mailing: Mailing, counts: dict[str, int]) -> str:
    parts = [
        gettext("送信済み %(sent)d / %(total)d") % {"sent": counts.get("sent", 0), "total": counts.get("total", 0)}
    ]
    for state in (SendState.PENDING, SendState.SENDING, SendState.FAILED, SendState.UNKNOWN, SendState.SKIPPED):
        if counts.get(state):
            parts.append(f"{SendState(state).label} {counts[state]}")
    if mailing.finished_at is None and counts.get("total"):
        parts.append(gettext("配信中"))
    return "、".join(parts)


@admin.register(NewsletterIssue)
class NewsletterIssueAdmin(ReadOnlyAdmin):
    """「号のメール配信」: published issues and their mailings, with the chief editor's actions."""

    list_display = ("title_display", "state", "published_at", "corrected_at", "mailings_display")
    list_filter = ("state",)
    date_hierarchy = "week_start"
    actions = ("start_delivery", "resend_correction", "mark_unknown_sent", "resend_unknown")
    fields = ("title_display", "state", "published_at", "corrected_at", "mailings_display")
    readonly_fields = fields

    def get_queryset(self, request):
        issues = super().get_queryset(request).filter(state__in=ONCE_PUBLISHED_ISSUE_STATES)
        return issues.prefetch_related("mailings")

    def get_actions(self, request):
        # Shown to editors too, so that they learn why they may not (a Japanese refusal).
        actions = super().get_actions(request)
        for name in self.actions:
            if name not in actions:
                actions[name] = self.get_action(name)
        return actions

    @admin.display(description=_("タイトル"), ordering="week_start")
    def title_display(self, issue: NewsletterIssue) -> str:
        return issue.title

    @admin.display(description=_("配信"))
    def mailings_display(self, issue: NewsletterIssue) -> str:
        mailings = list(issue.mailings.all())
        if not mailings:
            return gettext("未配信")
        counts = _counts([mailing.pk for mailing in mailings])
        rows = []
        for mailing in sorted(mailings, key=lambda m: (m.created_at, m.pk)):
            query = urlencode({"mailing__id__exact": mailing.pk})
            url = reverse("admin:papernotes_sendlog_changelist") + "?" + query
            label = mailing.get_kind_display()
            if mailing.number > 1:
                label = f"{label} #{mailing.number}"
            rows.append((url, label, _summary(mailing, counts.get(mailing.pk, {}))))
        return format_html_join("", '<div><a href="{}">{}</a>: {}</div>', rows)

    @admin.action(description=_("選択した号の配信を開始"))
    def start_delivery(self, request, queryset):
        if _refused_unless_chief(self, request):
            return
        for issue in queryset:
            try:
                mailing = issue_delivery_start(issue_id=issue.pk, user=request.user)
            except DeliveryError as error:
                self.message_user(request, f"{issue.title}: {error.message}", messages.ERROR)
                continue
            if mailing is None:
                self.message_user(
                    request, gettext("%(title)s は配信済みです。") % {"title": issue.title}, messages.WARNING
                )
            else:
                self.message_user(
                    request, gettext("%(title)s の配信を開始しました。") % {"title": issue.title}, messages.SUCCESS
                )

    @admin.action(description=_("訂正版を再送"))
    def resend_correction(self, request, queryset):
        if _refused_unless_chief(self, request):
            return
        for issue in queryset:
            try:
                issue_delivery_resend_correction(issue_id=issue.pk, user=request.user)
            except DeliveryError as error:
                self.message_user(request, f"{issue.title}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(title)s の訂正版の再送を開始しました。") % {"title": issue.title},
                    messages.SUCCESS,
                )

    def _resolve(self, request, queryset, *, resend: bool) -> None:
        if _refused_unless_chief(self, request):
            return
        total = 0
        for mailing in Mailing.objects.filter(issue__in=queryset):
            total += mailing_resolve_unknown(mailing_id=mailing.pk, resend=resend, user=request.user)
        message = (
            gettext("送信結果不明の %(n)d 通を再送します。")
            if resend
            else gettext("送信結果不明の %(n)d 通を送信済みとしました。")
        )
        self.message_user(request, message % {"n": total}, messages.SUCCESS if total else messages.INFO)

    @admin.action(description=_("送信結果不明を送信済みとみなす"))
    def mark_unknown_sent(self, request, queryset):
        self._resolve(request, queryset, resend=False)

    @admin.action(description=_("送信結果不明を再送する(重複の可能性あり)"))
    def resend_unknown(self, request, queryset):
        self._resolve(request, queryset, resend=True)


@admin.register(Mailing)
class MailingAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "number", "requested_by", "created_at", "finished_at")
    list_filter = ("kind",)
    list_select_related = ("issue", "requested_by")


@admin.register(SendLog)
class SendLogAdmin(ReadOnlyAdmin):
    list_display = ("subscriber", "mailing", "state", "attempts", "sent_at", "smtp_response", "last_error")
    list_filter = ("state", "mailing")
    search_fields = ("subscriber__email",)
    list_select_related = ("subscriber", "mailing__issue")
    readonly_fields = (
        "mailing",
        "subscriber",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "smtp_response",
        "last_error",
        "message_id",
    )


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdmin):
    list_display = ("email", "status", "email_format", "created_at", "confirmed_at", "suppression_reason")
    list_filter = ("status", "email_format")
    search_fields = ("email",)
    actions = ("suppress_selected",)
    readonly_fields = (
        "email",
        "status",
        "email_format",
        "created_at",
        "confirmation_sent_at",
        "confirmations_sent",
        "confirmed_at",
        "unsubscribed_at",
        "suppressed_at",
        "suppression_reason",
        "subscribed_ip",
        "confirmed_ip",
    )

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.setdefault("suppress_selected", self.get_action("suppress_selected"))
        return actions

    @admin.action(description=_("選択した購読者への送信を止める(バウンス扱い)"))
    def suppress_selected(self, request, queryset):
        if _refused_unless_chief(self, request):
            return
        for subscriber in queryset:
            subscriber_record_event(
                email=subscriber.email,
                event_type=DeliveryEventType.BOUNCE,
                source="admin",
                detail={"by": request.user.get_username()},
            )
        self.message_user(
            request, gettext("%(n)d 件の購読者への送信を止めました。") % {"n": queryset.count()}, messages.SUCCESS
        )


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnlyAdmin):
    list_display = ("email", "event_type", "source", "created_at")
    list_filter = ("event_type", "source")
    search_fields = ("email",)
    readonly_fields = ("subscriber", "email", "event_type", "source", "detail", "created_at")
