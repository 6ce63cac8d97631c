"""What a task does when an outside call fails: record it, then retry later or stop.

Every pipeline task catches its failures once, and hands them here with a function that
records the failure on what the task was working on: an
:class:`~papernotes.external.errors.ExternalError`, Celery's soft time limit, or a bug
(recorded as a final ``internal_error``, so no paper is left "running" for ever, then
re-raised by the task for the logs). A retryable failure with retries left is retried with exponential
backoff and jitter (never sooner than the service's ``Retry-After``); otherwise it is final.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from papernotes.external.errors import ExternalError
from papernotes.i18n import gettext_safe as _


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

    def failure_fields(self) -> dict:
        """The keyword arguments of ``PipelineState.record_failure`` (and of the services
        that call it) for this outcome."""
        return {
            "code": self.error.code,
            "message": self.error.message,
            "final": self.final,
            "retry_number": self.retry,
            "max_retries": self.max_retries,
            "retry_in": self.countdown,
        }


def as_external_error(error: BaseException, *, timeout_message: str) -> ExternalError:
    """The failure as the editor reads it. A bug (any other exception) is final, not retried."""
    if isinstance(error, ExternalError):
        return error
    if isinstance(error, SoftTimeLimitExceeded):
        return ExternalError("timeout", timeout_message, retryable=True)
    return ExternalError(
        "internal_error",
        _("予期しないエラーが起きました({name})。管理者に連絡してください。").format(name=type(error).__name__),
    )


def is_unexpected(error: BaseException) -> bool:
    """Not an outside failure: after recording it, the task re-raises it for the logs."""
    return not isinstance(error, (ExternalError, SoftTimeLimitExceeded))


def record_then_retry(
    task: Task,
    error: BaseException,
    *,
    timeout_message: str,
    record: Callable[[FailureOutcome], None],
) -> None:
    """Record ``error`` through ``record``; raise Celery's Retry unless the failure is final.

    A final bug is re-raised after it is recorded, so the worker logs its traceback.
    """
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
    if is_unexpected(error):
        raise error
