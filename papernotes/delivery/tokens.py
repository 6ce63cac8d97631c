"""Signed tokens in the links a subscriber receives (``django.core.signing``, salted per use).

- confirmation: the subscriber's id and a digest of the address (the address itself stays
  out of URLs and logs) with a timestamp, valid ``NEWSLETTER_CONFIRM_MAX_AGE`` seconds;
- manage (unsubscribe, preferences): the subscriber's id, without expiry: RFC 8058 asks
  that the link in an old message keeps working.

Nothing is stored: a token is checked by its signature (SECRET_KEY), so it cannot be
guessed or altered, and leaking one exposes only that subscriber's own settings.
"""

import hashlib

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "papernotes.delivery.confirm"
MANAGE_SALT = "papernotes.delivery.manage"


class InvalidToken(Exception):
    """A link's token is malformed, forged or expired."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def confirmation_token(*, subscriber_id: int, email: str) -> str:
    return signing.dumps({"s": subscriber_id, "e": email_digest(email)}, salt=CONFIRM_SALT)


def read_confirmation_token(token: str) -> tuple[int, str]:
    """(subscriber id, address digest) of a confirmation token; raises :class:`InvalidToken`."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvalidToken(expired=True) from error
    except signing.BadSignature as error:
        raise InvalidToken from error
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("e"), str):
        raise InvalidToken
    return data["s"], data["e"]


def manage_token(*, subscriber_id: int) -> str:
    return signing.Signer(salt=MANAGE_SALT).sign(str(subscriber_id))


def read_manage_token(token: str) -> int:
    """The subscriber id of an unsubscribe/preferences token; raises :class:`InvalidToken`."""
    try:
        value = signing.Signer(salt=MANAGE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise InvalidToken from error
    if not value.isdigit():
        raise InvalidToken
    return int(value)
