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
    """Life cycle of a weekly issue (the editorial workflow moves it; see ``editorial``).

    Readers see an issue only in a state of :data:`PUBLIC_ISSUE_STATES`.
    """

    COLLECTING = "collecting", _("収集中")
    IN_REVIEW = "in_review", _("レビュー中")
    READY = "ready", _("公開準備完了")
    SCHEDULED = "scheduled", _("公開予約済み")
    PUBLISHED = "published", _("公開済み")
    CORRECTED = "corrected", _("公開済み(訂正あり)")
    WITHDRAWN = "withdrawn", _("取り下げ")


# Published, with or without a correction after publication. A withdrawn issue was
# published once but is no longer shown.
PUBLIC_ISSUE_STATES = (IssueState.PUBLISHED, IssueState.CORRECTED)
# States that were published at some point: their notes show frozen paper metadata.
ONCE_PUBLISHED_ISSUE_STATES = (IssueState.PUBLISHED, IssueState.CORRECTED, IssueState.WITHDRAWN)


class NoteState(models.TextChoices):
    """Review state of one paper's note. Readers see only APPROVED notes of public issues."""

    AWAITING_DRAFT = "awaiting_draft", _("下書き待ち")
    DRAFTED = "drafted", _("下書き済み")
    IN_REVIEW = "in_review", _("レビュー中")
    CHANGES_REQUESTED = "changes_requested", _("修正依頼")
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


class DraftingStatus(models.TextChoices):
    """Where a note's machine draft is. MANUAL: no LLM is configured, an editor writes it.

    NEEDS_ATTENTION: the run finished, but some answers are missing, could not be placed
    under their question, or have no quote found in the paper; the flags say which.
    """

    NOT_STARTED = "not_started", _("未開始")
    QUEUED = "queued", _("待機中")
    RUNNING = "running", _("実行中")
    # Its request is in a batch of the Batch API (``step`` says which), waiting for the results.
    BATCH = "batch", _("バッチ待ち")
    SUCCEEDED = "succeeded", _("完了")
    NEEDS_ATTENTION = "needs_attention", _("要確認")
    FAILED = "failed", _("失敗")
    MANUAL = "manual", _("手動で下書き")


# A run in one of these states is over: nothing more happens to it by itself.
DRAFTING_FINISHED = (DraftingStatus.SUCCEEDED, DraftingStatus.NEEDS_ATTENTION)


class DraftingStep(models.TextChoices):
    """The LLM calls of a draft, in order; REPAIR only when an output needs it."""

    READ = "read", _("読解(概要・要約・質問)")
    ANSWER = "answer", _("回答")
    REPAIR = "repair", _("修正")
    # After a draft, when DRAFTING_JUDGE_ENABLED: rubric scores for every answer (not a draft step).
    JUDGE = "judge", _("評価(ルーブリック)")


class EvidenceFoundIn(models.TextChoices):
    """Where an evidence quote was found: in the passage the model cited, in another passage
    sent with the question, elsewhere in the paper's body, or nowhere."""

    CITED = "cited", _("示された箇所")
    SENT = "sent", _("送った別の箇所")
    BODY = "body", _("本文の別の箇所")
    NOT_FOUND = "", _("見つからない")


class LlmCallOutcome(models.TextChoices):
    OK = "ok", _("成功")
    INVALID = "invalid", _("形式不正")
    REFUSED = "refused", _("拒否")
    TRUNCATED = "truncated", _("途中で切れた")
    HTTP_ERROR = "http_error", _("HTTP エラー")
    TIMEOUT = "timeout", _("タイムアウト")
    CONNECTION = "connection", _("接続エラー")
    # A request of a batch that the Batch API did not carry out (expired, cancelled, failed).
    BATCH_FAILED = "batch_failed", _("バッチで未処理")


