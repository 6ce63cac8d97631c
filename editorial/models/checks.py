"""Stored results of the quality checks, and the findings editors dismissed.

Findings are recomputed whenever a note or one of its Q&A pairs is saved (and on
demand), so the lists can show counts without running the checks per row. A dismissal
is keyed by the finding's fingerprint, which includes the text of the field it is about:
it holds while that text is unchanged and lapses as soon as the text changes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from editorial.choices import Severity
from papernotes.models import Note, QuestionAnswer


class QualityFinding(models.Model):
    """One problem a check found in one field of a note (or of one of its Q&A pairs)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="findings", verbose_name=_("論文ノート"))
    qa = models.ForeignKey(
        QuestionAnswer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("Q&A"),
    )
    field = models.CharField(_("欄"), max_length=32, blank=True, default="")
    code = models.CharField(_("チェック"), max_length=48)
    severity = models.CharField(_("重要度"), max_length=16, choices=Severity.choices)
    message = models.TextField(_("内容"))
    excerpt = models.TextField(_("該当箇所"), blank=True, default="")
    fingerprint = models.CharField(_("指紋"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("検出日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("品質チェックの指摘")
        verbose_name_plural = _("品質チェックの指摘")
        ordering = ["note", "qa__position", "field", "code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["note", "fingerprint"], name="finding_unique_per_note"),
        ]

    def __str__(self) -> str:
        return f"[{self.get_severity_display()}] {self.message}"

    @property
    def slot(self) -> str:
        """Where the review screen shows it: ``"abstract_ja"``, or ``"qa:<id>:answer"`` for a Q&A pair."""
        return f"qa:{self.qa_id}:{self.field}" if self.qa_id else self.field


class FindingDismissal(models.Model):
    """An editor's decision that a finding is not a problem, with the reason."""

    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="finding_dismissals", verbose_name=_("論文ノート")
    )
    fingerprint = models.CharField(_("指紋"), max_length=64)
    code = models.CharField(_("チェック"), max_length=48)
    excerpt = models.TextField(_("該当箇所"), blank=True, default="")
    reason = models.TextField(_("理由"))
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("判断した人")
    )
    dismissed_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("指摘の却下")
        verbose_name_plural = _("指摘の却下")
        constraints = [
            models.UniqueConstraint(fields=["note", "fingerprint"], name="dismissal_unique_per_note"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="dismissal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.reason[:40]}"
