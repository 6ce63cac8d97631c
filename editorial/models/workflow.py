"""What the review workflow records: the audit trail, assignments, comments, schedules.

Every state change of an issue or a note goes through ``editorial.workflow`` and leaves
one :class:`WorkflowEvent` row (who, when, from/to, comment, override reason).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from editorial.choices import WorkflowAction
from papernotes.models import Note, WeeklyIssue


class WorkflowEvent(models.Model):
    """One transition (or assignment) of an issue or of one of its notes. Never edited."""

    issue = models.ForeignKey(
        WeeklyIssue, on_delete=models.CASCADE, related_name="workflow_events", verbose_name=_("週刊号")
    )
    note = models.ForeignKey(
        Note,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="workflow_events",
        verbose_name=_("論文ノート"),
    )
    action = models.CharField(_("操作"), max_length=32, choices=WorkflowAction.choices)
    source_state = models.CharField(_("変更前の状態"), max_length=20, blank=True, default="")
    target_state = models.CharField(_("変更後の状態"), max_length=20, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workflow_events",
        verbose_name=_("実行者"),
        help_text=_("空欄はシステム(タスクやコマンド)"),
    )
    comment = models.TextField(_("コメント"), blank=True, default="")
    override_reason = models.TextField(
        _("チェックを無視した理由"),
        blank=True,
        default="",
        help_text=_("未承認のノートや要修正の指摘を残したまま進めた理由"),
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ワークフローの記録")
        verbose_name_plural = _("ワークフローの記録")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("review_note", _("論文ノートをレビュー・承認できる")),
            ("manage_issue", _("号をレビューに回し、公開準備完了にできる")),
            ("publish_issue", _("号を公開・予約・訂正・取り下げできる")),
            ("override_checks", _("未承認や要修正の指摘があっても理由を書いて公開できる")),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class NoteAssignment(models.Model):
    """Who reviews a note. One row per note; no row means unassigned."""

    note = models.OneToOneField(Note, on_delete=models.CASCADE, related_name="assignment", verbose_name=_("論文ノート"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="note_assignments",
        verbose_name=_("担当者"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("割り当てた人"),
    )
    assigned_at = models.DateTimeField(_("割り当て日時"), auto_now=True)

    class Meta:
        verbose_name = _("担当")
        verbose_name_plural = _("担当")

    def __str__(self) -> str:
        return f"{self.note} → {self.assignee}"


class ReviewComment(models.Model):
    """A reviewer's comment on a note, optionally about one field or one Q&A pair."""

    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="review_comments", verbose_name=_("論文ノート")
    )
    field = models.CharField(_("対象の欄"), max_length=32, blank=True, default="")
    qa_position = models.PositiveSmallIntegerField(_("Q&A の番号"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="review_comments",
        verbose_name=_("書いた人"),
    )
    text = models.TextField(_("コメント"))
    resolved = models.BooleanField(_("対応済み"), default=False)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("レビューコメント")
        verbose_name_plural = _("レビューコメント")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="review_comment_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class ScheduledPublication(models.Model):
    """When a scheduled issue goes public. Celery beat publishes due ones (``editorial.tasks``)."""

    issue = models.OneToOneField(
        WeeklyIssue, on_delete=models.CASCADE, related_name="scheduled_publication", verbose_name=_("週刊号")
    )
    publish_at = models.DateTimeField(_("公開予定日時"), db_index=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("予約した人"),
    )
    override_reason = models.TextField(_("チェックを無視した理由"), blank=True, default="")
    overridden_blockers = models.JSONField(
        _("無視したチェック"),
        default=list,
        blank=True,
        help_text=_("予約したときに編集長が理由を書いて無視した問題。公開時にこれ以外の問題があれば公開しません。"),
    )
    last_error = models.TextField(_("公開できなかった理由"), blank=True, default="")

    class Meta:
        verbose_name = _("公開予約")
        verbose_name_plural = _("公開予約")
        ordering = ["publish_at"]

    def __str__(self) -> str:
        return f"{self.issue} @ {self.publish_at:%Y-%m-%d %H:%M}"
