"""Version stamps of public content: one counter per page key (an issue, a paper, a list).

Reader pages and the public API are cached and validated (ETag, Last-Modified) by the
stamps of the keys they show (``papernotes.stamps``). A row changes only when public
content does, after that change has committed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicStamp(models.Model):
    """The version of one key of public content (``issue:2024-04-29``, ``paper:2405.01535``,
    ``archive``…): a number that only grows, and when it last grew."""

    key = models.CharField(_("キー"), max_length=100, primary_key=True)
    version = models.BigIntegerField(_("版"))
    changed_at = models.DateTimeField(_("変更日時"))

    class Meta:
        verbose_name = _("公開内容の版")
        verbose_name_plural = _("公開内容の版")

    def __str__(self) -> str:
        return f"{self.key}={self.version}"
