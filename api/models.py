"""API tokens, stored hashed: the key is shown once, when it is made, and never again."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A key for the editorial API (``Authorization: Token <key>``) of one user.

    Only the SHA-256 digest of the key is kept (keys are 256 random bits, so a fast hash
    is enough); ``prefix`` is its first characters, to tell tokens apart in the admin.
    Every token expires; rotating one makes a new key and ends the old.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("ユーザー")
    )
    name = models.CharField(_("用途"), max_length=100, help_text=_("例: 週刊号の自動作成スクリプト"))
    prefix = models.CharField(_("キーの先頭"), max_length=16, editable=False)
    digest = models.CharField(_("キーのハッシュ"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("有効期限"))
    last_used_at = models.DateTimeField(_("最終使用日時"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("トークン")
        verbose_name_plural = _("トークン")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
