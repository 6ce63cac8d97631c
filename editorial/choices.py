"""Status values of the editors' side, in one place (the content domain's are in
``papernotes.models.choices``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkflowAction(models.TextChoices):
    """What a workflow event did; one value per transition service of ``editorial.workflow``."""

    NOTE_MARK_DRAFTED = "note_mark_drafted", _("下書き完了")
    NOTE_START_REVIEW = "note_start_review", _("レビュー開始")
    NOTE_REQUEST_CHANGES = "note_request_changes", _("修正依頼")
    NOTE_APPROVE = "note_approve", _("承認")
    NOTE_REOPEN = "note_reopen", _("承認の取り消し")
    NOTE_ASSIGN = "note_assign", _("担当者の変更")
    ISSUE_SUBMIT_FOR_REVIEW = "issue_submit_for_review", _("号をレビューに回す")
    ISSUE_RETURN_TO_REVIEW = "issue_return_to_review", _("号をレビューに戻す")
    ISSUE_MARK_READY = "issue_mark_ready", _("公開準備完了にする")
    ISSUE_SCHEDULE = "issue_schedule", _("公開を予約")
    ISSUE_PUBLISH = "issue_publish", _("公開")
    ISSUE_CORRECT = "issue_correct", _("公開後の訂正")
    ISSUE_WITHDRAW = "issue_withdraw", _("取り下げ")


class Severity(models.TextChoices):
    """How much a quality-check finding matters: a blocking one stops publication."""

    BLOCKING = "blocking", _("要修正")
    WARNING = "warning", _("注意")
