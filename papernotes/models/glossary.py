"""The glossary (term base): steers drafting and the quality checks.

It lives in the content core because both the drafting pipeline and the editors' checks
read it. The model moved here from ``editorial``; its tables keep their names.
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class GlossaryEntry(models.Model):
    """A term base entry: how an English term is rendered in Japanese, and how it is not.

    Drafting puts the entries whose term occurs in a paper into the prompt; the checks flag
    a Japanese text that uses a forbidden variant, or the term without its preferred form.
    """

    term = models.CharField(_("用語(英語)"), max_length=200, help_text=_("例: fine-tuning"))
    preferred = models.CharField(
        _("推奨訳"), max_length=200, help_text=_("日本語での推奨表記。英語のまま書く場合は用語と同じにします。")
    )
    forbidden_variants = models.JSONField(
        _("使わない表記"), default=list, blank=True, help_text=_("避ける訳語・表記の一覧")
    )
    note = models.TextField(_("メモ"), blank=True, default="")
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    history = HistoricalRecords(table_name="editorial_historicalglossaryentry")

    class Meta:
        db_table = "editorial_glossaryentry"
        verbose_name = _("用語集の項目")
        verbose_name_plural = _("用語集")
        ordering = [Lower("term")]
        constraints = [
            models.UniqueConstraint(
                Lower("term"),
                name="glossary_unique_term_ci",
                violation_error_message=_("この用語は用語集に既にあります。"),
            ),
            models.CheckConstraint(condition=~models.Q(term=""), name="glossary_term_not_empty"),
            models.CheckConstraint(condition=~models.Q(preferred=""), name="glossary_preferred_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.preferred}"