class DraftingBatchStatus(models.TextChoices):
    """Where one batch of drafting requests is (``papernotes.drafting.batch``), in order."""

    PENDING = "pending", _("送信待ち")
    SUBMITTED = "submitted", _("処理待ち")  # at the provider: validating, in progress, finalizing
    RECEIVED = "received", _("結果を反映中")  # the provider is done; the results are being applied
    DONE = "done", _("完了")
    FAILED = "failed", _("失敗")  # could not be sent, or past DRAFTING_BATCH_DEADLINE


class DraftingBatchItemStatus(models.TextChoices):
    """One note's request in a batch."""

    PENDING = "pending", _("送信待ち")
    SENT = "sent", _("送信済み")
    RECEIVED = "received", _("結果あり")
    APPLYING = "applying", _("反映中")
    APPLIED = "applied", _("反映済み")
    FELL_BACK = "fell_back", _("通常の呼び出しに切り替え")
    FAILED = "failed", _("失敗")
    SUPERSEDED = "superseded", _("新しい実行で無効")


# Nothing more happens to a batch item in these states.
BATCH_ITEM_FINISHED = (
    DraftingBatchItemStatus.APPLIED,
    DraftingBatchItemStatus.FELL_BACK,
    DraftingBatchItemStatus.FAILED,
    DraftingBatchItemStatus.SUPERSEDED,
)


class PipelineRowState(models.TextChoices):
    """What an issue's progress says of one paper, in one word (ingestion, then drafting)."""

    DONE = "done", _("完了")
    NEEDS_ATTENTION = "needs_attention", _("要確認")
    PUBLISHED = "published", _("公開済み")
    MANUAL = "manual", _("手動で下書き")
    WAITING = "waiting", _("待機中")
    RUNNING = "running", _("実行中")
    BATCH = "batch", _("バッチ待ち")
    RETRYING = "retrying", _("自動再試行待ち")
    FAILED = "failed", _("失敗")


# --- email delivery (papernotes.delivery) ---------------------------------------------------


class SubscriberStatus(models.TextChoices):
    """Where a newsletter subscriber is. Only CONFIRMED subscribers receive issues; BOUNCED and
    COMPLAINED are suppressed for good (never sent to again, whatever the address does)."""

    PENDING = "pending", _("確認待ち")
    CONFIRMED = "confirmed", _("配信中")
    UNSUBSCRIBED = "unsubscribed", _("配信停止")
    BOUNCED = "bounced", _("不達(バウンス)")
    COMPLAINED = "complained", _("迷惑メール報告")


# Addresses we must never write to again (a bounce or a complaint).
SUPPRESSED_SUBSCRIBER_STATUSES = (SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED)


class EmailFormat(models.TextChoices):
    """What a subscriber receives: HTML with its plain-text alternative, or the plain text alone."""

    HTML = "html", _("HTML とテキスト")
    TEXT = "text", _("テキストのみ")


class MailingKind(models.TextChoices):
    ISSUE = "issue", _("号の配信")
    CORRECTION = "correction", _("訂正版の再送")


class SendState(models.TextChoices):
    """One message of a mailing to one subscriber.

    pending → sending (claimed, committed before the SMTP conversation) → sent / failed.
    A row left in SENDING by a worker that died is never sent again by itself: it becomes
    UNKNOWN for a chief editor to resolve (mark as sent, or send again knowingly).
    SKIPPED: the subscriber left (or bounced) between the mailing's start and its turn.
    """

    PENDING = "pending", _("送信待ち")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    FAILED = "failed", _("失敗")
    UNKNOWN = "unknown", _("送信結果不明")
    SKIPPED = "skipped", _("送信せず")


class DeliveryEventType(models.TextChoices):
    BOUNCE = "bounce", _("バウンス")
    SOFT_BOUNCE = "soft_bounce", _("一時的なバウンス")
    COMPLAINT = "complaint", _("迷惑メール報告")
    UNSUBSCRIBE = "unsubscribe", _("配信停止")
