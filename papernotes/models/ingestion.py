"""What ingestion stores: each paper's PDF, its passages, and its pipeline state."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import IngestionStage, IngestionStatus
from .issue import WeeklyIssue
from .paper import Paper
from .pipeline_state import PipelineState


class PaperPdf(models.Model):
    """The downloaded PDF of a paper's latest version. Never served to readers (arXiv's terms)."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="pdf", verbose_name=_("論文"))
    version = models.PositiveSmallIntegerField(_("版"))
    source_url = models.URLField(_("取得元"), max_length=500)
    file = models.FileField(_("ファイル"), upload_to="pdfs/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("サイズ(バイト)"))
    page_count = models.PositiveIntegerField(_("ページ数"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("取得日時"))

    class Meta:
        verbose_name = _("PDF")
        verbose_name_plural = _("PDF")

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.version}.pdf"


class PassageQuerySet(models.QuerySet):
    def body(self) -> "PassageQuerySet":
        """The body text in order: what drafting may quote and editors read beside a note
        (not the references, not the text inside figures and charts)."""
        return self.filter(is_reference=False, is_figure_text=False).order_by("position")


class Passage(models.Model):
    """A chunk of a paper's text with where it comes from, for retrieval and citation."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="passages", verbose_name=_("論文"))
    position = models.PositiveIntegerField(_("順番"))
    page_start = models.PositiveIntegerField(_("開始ページ"))
    page_end = models.PositiveIntegerField(_("終了ページ"))
    section = models.CharField(_("節"), max_length=300, blank=True, default="")
    text = models.TextField(_("本文"))
    is_reference = models.BooleanField(_("参考文献"), default=False)
    # Tick numbers, legends and axis titles of a chart: kept, but never quoted as prose.
    is_figure_text = models.BooleanField(_("図中の文字"), default=False)
    # A table: its caption, then one row per line with cells split by " | ". Body text (its
    # numbers are evidence), shown row by row on the review screen.
    is_table = models.BooleanField(_("表"), default=False)

    objects = PassageQuerySet.as_manager()

    class Meta:
        verbose_name = _("本文パッセージ")
        verbose_name_plural = _("本文パッセージ")
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="passage_unique_position"),
            models.CheckConstraint(condition=models.Q(page_end__gte=models.F("page_start")), name="passage_page_range"),
            models.CheckConstraint(condition=models.Q(page_start__gte=1), name="passage_page_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} p.{self.page_start}-{self.page_end} {self.section}"


class PaperIngestion(PipelineState):
    """The pipeline state of one paper: stage, progress, attempts, last error, timings."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="ingestion", verbose_name=_("論文"))
    stage = models.CharField(_("段階"), max_length=16, choices=IngestionStage.choices, default=IngestionStage.QUEUED)
    status = models.CharField(
        _("状態"), max_length=16, choices=IngestionStatus.choices, default=IngestionStatus.PENDING
    )
    timings = models.JSONField(_("所要時間(秒)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("取り込み状況")
        verbose_name_plural = _("取り込み状況")

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}: {self.get_stage_display()} / {self.get_status_display()}"

    @property
    def progress(self) -> int:
        """Percent done, from the stage: each of the three steps is a third."""
        if self.stage == IngestionStage.DONE:
            return 100
        done_steps = {
            IngestionStage.QUEUED: 0,
            IngestionStage.METADATA: 0,
            IngestionStage.PDF: 1,
            IngestionStage.EXTRACTION: 2,
        }[self.stage]
        return round(done_steps * 100 / 3)


class IssueSourceList(models.Model):
    """A list an editor submitted to fill an issue, with what could not be used."""

    issue = models.ForeignKey(
        WeeklyIssue, on_delete=models.CASCADE, related_name="source_lists", verbose_name=_("週刊号")
    )
    text = models.TextField(_("入力されたリスト"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("入力者"),
    )
    submitted_at = models.DateTimeField(_("入力日時"), auto_now_add=True)
    accepted = models.JSONField(_("追加した論文"), default=list, blank=True)
    rejected = models.JSONField(_("使えなかった行"), default=list, blank=True)
    duplicates = models.JSONField(_("重複としてまとめた行"), default=list, blank=True)

    class Meta:
        verbose_name = _("論文リスト")
        verbose_name_plural = _("論文リスト")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.issue.week_start} ({self.submitted_at:%Y-%m-%d %H:%M})"
