"""Every status value of the content domain, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TextSource(models.TextChoices):
    """Who wrote the current text of a Japanese field (its provenance)."""

    EMPTY = "empty", _("未入力")
    IMPORTED = "imported", _("取り込み")
    MACHINE = "machine", _("機械下書き")
    EDITOR = "editor", _("編集者")


class IssueState(models.TextChoices):
    """Life cycle of a weekly issue. Only PUBLISHED is visible to readers."""

    DRAFT = "draft", _("下書き")
    IN_REVIEW = "in_review", _("レビュー中")
    READY = "ready", _("公開準備完了")
    PUBLISHED = "published", _("公開済み")


class NoteState(models.TextChoices):
    """Review state of one paper's note."""

    DRAFT = "draft", _("下書き")
    IN_REVIEW = "in_review", _("レビュー中")
    APPROVED = "approved", _("承認済み")


class IngestionStage(models.TextChoices):
    """Where a paper is in the ingestion pipeline (in order)."""

    QUEUED = "queued", _("待機中")
    METADATA = "metadata", _("メタデータ取得")
    PDF = "pdf", _("PDF ダウンロード")
    EXTRACTION = "extraction", _("本文抽出")
    DONE = "done", _("完了")


class IngestionStatus(models.TextChoices):
    PENDING = "pending", _("待機中")
    RUNNING = "running", _("実行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失敗")
