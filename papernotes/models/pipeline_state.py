"""What every pipeline keeps of its work on one object (a paper's ingestion, a note's draft)."""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PipelineState(models.Model):
    """Attempts, the last error, a pending automatic retry (which one, of how many, when), times.

    The admin's progress rows and ``pipeline_status`` read these the same way for every
    pipeline, so a message and the number of attempts always agree.
    """

    attempts = models.PositiveIntegerField(_("試行回数"), default=0, help_text=_("今の段階または実行を試した回数"))
    error_code = models.CharField(_("エラーの種類"), max_length=32, blank=True, default="")
    last_error = models.TextField(_("最後のエラー"), blank=True, default="")
    retry_number = models.PositiveSmallIntegerField(_("自動再試行の回数"), default=0)
    max_retries = models.PositiveSmallIntegerField(_("自動再試行の上限"), default=0)
    next_retry_at = models.DateTimeField(_("次の自動再試行"), null=True, blank=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        abstract = True

    def record_failure(
        self,
        *,
        code: str,
        message: str,
        final: bool,
        retry_number: int = 0,
        max_retries: int = 0,
        retry_in: float | None = None,
    ) -> None:
        """Keep the error; a final one ends the work, another waits for its automatic retry."""
        self.error_code = code[:32]
        self.last_error = message
        if final:
            self.finished_at = timezone.now()
            self.next_retry_at = None
        else:
            self.retry_number = retry_number
            self.max_retries = max_retries
            self.next_retry_at = timezone.now() + datetime.timedelta(seconds=retry_in or 0)

    def clear_failure(self) -> None:
        self.error_code = self.last_error = ""
        self.retry_number = self.max_retries = 0
        self.next_retry_at = None
