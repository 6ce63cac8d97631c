"""What machine drafting stores: each note's drafting state, every LLM call, and evidence.

Drafting fills the Japanese texts of a note (``papernotes.drafting``) through the
provenance rule; these models keep what it did and what it cost, so an editor can see
why a draft is missing, what the machine based an answer on, and what a week cost.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    DraftingBatchItemStatus,
    DraftingBatchStatus,
    DraftingStatus,
    DraftingStep,
    EvidenceFoundIn,
    LlmCallOutcome,
)
from .ingestion import Passage
from .issue import Note, QuestionAnswer
from .pipeline_state import PipelineState


class NoteDrafting(PipelineState):
    """The drafting state of one note: status, the run in force, and what is left to check.

    ``run`` counts the drafting runs started for the note. A task carries the run it
    belongs to and stores its results only while that run is still the current one, so a
    late or repeated task never replaces the results of a newer run.
    """

    note = models.OneToOneField(Note, on_delete=models.CASCADE, related_name="drafting", verbose_name=_("論文ノート"))
    status = models.CharField(
        _("状態"), max_length=16, choices=DraftingStatus.choices, default=DraftingStatus.NOT_STARTED
    )
    step = models.CharField(_("段階"), max_length=16, choices=DraftingStep.choices, blank=True, default="")
    run = models.PositiveIntegerField(_("実行番号"), default=0)
    prompt_version = models.CharField(_("プロンプトの版"), max_length=100, blank=True, default="")
    models_used = models.CharField(_("モデル"), max_length=200, blank=True, default="")
    read_result = models.JSONField(
        _("読解の結果"), default=dict, blank=True, help_text=_("再試行で読解をやり直さないための途中結果")
    )
    flags = models.JSONField(_("要確認の点"), default=list, blank=True, help_text=_("編集者が確かめるべき点"))
    unplaced_answers = models.JSONField(
        _("質問に結び付けられなかった回答"),
        default=list,
        blank=True,
        help_text=_("どの質問への回答か分からなかった機械の回答(捨てずに提案として残す)"),
    )
    regenerations = models.JSONField(
        _("再生成の番号"), default=dict, blank=True, help_text=_("欄や Q&A ごとに最後に頼まれた再生成の番号")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("開始した人"),
    )

    class Meta:
        verbose_name = _("下書きの状況")
        verbose_name_plural = _("下書きの状況")

    def __str__(self) -> str:
        return f"{self.note}: {self.get_status_display()}"


class LlmCall(models.Model):
    """One HTTP call to the LLM (every attempt, failed ones too), with its tokens and cost."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="llm_calls", verbose_name=_("論文ノート"))
    run = models.PositiveIntegerField(_("実行番号"), default=0)
    step = models.CharField(_("段階"), max_length=16, choices=DraftingStep.choices)
    target = models.CharField(
        _("対象"), max_length=40, blank=True, default="", help_text=_("一部だけの再生成なら、その欄や Q&A")
    )
    model = models.CharField(_("モデル"), max_length=100)
    prompt_version = models.CharField(_("プロンプトの版"), max_length=40)
    attempt = models.PositiveSmallIntegerField(_("試行"), default=1)
    input_tokens = models.PositiveIntegerField(_("入力トークン"), default=0)
    cached_input_tokens = models.PositiveIntegerField(_("キャッシュされた入力トークン"), default=0)
    output_tokens = models.PositiveIntegerField(_("出力トークン"), default=0)
    latency_ms = models.PositiveIntegerField(_("所要時間(ミリ秒)"), default=0)
    cost_usd = models.DecimalField(_("費用(USD)"), max_digits=12, decimal_places=6, default=Decimal("0"))
    outcome = models.CharField(_("結果"), max_length=16, choices=LlmCallOutcome.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP ステータス"), null=True, blank=True)
    # What the provider said, as it said it ("context_length_exceeded" and its message).
    error_code = models.CharField(_("エラーコード"), max_length=100, blank=True, default="")
    error = models.TextField(_("エラー"), blank=True, default="")
    # The Batch API's id of the batch that carried the request (priced at the batch rate).
    batch_id = models.CharField(_("バッチ ID"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("LLM 呼び出し")
        verbose_name_plural = _("LLM 呼び出し")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["note", "created_at"], name="llmcall_note_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost_usd__gte=0), name="llmcall_cost_not_negative"),
            # A batch's result is recorded once, however often it is applied.
            models.UniqueConstraint(
                fields=["note", "run", "step", "batch_id"],
                condition=~models.Q(batch_id=""),
                name="llmcall_one_per_batch_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.note_id} {self.step} {self.model} {self.get_outcome_display()}"


class AnswerEvidence(models.Model):
    """A passage the machine based an answer on, with a short English quote copied from it.

    ``verified`` says whether the quote really occurs in the paper (after normalising
    whitespace, ligatures and hyphenation), and ``found_in`` where: in the passage the model
    cited, in another passage sent with the question, or elsewhere in the body; the passage
    and pages are those where it was found. Pages are kept even if the passage is later
    replaced by a new extraction.
    """

    qa = models.ForeignKey(QuestionAnswer, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("Q&A"))
    position = models.PositiveSmallIntegerField(_("順番"))
    passage = models.ForeignKey(
        Passage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("本文パッセージ")
    )
    page_start = models.PositiveIntegerField(_("開始ページ"), null=True, blank=True)
    page_end = models.PositiveIntegerField(_("終了ページ"), null=True, blank=True)
    section = models.CharField(_("節"), max_length=300, blank=True, default="")
    quote = models.TextField(_("引用(英語)"))
    verified = models.BooleanField(_("本文で確認済み"), default=False)
    found_in = models.CharField(
        _("見つかった場所"),
        max_length=8,
        choices=EvidenceFoundIn.choices,
        blank=True,
        default=EvidenceFoundIn.NOT_FOUND,
    )

    class Meta:
        verbose_name = _("回答の根拠")
        verbose_name_plural = _("回答の根拠")
        ordering = ["qa", "position"]
        constraints = [
            models.UniqueConstraint(fields=["qa", "position"], name="evidence_unique_position"),
        ]

    def __str__(self) -> str:
        pages = f"p.{self.page_start}" if self.page_start else ""
        return f"{pages} “{self.quote[:60]}”"


JUDGE_CRITERIA = ("faithful", "answers_question", "japanese", "house_style")


class AnswerJudgement(models.Model):
    """The judge's rubric scores of one answer (``papernotes.drafting.judge``), 1 to 5 each,
    with a short Japanese reason per criterion. ``answer_judged`` is the answer as it was
    judged: the review screen says when the answer has changed since."""

    qa = models.OneToOneField(
        QuestionAnswer, on_delete=models.CASCADE, related_name="judgement", verbose_name=_("Q&A")
    )
    model = models.CharField(_("モデル"), max_length=100)
    prompt_version = models.CharField(_("プロンプトの版"), max_length=40)
    faithful = models.PositiveSmallIntegerField(_("根拠への忠実さ"))
    answers_question = models.PositiveSmallIntegerField(_("質問に答えているか"))
    japanese = models.PositiveSmallIntegerField(_("日本語の質"))
    house_style = models.PositiveSmallIntegerField(_("表記ルール"))
    lowest = models.PositiveSmallIntegerField(_("最低点"), db_index=True)
    reasons = models.JSONField(_("理由"), default=dict, blank=True, help_text=_("観点ごとの短い理由"))
    answer_judged = models.TextField(_("評価した回答"), blank=True, default="")
    judged_at = models.DateTimeField(_("評価日時"), auto_now=True)

    class Meta:
        verbose_name = _("回答の評価")
        verbose_name_plural = _("回答の評価")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    faithful__range=(1, 5),
                    answers_question__range=(1, 5),
                    japanese__range=(1, 5),
                    house_style__range=(1, 5),
                    lowest__range=(1, 5),
                ),
                name="answerjudgement_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qa_id}: {self.lowest}"

    def scores(self) -> list[tuple[str, str, int, str]]:
        """(criterion, its Japanese label, score, reason), in the rubric's order."""
        return [
            (name, str(self._meta.get_field(name).verbose_name), getattr(self, name), self.reasons.get(name, ""))
            for name in JUDGE_CRITERIA
        ]

    @property
    def stale(self) -> bool:
        """The answer changed after it was judged."""
        return self.qa.answer.strip() != self.answer_judged.strip()


class DraftingBatch(models.Model):
    """One batch of the OpenAI Batch API: one step (read or answer) for several notes.

    Everything needed to carry a batch to its end is here, not in a worker's memory: the
    provider's batch and file ids, its status as last seen, and each note's request
    (:class:`DraftingBatchItem`). A worker that restarts, or another one, finds it and
    goes on; the poller (``poll_drafting_batches_task``, run by Celery beat) moves it on.
    """

    step = models.CharField(_("段階"), max_length=16, choices=DraftingStep.choices)
    status = models.CharField(
        _("状態"), max_length=16, choices=DraftingBatchStatus.choices, default=DraftingBatchStatus.PENDING
    )
    model = models.CharField(_("モデル"), max_length=100, blank=True, default="")
    provider_batch_id = models.CharField(_("バッチ ID"), max_length=100, blank=True, default="")
    provider_status = models.CharField(
        _("API 側の状態"), max_length=16, blank=True, default="", help_text=_("validating, in_progress, completed など")
    )
    input_file_id = models.CharField(_("入力ファイル ID"), max_length=100, blank=True, default="")
    output_file_id = models.CharField(_("出力ファイル ID"), max_length=100, blank=True, default="")
    error_file_id = models.CharField(_("エラーファイル ID"), max_length=100, blank=True, default="")
    request_counts = models.JSONField(_("リクエスト数"), default=dict, blank=True)
    error = models.TextField(_("エラー"), blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("送信の試行回数"), default=0)
    # The answer batch made from this read batch's results (once).
    follow_up = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="previous",
        verbose_name=_("次のバッチ"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("開始した人"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("期限"), null=True, blank=True)
    polled_at = models.DateTimeField(_("最後に状態を確かめた日時"), null=True, blank=True)
    # A worker sending the batch holds it until then: two workers never send it twice.
    lease_until = models.DateTimeField(_("送信中の期限"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("下書きのバッチ")
        verbose_name_plural = _("下書きのバッチ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="draftingbatch_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_batch_id"],
                condition=~models.Q(provider_batch_id=""),
                name="draftingbatch_unique_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.provider_batch_id or self.pk}: {self.get_status_display()}"


class DraftingBatchItem(models.Model):
    """One note's request in a batch, named by its ``custom_id`` (``note-<id>-run-<run>-<step>``).

    ``result`` keeps the line of the output or error file as the provider wrote it, so the
    result can be applied (again, after a restart) without asking the provider; ``status``
    says whether it was applied, and a run that is no longer the note's is never applied.
    """

    batch = models.ForeignKey(DraftingBatch, on_delete=models.CASCADE, related_name="items", verbose_name=_("バッチ"))
    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="drafting_batch_items", verbose_name=_("論文ノート")
    )
    run = models.PositiveIntegerField(_("実行番号"))
    custom_id = models.CharField(_("リクエスト ID"), max_length=80)
    status = models.CharField(
        _("状態"), max_length=16, choices=DraftingBatchItemStatus.choices, default=DraftingBatchItemStatus.PENDING
    )
    result = models.JSONField(_("結果の行"), null=True, blank=True)
    error = models.TextField(_("エラー"), blank=True, default="")
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("バッチ内のリクエスト")
        verbose_name_plural = _("バッチ内のリクエスト")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "custom_id"], name="draftingbatchitem_unique_custom_id"),
            models.UniqueConstraint(fields=["batch", "note"], name="draftingbatchitem_one_per_note"),
        ]

    def __str__(self) -> str:
        return f"{self.custom_id}: {self.get_status_display()}"
