"""The one module that owns the LLM client (the official ``openai`` package).

Calls go to the Chat Completions endpoint (``/v1/chat/completions``) with a strict
``json_schema`` response format: that is what OpenAI and the OpenAI-compatible servers
(vLLM, Ollama, llama.cpp, LM Studio) have in common, so ``OPENAI_BASE_URL`` can point at a
local model. The client's own retries are off: retries follow the project's HTTP policy
for the ``llm`` service (429, 5xx, timeouts; ``Retry-After`` honoured), and every call
waits for a slot of the shared ``llm`` rate limiter (concurrent calls, requests and
tokens per minute, across workers).

Every HTTP attempt, failed ones included, is reported to the caller's ``on_call`` as a
:class:`CallRecord` (tokens, latency, outcome), which drafting stores with its cost. What
the model returned is classified here: a refusal and ``finish_reason=length`` are
outcomes of their own, and content is parsed and validated against the pydantic model.

The Batch API (``papernotes.drafting.batch``) sends the very request body a call sends
(:func:`request_body`), and its results come back through :func:`reply_from_batch`,
which classifies them as a call's reply is classified, errors included.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

import openai
from django.conf import settings
from django.utils.translation import gettext as _
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from papernotes.drafting.schemas import response_format
from papernotes.external.errors import ExternalError
from papernotes.external.http import is_retryable_status, parse_retry_after, policy_for
from papernotes.external.ratelimit import DEFAULT_MAX_WAIT, get_limiter, service_slot
from papernotes.models import LlmCallOutcome

logger = logging.getLogger(__name__)

SERVICE = "llm"
# Characters per token of the English-heavy prompts, to reserve tokens before a call;
# the reservation is settled with the real count afterwards.
_CHARS_PER_TOKEN = 3


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, as recorded: what it used and how it ended."""

    step: str
    model: str
    attempt: int
    outcome: str
    latency_ms: int
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    status_code: int | None = None
    error: str = ""
    error_code: str = ""  # the provider's own code ("context_length_exceeded")
    batch_id: str = ""  # the Batch API's batch that carried the request (batch price)


@dataclass(frozen=True)
class LlmReply:
    """A completed call: the raw content, and the parsed output or why it could not be used."""

    content: str
    outcome: str  # ok, invalid or truncated (refusals raise)
    parsed: BaseModel | None
    problems: list[str] = field(default_factory=list)
    record: CallRecord | None = None


class LlmError(ExternalError):
    """The LLM could not give an answer (after this run's retries), or refused to."""


class BatchLineError(LlmError):
    """A batch did not carry out the request, or carried it out with an HTTP error: the
    request may be made again with an ordinary call when ``retryable``."""


@dataclass(frozen=True)
class BatchLine:
    """One request's line of a batch's output or error file, with the batch it came from.

    ``status_code`` and ``body`` are the response the request got (None when it got none:
    the batch expired, was cancelled or failed first; ``error_code`` and ``error_message``
    then say why).
    """

    batch_id: str
    custom_id: str
    status_code: int | None = None
    body: dict | None = None
    error_code: str = ""
    error_message: str = ""
    latency_ms: int = 0  # from the batch's submission to its end

    @classmethod
    def parse(cls, line: dict, *, batch_id: str, latency_ms: int = 0) -> BatchLine:
        response = line.get("response") or {}
        error = line.get("error") or {}
        return cls(
            batch_id=batch_id,
            custom_id=str(line.get("custom_id") or ""),
            status_code=response.get("status_code"),
            body=response.get("body") if isinstance(response.get("body"), dict) else None,
            error_code=str(error.get("code") or ""),
            error_message=str(error.get("message") or ""),
            latency_ms=latency_ms,
        )


def deadline_error(last: str = "") -> LlmError:
    """The paper's run is past ``DRAFTING_PAPER_DEADLINE``: final, with the last failure seen."""
    message = _(
        "この論文の下書きが制限時間({seconds:g} 秒、DRAFTING_PAPER_DEADLINE)内に終わらなかったため、打ち切りました。"
        "LLM の API の状態を確かめてから、下書きを作り直してください。"
    ).format(seconds=settings.DRAFTING_PAPER_DEADLINE)
    if last:
        message += _("最後のエラー: {last}").format(last=last)
    return LlmError("llm_deadline", message, retryable=False)


