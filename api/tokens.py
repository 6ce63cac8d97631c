"""API tokens: made, rotated and checked here (``api.models.ApiToken``).

A key is ``pn_`` and 43 URL-safe characters (256 random bits). It is returned once, by
:func:`api_token_create` or :func:`api_token_rotate`; only its digest is stored, so a
copy of the database gives no usable key.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.models import ApiToken

KEY_PREFIX = "pn_"
SHOWN_PREFIX_LENGTH = 10
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be made as asked; ``str()`` is a Japanese message."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once, never stored


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _expiry(days: int | None) -> datetime.datetime:
    days = settings.API_TOKEN_TTL_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_TTL_DAYS:
        raise TokenError(_("有効期間は 1〜{max} 日にしてください。").format(max=settings.API_TOKEN_MAX_TTL_DAYS))
    return timezone.now() + datetime.timedelta(days=days)


@transaction.atomic
def api_token_create(*, user, name: str, days: int | None = None) -> IssuedToken:
    """A new token for ``user``, valid ``days`` (API_TOKEN_TTL_DAYS by default)."""
    if not name.strip():
        raise TokenError(_("用途を入力してください。"))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=key[:SHOWN_PREFIX_LENGTH], digest=digest_of(key), expires_at=_expiry(days)
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_rotate(*, token: ApiToken, days: int | None = None) -> IssuedToken:
    """A new key for the same user and use; the old key stops working at once."""
    old = ApiToken.objects.select_for_update().get(pk=token.pk)
    issued = api_token_create(user=old.user, name=old.name, days=days)
    old.delete()
    return issued


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored digests; expired keys and
    inactive users are refused (401, in Japanese)."""

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("トークンが正しくありません。"))
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                _("トークンの有効期限が切れています。新しいトークンを作成してください。")
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("このユーザーは無効になっています。"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
