"""The OpenAI Batch API, as drafting uses it: files and batches of Chat Completions requests.

A batch is a JSONL file of requests uploaded with purpose ``batch`` (``POST /v1/files``),
then ``POST /v1/batches`` with the endpoint ``/v1/chat/completions`` and the completion
window ``24h``; ``GET /v1/batches/{id}`` says where it is (validating, in_progress,
finalizing, then completed, expired, cancelled or failed, with request counts), and its
output and error files (``GET /v1/files/{id}/content``) hold one line per request, named by
the request's ``custom_id``. Each request's body is what an ordinary call sends
(:func:`papernotes.drafting.llm.request_body`).

Every call goes through the configured client (:func:`papernotes.drafting.llm.client`);
a failure is raised as the :class:`~papernotes.drafting.llm.LlmError` an ordinary call
would raise (``retryable`` for 429, 5xx, timeouts and lost connections).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import openai

from papernotes.drafting import llm

logger = logging.getLogger(__name__)

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# Our batch's id in the provider's metadata: a batch created just before a worker died is
# found again instead of being created (and paid for) twice.
METADATA_KEY = "papernotes_batch"
FINAL_STATUSES = frozenset({"completed", "expired", "cancelled", "failed"})

T = TypeVar("T")


@dataclass(frozen=True)
class ProviderBatch:
    """What the provider says of one batch."""

    id: str
    status: str
    input_file_id: str = ""
    output_file_id: str = ""
    error_file_id: str = ""
    request_counts: dict | None = None
    errors: tuple[str, ...] = ()  # why a batch failed: "code: message (line n)"
    created_at: int | None = None
    ended_at: int | None = None  # completed, expired, cancelled or failed at
    metadata: dict | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def of(cls, batch) -> ProviderBatch:
        counts = batch.request_counts
        errors = []
        for error in (batch.errors.data or []) if batch.errors else []:
            where = f" (line {error.line})" if error.line is not None else ""
            errors.append(f"{error.code or 'error'}: {error.message or ''}{where}".strip())
        ended = batch.completed_at or batch.expired_at or batch.cancelled_at or batch.failed_at
        return cls(
            id=batch.id,
            status=batch.status,
            input_file_id=batch.input_file_id or "",
            output_file_id=batch.output_file_id or "",
            error_file_id=batch.error_file_id or "",
            request_counts=(
                {"total": counts.total, "completed": counts.completed, "failed": counts.failed} if counts else None
            ),
            errors=tuple(errors),
            created_at=batch.created_at,
            ended_at=ended,
            metadata=dict(batch.metadata or {}),
        )


def _calling(action: Callable[[], T]) -> T:
    try:
        return action()
    except openai.OpenAIError as error:
        raise llm.api_failure(error) from error


def input_line(custom_id: str, body: dict) -> dict:
    """One request of a batch's input file."""
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}


def upload(lines: list[dict], *, filename: str) -> str:
    """Upload the requests as a JSONL file for a batch; returns the file's id."""
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    uploaded = _calling(lambda: llm.client().files.create(file=(filename, data, "application/jsonl"), purpose="batch"))
    return uploaded.id


def create(*, input_file_id: str, local_id: int) -> ProviderBatch:
    batch = _calling(
        lambda: llm.client().batches.create(
            input_file_id=input_file_id,
            endpoint=ENDPOINT,
            completion_window=COMPLETION_WINDOW,
            metadata={METADATA_KEY: str(local_id)},
        )
    )
    return ProviderBatch.of(batch)


def find(*, input_file_id: str, local_id: int) -> ProviderBatch | None:
    """The batch created earlier for our batch ``local_id`` from this file, if there is one
    (among the provider's latest batches)."""
    page = _calling(lambda: llm.client().batches.list(limit=100))
    for batch in page.data:
        if (batch.metadata or {}).get(METADATA_KEY) == str(local_id) and batch.input_file_id == input_file_id:
            return ProviderBatch.of(batch)
    return None


def retrieve(batch_id: str) -> ProviderBatch:
    return ProviderBatch.of(_calling(lambda: llm.client().batches.retrieve(batch_id)))


def cancel(batch_id: str) -> ProviderBatch:
    return ProviderBatch.of(_calling(lambda: llm.client().batches.cancel(batch_id)))


def lines(file_id: str) -> list[dict]:
    """The lines of an output or error file (none for no file); a line that is not JSON is
    logged and left out (its request then counts as not carried out)."""
    if not file_id:
        return []
    text = _calling(lambda: llm.client().files.content(file_id).text)
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            logger.warning("Line %d of batch file %s is not JSON; left out", number, file_id)
            continue
        if isinstance(line, dict) and line.get("custom_id"):
            found.append(line)
    return found