def llm_configured() -> bool:
    """Drafting is on when a key or a base URL (a local server may need no key) is set."""
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def not_configured_reason() -> str:
    return _(
        "LLM が設定されていないため、機械下書きは作られません"
        "(OPENAI_API_KEY または OPENAI_BASE_URL を設定してください)。編集者が手で下書きを書いてください。"
    )


# Replay (``replay_prompts --model``) runs every step on one model, without touching settings.
_model_override: ContextVar[str] = ContextVar("llm_model_override", default="")


@contextmanager
def model_override(model: str) -> Iterator[None]:
    """Within the block, every step's calls use ``model`` ("" keeps the configured ones)."""
    token = _model_override.set(model or "")
    try:
        yield
    finally:
        _model_override.reset(token)


def model_for(step: str) -> str:
    if _model_override.get():
        return _model_override.get()
    return {
        "read": settings.LLM_MODEL_READ,
        "answer": settings.LLM_MODEL_ANSWER,
        "repair": settings.LLM_MODEL_REPAIR,
        "judge": settings.DRAFTING_JUDGE_MODEL or settings.LLM_MODEL,
    }.get(step, settings.LLM_MODEL)


def client() -> openai.OpenAI:
    """The configured client (its own retries off: the callers retry by the project's policy)."""
    return _client(settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL, policy_for(SERVICE).timeout)


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(
        # A local server may accept any key; the package insists on one.
        api_key=api_key or "not-needed",
        base_url=base_url or None,
        timeout=timeout,
        max_retries=0,
    )


def _estimate_tokens(messages: list[dict], max_output_tokens: int) -> int:
    return sum(len(message["content"]) for message in messages) // _CHARS_PER_TOKEN + max_output_tokens // 2


_FENCE_RE = re.compile(r"^\s*```[A-Za-z]*[ \t]*\n?(?P<body>.*?)\n?```\s*$", re.DOTALL)


def _unfenced(content: str) -> str:
    """The JSON inside a Markdown code fence (```json … ```), which models add even when told not to."""
    match = _FENCE_RE.match(content)
    return match.group("body") if match else content


def _validate(content: str, schema: type[BaseModel]) -> tuple[BaseModel | None, list[str]]:
    try:
        return schema.model_validate(json.loads(_unfenced(content))), []
    except json.JSONDecodeError as error:
        return None, [f"The output is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})."]
    except ValidationError as error:
        problems = []
        for item in error.errors()[:20]:
            where = ".".join(str(part) for part in item["loc"]) or "(root)"
            problems.append(f"{where}: {item['msg']}")
        return None, problems


def _provider_said(error: openai.APIStatusError) -> tuple[str, str]:
    """(code, message) of the provider's error body: OpenAI's ``{"error": {"message", "code"}}``,
    or whatever text another server sent."""
    body = error.body
    if isinstance(body, dict):
        code = body.get("code") or body.get("type") or ""
        return str(code)[:100], str(body.get("message") or "")[:1000]
    return "", str(body or "")[:1000]


def _status_failure(error: openai.APIStatusError) -> tuple[LlmError, int]:
    status = error.status_code
    code, said = _provider_said(error)
    headers = error.response.headers if error.response is not None else {}
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is None and headers.get("retry-after-ms"):
        retry_after = (parse_retry_after(headers.get("retry-after-ms")) or 0.0) / 1000.0
    return http_failure(status, code, said, retry_after=retry_after), status


