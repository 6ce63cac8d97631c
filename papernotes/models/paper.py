"""Papers: arXiv metadata, one row per arXiv identifier (without version)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from papernotes import taxonomy

from .querysets import ContentQuerySet


class Paper(models.Model):
    """An arXiv paper. ``latest_version`` and the dates follow arXiv's versions."""

    arxiv_id = models.CharField(_("arXiv ID"), max_length=64, unique=True, help_text=_("版番号なし(例: 2405.01535)"))
    latest_version = models.PositiveSmallIntegerField(_("最新版"), default=1)
    title = models.CharField(_("タイトル"), max_length=1000, blank=True, default="")
    authors = models.JSONField(_("著者"), default=list, blank=True)
    abstract_en = models.TextField(_("英語の概要"), blank=True, default="")
    # Null until arXiv's metadata arrives for a paper that was entered by its id.
    first_published_on = models.DateField(_("発行日"), null=True, blank=True, help_text=_("第1版の日付"))
    latest_updated_on = models.DateField(_("最終更新日"), null=True, blank=True, help_text=_("最新版の日付"))
    categories = models.JSONField(
        _("カテゴリ"), default=list, blank=True, help_text=_("arXiv のカテゴリコード(主カテゴリが先頭)")
    )
    pdf_url = models.URLField(_("PDF の URL"), max_length=500)
    abs_url = models.URLField(_("概要ページの URL"), max_length=500)
    comment = models.TextField(_("コメント"), blank=True, default="")
    doi = models.CharField(_("DOI"), max_length=200, blank=True, default="")
    journal_ref = models.CharField(_("掲載誌"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("論文")
        verbose_name_plural = _("論文")
        ordering = ["-first_published_on", "arxiv_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latest_updated_on__gte=models.F("first_published_on")),
                name="paper_updated_not_before_published",
            ),
            models.CheckConstraint(condition=models.Q(latest_version__gte=1), name="paper_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id} {self.title}".strip()

    @property
    def has_metadata(self) -> bool:
        return self.first_published_on is not None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.latest_version}"

    @property
    def category_names(self) -> list[str]:
        """Display names, primary first."""
        return [taxonomy.name_for(code) for code in self.categories]
