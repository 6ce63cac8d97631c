"""The one error every outside failure is reported as.

arXiv unreachable, a PDF host refusing, a PDF without usable text, the shared rate limiter
out of turns, the LLM answering 429 or nonsense: each is an :class:`ExternalError` with

* ``code``: what went wrong, for code and for filtering in the admin (``timeout``,
  ``http_error``, ``disallowed_host``, ``refusal``...);
* ``message``: what an editor reads, in Japanese, saying what to do;
* ``retryable``: whether trying again later may help (the service, not the input, is at fault);
* ``retry_after``: seconds the service asked us to wait, when it said so.

Tasks catch this one type, once, and record it on what they were working on.
"""

from __future__ import annotations


class ExternalError(Exception):
    """A call outside the project failed, or what it returned cannot be used."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, retryable={self.retryable})"
