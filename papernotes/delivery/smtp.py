"""Django's SMTP backend, paced by the shared rate limiter, remembering where a conversation
was and what the server replied.

The send log keeps the server's reply to each message ("250 2.0.0 Ok: queued as ..."),
and the sender must know *where* a connection broke: before DATA nothing was delivered
(send it again later), during DATA the server may have accepted the message (its fate is
unknown, and it is never re-sent by itself). ``settings`` puts this backend in place of
Django's whenever ``EMAIL_URL`` names an SMTP server; it behaves the same otherwise.
"""

import smtplib
from dataclasses import dataclass

from django.core.mail.backends import smtp

from papernotes.external.ratelimit import service_slot

LIMITER = "newsletter"


def wait_for_turn() -> None:
    """Block until the shared limiter ``newsletter`` lets the next message start.

    ``NEWSLETTER_MESSAGES_PER_SECOND`` / ``_PER_MINUTE``, shared by every worker (Redis when
    ``REDIS_URL`` is set). The turn is taken at MAIL FROM, when the message's bytes are
    ready, so that messages *reach the server* no more often than that.
    """
    with service_slot(LIMITER):
        pass


class _Recording:
    """Mixin for smtplib's SMTP classes: paced, with the phase of the current message and the last reply."""

    phase = ""
    last_reply = ""

    def mail(self, *args, **kwargs):
        self.phase, self.last_reply = "wait", ""
        wait_for_turn()
        self.phase = "mail"
        return super().mail(*args, **kwargs)

    def rcpt(self, *args, **kwargs):
        self.phase = "rcpt"
        return super().rcpt(*args, **kwargs)

    def data(self, msg):
        self.phase = "data"
        code, reply = super().data(msg)
        self.last_reply = f"{code} {reply.decode('utf-8', 'replace')}"[:500]
        self.phase = "done"
        return code, reply


class RecordingSMTP(_Recording, smtplib.SMTP):
    pass


class RecordingSMTP_SSL(_Recording, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    @property
    def connection_class(self):
        return RecordingSMTP_SSL if self.use_ssl else RecordingSMTP


@dataclass(frozen=True)
class SmtpFailure:
    """What a failed send means for the message.

    ``kind``: ``temporary`` (4xx for this recipient: retry later), ``permanent`` (5xx for
    this recipient: never retry, the address bounced), ``unknown`` (the connection broke
    while the server held the message: it may have been delivered), ``transport`` (the
    server or the connection failed before the message was handed over: nothing was
    delivered; stop the batch and retry later).
    """

    kind: str
    code: int | None
    message: str


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def classify(error: BaseException, *, phase: str) -> SmtpFailure:
    """Sort an exception raised while sending one message (one recipient) into a :class:`SmtpFailure`."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (None, b""))
        return _by_code(code, f"{code} {_text(reply)}")
    if isinstance(error, smtplib.SMTPDataError):
        return _by_code(error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPResponseException):
        # MAIL FROM refused, HELO or authentication failed: our side, not the recipient's.
        return SmtpFailure("transport", error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}")
    message = f"{type(error).__name__}: {error}"
    if phase == "data":
        return SmtpFailure("unknown", None, message)
    return SmtpFailure("transport", None, message)


def _by_code(code: int | None, message: str) -> SmtpFailure:
    if code is not None and 500 <= code < 600:
        return SmtpFailure("permanent", code, message)
    return SmtpFailure("temporary", code, message)
