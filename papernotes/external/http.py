"""The HTTP policy every outside service shares, each with its own limits.

What counts as worth retrying, how ``Retry-After`` is read, and how long to back off are
written once here. The numbers are per service and come from settings named after it:
``<NAME>_TIMEOUT``, ``<NAME>_RETRY_ATTEMPTS``, ``<NAME>_BACKOFF_BASE``, ``<NAME>_BACKOFF_MAX``
and ``<NAME>_MAX_RETRY_AFTER`` (for ``arxiv``: ``ARXIV_TIMEOUT``...; for ``llm``:
``LLM_TIMEOUT``...), read when the policy is asked for, so a changed setting applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.conf import settings

# 408 and 429 mean "try again later"; 5xx is the service's side. Everything else in
# 4xx is about the request, which will not get better by sending it again.
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def is_retryable_status(status: int) -> bool:
    return status in _RETRYABLE_4XX or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class HttpPolicy:
    """How one service is called: per-request timeout, and how hard to retry it."""

    name: str
    timeout: float = 30.0
    attempts: int = 4
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    # A Retry-After longer than this is not waited out inside a task: the call fails with
    # retry_after set, and the task is rescheduled instead of holding a worker.
    max_retry_after: float = 120.0

    def delay_before(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        backoff = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return max(backoff, retry_after or 0.0)

    def gives_up_on(self, attempt: int, retry_after: float | None) -> bool:
        """After failed attempt number ``attempt`` (1-based): stop trying within this run?"""
        return attempt >= self.attempts or (retry_after is not None and retry_after > self.max_retry_after)


def policy_for(name: str) -> HttpPolicy:
    """The policy of service ``name`` from its settings (defaults where a setting is absent)."""
    prefix = name.upper()
    defaults = HttpPolicy(name)

    def value(key: str, default):
        return type(default)(getattr(settings, f"{prefix}_{key}", default))

    return HttpPolicy(
        name=name,
        timeout=value("TIMEOUT", defaults.timeout),
        attempts=max(1, value("RETRY_ATTEMPTS", defaults.attempts)),
        backoff_base=value("BACKOFF_BASE", defaults.backoff_base),
        backoff_max=value("BACKOFF_MAX", defaults.backoff_max),
        max_retry_after=value("MAX_RETRY_AFTER", defaults.max_retry_after),
    )