def http_failure(
    status: int, code: str, said: str, *, retry_after: float | None = None, error_type: type[LlmError] = LlmError
) -> LlmError:
    """The failure an editor reads for an HTTP error of the LLM's API, with what the provider said."""
    if status in (401, 403):
        message = _("LLM の API がリクエストを拒否しました(HTTP {status})。API キーと権限を確認してください。")
    elif status == 404:
        message = _(
            "LLM の API にモデルまたはエンドポイントが見つかりません(HTTP 404)。"
            "モデル名と OPENAI_BASE_URL を確認してください。"
        )
    elif status == 429:
        message = _("LLM の API が混み合っているか、利用上限に達しました(HTTP 429)。")
    elif status >= 500:
        message = _("LLM の API がエラーを返しました(HTTP {status})。")
    elif code == "context_length_exceeded" or "context length" in said.lower():
        message = _(
            "論文の本文がモデルの入力の上限を超えました(HTTP {status})。"
            "DRAFTING_ANSWER_PASSAGE_CHARS を小さくするか、入力の上限が大きいモデルを使ってください。"
        )
    else:
        message = _("LLM の API がリクエストを受け付けませんでした(HTTP {status})。")
    message = message.format(status=status)
    if said:
        message += _("API の説明: {said}").format(said=said[:300])
    return error_type("llm_http_error", message, retryable=is_retryable_status(status), retry_after=retry_after)


