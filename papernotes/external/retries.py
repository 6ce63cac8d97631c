"""What a task does when an outside call fails: record it, then retry later or stop.

Every pipeline task catches :class:`~papernotes.external.errors.ExternalError` (and Celery's
soft time limit) once, and hands it here with a function that records the failure on what
the task was working on. A retryable failure with retries left is retried with exponential
backoff and jitter (never sooner than the service's ``Retry-After``); otherwise it is final.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from papernotes.external.errors import ExternalError


def backoff(retries: int, *, base: float = 10.0, cap: float = 600.0, at_least: float = 0.0) -> float:
    """Seconds before retry ``retries + 1``; jittered so that many papers' retries do not align."""
    return max(at_least, min(cap, base * 2**retries) * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class FailureOutcome:
    """What becomes of a failure: final, or retry number ``retry`` of ``max_retries`` in ``countdown`` s."""

    error: ExternalError
    final: bool
    retry: int  # 1-based number of the coming retry (0 when final)
    max_retries: int
    countdown: float | None


def as_external_error(error: BaseException, *, timeout_message: str) -> ExternalError:
    if isinstance(error, ExternalError):
        return error
    if isinstance(error, SoftTimeLimitExceeded):
        return ExternalError("timeout", timeout_message, retryable=True)
    raise TypeError(f"not an outside failure: {error!r}") from error


def record_then_retry(
    task: Task,
    error: BaseException,
    *,
    timeout_message: str,
    record: Callable[[FailureOutcome], None],
) -> None:
    """Record ``error`` through ``record``; raise Celery's Retry unless the failure is final."""
    failure = as_external_error(error, timeout_message=timeout_message)
    retries = task.request.retries
    final = not failure.retryable or retries >= task.max_retries
    countdown = None if final else backoff(retries, at_least=failure.retry_after or 0.0)
    record(
        FailureOutcome(
            error=failure,
            final=final,
            retry=0 if final else retries + 1,
            max_retries=task.max_retries,
            countdown=countdown,
        )
    )
    if not final:
        raise task.retry(exc=error, countdown=countdown)