def api_failure(error: openai.OpenAIError) -> LlmError:
    """Any failure of the client (an HTTP error, a timeout, no connection) as the editor reads it."""
    if isinstance(error, openai.APIStatusError):
        return _status_failure(error)[0]
    if isinstance(error, openai.APITimeoutError):
        return LlmError("llm_timeout", _("LLM の API が時間内に応答しませんでした。"), retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return LlmError("llm_connection", _("LLM の API に接続できません。"), retryable=True)
    return LlmError("llm_error", _("LLM の API の呼び出しに失敗しました: {error}").format(error=str(error)[:300]))


def request_body(
    *, step: str, messages: list[dict], schema: type[BaseModel], max_output_tokens: int | None = None
) -> dict:
    """The JSON body of one Chat Completions request of ``step``: what a call sends, and what
    a line of a batch's input file carries."""
    body = {
        "model": model_for(step),
        "messages": messages,
        "response_format": response_format(schema),
        settings.LLM_MAX_TOKENS_PARAMETER: max_output_tokens or settings.LLM_MAX_OUTPUT_TOKENS,
    }
    if not settings.OPENAI_BASE_URL:
        # OpenAI routes requests with the same key to the same cache; other servers may
        # refuse parameters they do not know.
        body["prompt_cache_key"] = f"papernotes-{step}"
    return body


def _sdk_arguments(body: dict) -> dict:
    """``body`` as the client's keyword arguments (parameters it may not name go as extra body)."""
    arguments = dict(body)
    if "prompt_cache_key" in arguments:
        arguments["extra_body"] = {"prompt_cache_key": arguments.pop("prompt_cache_key")}
    return arguments


def complete(
    *,
    step: str,
    messages: list[dict],
    schema: type[BaseModel],
    on_call: Callable[[CallRecord], None],
    max_output_tokens: int | None = None,
    deadline: float | None = None,
) -> LlmReply:
    """One logical call of ``step``, retried on transient failures within this run.

    Returns an :class:`LlmReply` whose outcome is ``ok``, ``invalid`` (the content does not
    fit ``schema``: ``problems`` says why) or ``truncated`` (``finish_reason=length``).
    Raises :class:`LlmError` for a refusal, for a failure that is not transient, or when
    retries run out (``retryable`` and ``retry_after`` then tell the task when to come back).

    ``deadline`` (epoch seconds) bounds the whole paper: no attempt waits past it, and once
    it has passed the call fails for good (:func:`deadline_error`).
    """
    policy = policy_for(SERVICE)
    model = model_for(step)
    budget = max_output_tokens or settings.LLM_MAX_OUTPUT_TOKENS
    llm_client = client()
    arguments = _sdk_arguments(
        request_body(step=step, messages=messages, schema=schema, max_output_tokens=max_output_tokens)
    )
    last_error = ""
    for attempt in range(1, policy.attempts + 1):
        if _remaining(deadline) <= 0:
            raise deadline_error(last_error)
        started = time.monotonic()
        failure: LlmError | None = None
        provider_code = ""
        max_wait = min(DEFAULT_MAX_WAIT, _remaining(deadline))
        with service_slot(SERVICE, tokens=_estimate_tokens(messages, budget), max_wait=max_wait) as reservation:
            timeout = min(policy.timeout, _remaining(deadline))
            if timeout <= 0:
                reservation.settle(0)
                raise deadline_error(last_error)
            try:
                completion = llm_client.chat.completions.create(**arguments, timeout=timeout)
            except openai.APIStatusError as error:
                failure, status = _status_failure(error)
                provider_code, said = _provider_said(error)
                outcome, detail = LlmCallOutcome.HTTP_ERROR, f"HTTP {status}" + (f": {said}" if said else "")
            except openai.APITimeoutError:
                failure = LlmError(
                    "llm_timeout",
                    _("LLM の応答が {seconds:g} 秒以内にありませんでした。").format(seconds=timeout),
                    retryable=True,
                )
                status, outcome, detail = None, LlmCallOutcome.TIMEOUT, "timeout"
            except openai.APIConnectionError as error:
                failure = LlmError("llm_connection", _("LLM の API に接続できません。"), retryable=True)
                status, outcome, detail = None, LlmCallOutcome.CONNECTION, str(error)
            latency_ms = int((time.monotonic() - started) * 1000)
            if failure is None:
                usage = completion.usage
                input_tokens = usage.prompt_tokens if usage else 0
                output_tokens = usage.completion_tokens if usage else 0
                details = getattr(usage, "prompt_tokens_details", None) if usage else None
                cached = (getattr(details, "cached_tokens", 0) or 0) if details else 0
                reservation.settle(input_tokens + output_tokens)
            else:
                reservation.settle(0)
        if failure is not None:
            on_call(
                CallRecord(
                    step,
                    model,
                    attempt,
                    outcome,
                    latency_ms,
                    status_code=status,
                    error=detail[:1000],
                    error_code=provider_code,
                )
            )
            if failure.retry_after and status == 429:
                # The quota is shared: every worker waits, not only this one.
                get_limiter(SERVICE).defer(min(failure.retry_after, policy.max_retry_after))
            last_error = failure.message
            if not failure.retryable or policy.gives_up_on(attempt, failure.retry_after):
                raise failure
            delay = policy.delay_before(attempt, failure.retry_after)
            if delay >= _remaining(deadline):
                raise deadline_error(last_error)
            time.sleep(delay)
            continue
        return _classify(
            completion,
            schema,
            CallRecord(step, model, attempt, "", latency_ms, input_tokens, cached, output_tokens),
            on_call,
        )
    raise AssertionError("unreachable: attempts >= 1")


def _remaining(deadline: float | None) -> float:
    return float("inf") if deadline is None else deadline - time.time()


def _classify(
    completion, schema: type[BaseModel], record: CallRecord, on_call: Callable[[CallRecord], None]
) -> LlmReply:
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice else None
    refusal = getattr(message, "refusal", None) if message else None
    content = (message.content or "") if message else ""

    def done(outcome: str, error: str = "") -> CallRecord:
        final = CallRecord(**{**record.__dict__, "outcome": outcome, "error": error[:500]})
        on_call(final)
        return final

    if refusal:
        done(LlmCallOutcome.REFUSED, refusal)
        raise LlmError(
            "llm_refusal",
            _("LLM が回答を拒否しました: {refusal}").format(refusal=refusal[:200]),
            retryable=False,
        )
    if choice is not None and choice.finish_reason == "length":
        final = done(LlmCallOutcome.TRUNCATED, "finish_reason=length")
        return LlmReply(content=content, outcome=LlmCallOutcome.TRUNCATED, parsed=None, problems=[], record=final)
    parsed, problems = _validate(content, schema)
    if parsed is None:
        final = done(LlmCallOutcome.INVALID, "; ".join(problems))
        return LlmReply(content=content, outcome=LlmCallOutcome.INVALID, parsed=None, problems=problems, record=final)
    final = done(LlmCallOutcome.OK)
    return LlmReply(content=content, outcome=LlmCallOutcome.OK, parsed=parsed, record=final)


# A request past the batch's deadline (DRAFTING_BATCH_DEADLINE) is not made again: its note fails.
BATCH_DEADLINE_CODE = "batch_deadline"
# The lines drafting writes itself for requests a batch never ran (past the deadline, never
# sent, the whole batch failed, no line in its files): their message is the editor's already.
OWN_BATCH_CODES = frozenset({BATCH_DEADLINE_CODE, "batch_not_sent", "batch_failed", "batch_missing"})
_BATCH_NOT_RUN = {
    "batch_expired": _("バッチが API の処理期限(24 時間)内に終わらず、このリクエストは処理されませんでした。"),
    "batch_cancelled": _("バッチが取り消され、このリクエストは処理されませんでした。"),
}


def batch_line_record(line: BatchLine, step: str) -> CallRecord:
    """The call a batch line stands for: its tokens, or why it got no answer."""
    model = model_for(step)
    if line.status_code is None:
        detail = f"{line.error_code}: {line.error_message}".strip(": ")
        return CallRecord(
            step,
            model,
            1,
            LlmCallOutcome.BATCH_FAILED,
            line.latency_ms,
            error=detail[:1000],
            error_code=line.error_code[:100],
            batch_id=line.batch_id,
        )
    if line.status_code != 200:
        error = (line.body or {}).get("error") or {}
        said = str(error.get("message") or "") if isinstance(error, dict) else str(error)
        code = str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
        return CallRecord(
            step,
            model,
            1,
            LlmCallOutcome.HTTP_ERROR,
            line.latency_ms,
            status_code=line.status_code,
            error=(f"HTTP {line.status_code}" + (f": {said}" if said else ""))[:1000],
            error_code=code[:100],
            batch_id=line.batch_id,
        )
    usage = (line.body or {}).get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return CallRecord(
        step,
        model,  # as an ordinary call records it: the model asked for
        1,
        LlmCallOutcome.OK,
        line.latency_ms,
        input_tokens=int(usage.get("prompt_tokens") or 0),
        cached_input_tokens=int(details.get("cached_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        batch_id=line.batch_id,
    )


def reply_from_batch(
    line: BatchLine, *, step: str, schema: type[BaseModel], on_call: Callable[[CallRecord], None]
) -> LlmReply:
    """A batch's result for one request, as :func:`complete` would have returned it.

    The request's call is reported to ``on_call`` (priced at the batch rate); a line without
    a response, or with an HTTP error, raises :class:`BatchLineError` with the message the
    same error gets from an ordinary call (``retryable`` when an ordinary call may succeed).
    """
    record = batch_line_record(line, step)
    if record.outcome == LlmCallOutcome.BATCH_FAILED:
        if line.batch_id:  # a request never sent made no call
            on_call(record)
        if line.error_code in OWN_BATCH_CODES and line.error_message:
            message = line.error_message
        else:
            message = _BATCH_NOT_RUN.get(line.error_code) or _(
                "バッチがこのリクエストを処理しませんでした({code})。"
            ).format(code=line.error_code or "unknown")
            if line.error_message:
                message += _("API の説明: {said}").format(said=line.error_message[:300])
        retryable = line.error_code != BATCH_DEADLINE_CODE
        raise BatchLineError(f"llm_{line.error_code or 'batch'}"[:32], message, retryable=retryable)
    if record.outcome == LlmCallOutcome.HTTP_ERROR:
        on_call(record)
        error = (line.body or {}).get("error") or {}
        said = str(error.get("message") or "") if isinstance(error, dict) else str(error)
        raise http_failure(line.status_code or 0, record.error_code, said, error_type=BatchLineError)
    try:
        completion = ChatCompletion.model_validate(line.body or {})
    except ValidationError:
        failed = CallRecord(**{**record.__dict__, "outcome": LlmCallOutcome.INVALID, "error": "not a chat completion"})
        on_call(failed)
        return LlmReply(
            content="",
            outcome=LlmCallOutcome.INVALID,
            parsed=None,
            problems=["The response is not a chat completion."],
            record=failed,
        )
    return _classify(completion, schema, record, on_call)
