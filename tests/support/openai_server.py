"""A local stand-in for an OpenAI-compatible server: ``POST /v1/chat/completions``.

A real threaded HTTP server on 127.0.0.1, so the ``openai`` package talks to it over
sockets exactly as it talks to OpenAI, vLLM or Ollama::

    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL = server.base_url
        server.script(Reply(status=429, retry_after="1"), step="read")
        ...
        assert server.steps() == ["read", "read", "answer"]

By default it behaves like a well-mannered model: it reads the JSON the prompts send and
answers in the requested schema (``ReadOutput``, ``AnswerOutput``, ``AnswerRepairOutput``)
with Japanese texts, search terms taken from the paper's passages, and evidence quotes
copied from the passages it was given, so the whole pipeline can run against it. The
judge step (``JudgeOutput``) gets rubric scores computed from what it is sent (see
:func:`_judge`).

``careless`` makes it answer as real models do on a bad day (any of :data:`CARELESS_MODES`,
or ``True`` for all): every answer numbered 1, passage ids as bare numbers ("12"), half the
quotes copied from another passage than the one cited, one question skipped and two merged
into one answer, and the JSON wrapped in a Markdown code fence.

:meth:`OpenAIServer.script` queues misbehaviour for the next calls (of one step, or any):
an HTTP status with ``Retry-After`` and an OpenAI-style error body (``error_code``,
``error_message``: a 400 ``context_length_exceeded``), a delay (to trip timeouts), a hang
(no answer until the client gives up), content that is not JSON or not of the schema, a
refusal, ``finish_reason=length``, or a change to the output (a quote that is not in its
passage). ``latency`` adds a fixed delay to every call and ``max_in_flight`` counts the
most calls answered at once, for the benchmark.

Usage counts tokens as ``len(text) // 3`` and reports ``prompt_tokens_details.cached_tokens``
as OpenAI does: when a system message of at least 1,024 tokens was seen before, its tokens
(in steps of 128) are cached.

It also speaks the Files and Batch API as OpenAI does, so that ``client.files.create``,
``client.batches.create/retrieve/list/cancel`` and ``client.files.content`` work against
it: ``POST /v1/files`` (multipart, purpose ``batch``), ``POST /v1/batches`` (endpoint
``/v1/chat/completions``, window ``24h``), ``GET /v1/batches/{id}`` (validating →
in_progress → finalizing → completed over ``batch_latency`` seconds, with request counts),
``GET /v1/files/{id}/content`` (the output file: ``{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}`` per line; the error file for lines that
got an HTTP error or were not run). Each line is answered as a call would be: the same
outputs, careless modes and scripted replies (a scripted ``status`` puts the line in the
error file; ``delay`` and ``hang`` do not apply). ``hold_batches`` keeps batches in
progress until it is cleared; :meth:`OpenAIServer.script_batch` decides how the next
batch ends (:class:`BatchFate`: expired or cancelled after some lines, or failed).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """How to answer one call. Unset fields keep the normal answer."""

    status: int | None = None  # answer with this HTTP status and an OpenAI-style error body
    retry_after: str | None = None
    error_code: str | None = None  # the error body's "code" (e.g. "context_length_exceeded")
    error_message: str | None = None  # the error body's "message"
    delay: float = 0.0  # seconds before answering (trips the client's timeout)
    hang: bool = False  # never answer: hold the request until the client gives up
    content: str | None = None  # replace the message content (e.g. "not json")
    refusal: str | None = None  # a refusal instead of content
    finish_reason: str | None = None  # e.g. "length" (with content cut short)
    transform: Callable[[dict], dict] | None = None  # change the normal output


@dataclass(frozen=True)
class LoggedCall:
    step: str  # read, answer, repair_quotes, or "<step>+repair" for a repair of an output
    body: dict
    at: float
    batch_id: str = ""  # the batch that carried the request ("" for an ordinary call)


@dataclass(frozen=True)
class BatchFate:
    """How a batch ends: ``expired`` or ``cancelled`` after answering its first ``answered``
    lines (the others go to the error file), or ``failed`` with ``errors`` and no output."""

    status: str = "completed"
    answered: int = 0
    errors: tuple[dict, ...] = ()


def token_limit_failure() -> BatchFate:
    """What OpenAI answers when the organisation's queue of batch tokens is full."""
    return BatchFate(
        status="failed",
        errors=(
            {
                "code": "token_limit_exceeded",
                "message": "Enqueued token limit reached for gpt-4o-mini in organization org-test. "
                "Limit: 2,000,000 enqueued tokens. Please try submitting your batch again later.",
                "param": None,
                "line": None,
            },
        ),
    )


_NOT_RUN = {
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "cancelled": ("batch_cancelled", "This request was not executed because the batch was cancelled."),
}


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    metadata: dict
    created: float  # monotonic
    created_at: int
    fate: BatchFate
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})
    times: dict = field(default_factory=dict)
    cancel_asked: bool = False


_SCHEMA_STEPS = {
    "ReadOutput": "read",
    "AnswerOutput": "answer",
    "AnswerRepairOutput": "repair_answers",
    "JudgeOutput": "judge",
}

CARELESS_MODES = frozenset({"misnumber", "bare_ids", "wrong_passage", "skip", "merge", "fences"})
# A hung request is let go after this long (or when the server stops), so no test can hang.
_HANG_LIMIT = 30.0
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128


def context_length_error() -> Reply:
    """What OpenAI answers when the input is too long for the model."""
    return Reply(
        status=400,
        error_code="context_length_exceeded",
        error_message=(
            "This model's maximum context length is 128000 tokens. However, your messages resulted in "
            "131072 tokens. Please reduce the length of the messages."
        ),
    )


def tokens(text: str) -> int:
    return len(text) // 3


class OpenAIServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        questions: int = 10,
        careless: bool | frozenset[str] | set[str] = False,
        batch_latency: float = 0.0,
        batches: bool = True,
    ) -> None:
        self.latency = latency
        self.speaks_batches = batches  # False: a server without the Batch API (404, as vLLM or Ollama)
        self.batch_latency = batch_latency  # seconds from a batch's creation to its completion
        self.hold_batches = False  # keep every batch in progress until cleared
        self.files: dict[str, dict] = {}
        self.batches: dict[str, _Batch] = {}
        self._batch_fates: list[BatchFate] = []
        self._ids = itertools.count(1)
        self.questions = questions
        self.careless = frozenset(CARELESS_MODES if careless is True else careless or ())
        self._stopping = threading.Event()
        self.calls: list[LoggedCall] = []
        self.max_in_flight = 0
        self.answers_given = 0  # answer items returned by answer and repair calls (the bench counts them)
        self._in_flight = 0
        self._scripts: list[tuple[str | None, Reply]] = []
        self._seen_prefixes: set[str] = set()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = urlsplit(self.path).path.rstrip("/")
                if not server.speaks_batches and path != "/v1/chat/completions":
                    self._send(*_not_found())
                    return
                if path == "/v1/files":
                    self._send(*server._upload(self.headers.get("Content-Type", ""), raw))
                    return
                body = json.loads(raw or b"{}")
                if path == "/v1/batches":
                    self._send(*server._create_batch(body))
                elif path.startswith("/v1/batches/") and path.endswith("/cancel"):
                    self._send(*server._cancel_batch(path.split("/")[3]))
                elif path == "/v1/chat/completions":
                    server._handle(self, body)
                else:
                    self._send(*_not_found())

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if not server.speaks_batches:
                    self._send(*_not_found())
                    return
                parts = url.path.rstrip("/").split("/")  # "", "v1", kind, id, ...
                if parts[2:3] == ["batches"] and len(parts) == 3:
                    self._send(*server._list_batches(parse_qs(url.query)))
                elif parts[2:3] == ["batches"] and len(parts) == 4:
                    self._send(*server._batch_response(parts[3]))
                elif parts[2:3] == ["files"] and len(parts) == 5 and parts[4] == "content":
                    found = server.files.get(parts[3])
                    if found is None:
                        self._send(*_not_found())
                    else:
                        self._send(200, found["data"], content_type="application/octet-stream")
                elif parts[2:3] == ["files"] and len(parts) == 4 and parts[3] in server.files:
                    self._send(200, _file_object(server.files[parts[3]]))
                else:
                    self._send(*_not_found())

            def _send(
                self, status: int, payload: dict | bytes, headers: dict | None = None, content_type: str = ""
            ) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type or "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    # -- control ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply, step: str | None = None) -> None:
        """Answer the next calls (of ``step``, or any) with these replies, in order."""
        with self._lock:
            self._scripts.extend((step, reply) for reply in replies)

    def steps(self) -> list[str]:
        with self._lock:
            return [call.step for call in self.calls]

    def script_batch(self, *fates: BatchFate) -> None:
        """End the next batches created as these fates say, in order."""
        with self._lock:
            self._batch_fates.extend(fates)

    def batch_steps(self) -> list[str]:
        """The steps of the requests batches carried (as :meth:`steps`, for batches only)."""
        with self._lock:
            return [call.step for call in self.calls if call.batch_id]

    def call_steps(self) -> list[str]:
        """The steps of the ordinary calls (not carried by a batch)."""
        with self._lock:
            return [call.step for call in self.calls if not call.batch_id]

    def __enter__(self) -> OpenAIServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    # -- answering --------------------------------------------------------------------------

    def _step(self, body: dict) -> str:
        name = body.get("response_format", {}).get("json_schema", {}).get("name", "")
        step = _SCHEMA_STEPS.get(name, name or "unknown")
        if any(message.get("role") == "assistant" for message in body.get("messages", [])):
            step += "+repair"
        return step

    def _next_script(self, step: str) -> Reply:
        with self._lock:
            for index, (wanted, reply) in enumerate(self._scripts):
                if wanted is None or wanted == step:
                    del self._scripts[index]
                    return reply
        return Reply()

    # -- files and batches ------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):04d}"

    def _store_file(self, data: bytes, *, filename: str, purpose: str) -> dict:
        entry = {
            "id": self._new_id("file"),
            "data": data,
            "filename": filename,
            "purpose": purpose,
            "created_at": int(time.time()),
        }
        with self._lock:
            self.files[entry["id"]] = entry
        return entry

    def _upload(self, content_type: str, raw: bytes) -> tuple[int, dict]:
        fields = _multipart(content_type, raw)
        if "file" not in fields or "purpose" not in fields:
            return _bad_request("Missing required parameter: 'file' and 'purpose' are required.")
        filename, data = fields["file"]
        purpose = fields["purpose"][1].decode()
        if purpose == "batch":
            for number, line in enumerate(data.decode().splitlines(), start=1):
                try:
                    request = json.loads(line)
                except ValueError:
                    return _bad_request(f"Invalid file format for Batch API. Line {number} is not valid JSON.")
                if not {"custom_id", "method", "url", "body"} <= set(request):
                    return _bad_request(f"Invalid file format for Batch API. Line {number} lacks a required field.")
        return 200, _file_object(self._store_file(data, filename=filename or "upload", purpose=purpose))

    def _create_batch(self, body: dict) -> tuple[int, dict]:
        found = self.files.get(body.get("input_file_id", ""))
        if found is None:
            return 404, {"error": {"message": "No such File object", "type": "invalid_request_error", "code": None}}
        if found["purpose"] != "batch":
            return _bad_request("The input file must be uploaded with purpose 'batch'.")
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return _bad_request("Only endpoint /v1/chat/completions and completion_window 24h are supported here.")
        with self._lock:
            fate = self._batch_fates.pop(0) if self._batch_fates else BatchFate()
        batch = _Batch(
            id=self._new_id("batch"),
            input_file_id=found["id"],
            endpoint=body["endpoint"],
            metadata=dict(body.get("metadata") or {}),
            created=time.monotonic(),
            created_at=int(time.time()),
            fate=fate,
        )
        batch.counts["total"] = len([line for line in found["data"].decode().splitlines() if line.strip()])
        with self._lock:
            self.batches[batch.id] = batch
        return 200, self._batch_json(batch)

    def _cancel_batch(self, batch_id: str) -> tuple[int, dict]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return _not_found()
        with self._lock:
            if batch.status not in ("completed", "expired", "cancelled", "failed"):
                batch.cancel_asked = True
                batch.status = "cancelling"
                batch.times["cancelling_at"] = int(time.time())
        return 200, self._batch_json(batch)

    def _batch_response(self, batch_id: str) -> tuple[int, dict]:
        batch = self.batches.get(batch_id)
        if batch is None:
            return _not_found()
        self._advance(batch)
        return 200, self._batch_json(batch)

    def _list_batches(self, query: dict) -> tuple[int, dict]:
        limit = int((query.get("limit") or ["20"])[0])
        with self._lock:
            newest = list(reversed(self.batches.values()))[:limit]
        data = [self._batch_json(batch) for batch in newest]
        return 200, {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(self.batches) > limit,
        }

    def _advance(self, batch: _Batch) -> None:
        """Move the batch on by the time passed (or the cancellation asked); run its lines at the end."""
        with self._lock:
            if batch.status in ("completed", "expired", "cancelled", "failed"):
                return
            elapsed = time.monotonic() - batch.created
            now = int(time.time())
            if batch.cancel_asked:
                final = "cancelled"
            elif batch.fate.status == "failed":
                final = "failed"
            elif self.hold_batches or elapsed < self.batch_latency * 0.9:
                if batch.status == "validating" and (self.hold_batches or elapsed >= self.batch_latency * 0.1):
                    batch.status = "in_progress"
                    batch.times["in_progress_at"] = now
                return
            elif elapsed < self.batch_latency:
                batch.status = "finalizing"
                batch.times["finalizing_at"] = now
                return
            else:
                final = batch.fate.status
            if final == "failed":
                batch.status = "failed"
                batch.errors = list(batch.fate.errors)
                batch.times["failed_at"] = now
                return
        self._run_lines(batch, final)

    def _run_lines(self, batch: _Batch, final: str) -> None:
        requests = [json.loads(line) for line in self.files[batch.input_file_id]["data"].decode().splitlines() if line]
        answered = len(requests) if final == "completed" else batch.fate.answered if not batch.cancel_asked else 0
        output, errors = [], []
        for index, request in enumerate(requests):
            line_id = self._new_id("batch_req")
            if index >= answered:
                code, message = _NOT_RUN[final]
                errors.append(
                    {"id": line_id, "custom_id": request["custom_id"], "response": None,
                     "error": {"code": code, "message": message}}
                )  # fmt: skip
                continue
            status, payload = self._batch_line(request, batch.id)
            line = {
                "id": line_id,
                "custom_id": request["custom_id"],
                "response": {"status_code": status, "request_id": self._new_id("req"), "body": payload},
                "error": None,
            }
            (output if status == 200 else errors).append(line)
        with self._lock:
            if output:
                batch.output_file_id = self._store_jsonl(output, batch, "output")
            if errors:
                batch.error_file_id = self._store_jsonl(errors, batch, "error")
            batch.counts.update(completed=len(output), failed=len(errors))
            batch.status = final
            batch.times[f"{final}_at"] = int(time.time())

    def _store_jsonl(self, lines: list[dict], batch: _Batch, kind: str) -> str:
        data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode() + b"\n"
        entry = {
            "id": self._new_id("file"),
            "data": data,
            "filename": f"{batch.id}_{kind}.jsonl",
            "purpose": "batch_output",
            "created_at": int(time.time()),
        }
        self.files[entry["id"]] = entry
        return entry["id"]

    def _batch_line(self, request: dict, batch_id: str) -> tuple[int, dict]:
        """One request of a batch, answered as the same call would be (delays aside)."""
        body = request["body"]
        step = self._step(body)
        with self._lock:
            self.calls.append(LoggedCall(step, body, time.monotonic(), batch_id))
        reply = self._next_script(step)
        if reply.status:
            return reply.status, _error_body(reply)
        return 200, self._completion(body, step, reply)

    def _batch_json(self, batch: _Batch) -> dict:
        final = batch.status in ("completed", "expired", "cancelled", "failed")
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": batch.output_file_id if final else None,
            "error_file_id": batch.error_file_id if final else None,
            "created_at": batch.created_at,
            "expires_at": batch.created_at + 24 * 3600,
            "request_counts": dict(batch.counts),
            "metadata": batch.metadata,
            **{name: batch.times.get(name) for name in _BATCH_TIMES},
        }

    # -- chat completions -------------------------------------------------------------------

    def _handle(self, handler, body: dict) -> None:
        step = self._step(body)
        with self._lock:
            self.calls.append(LoggedCall(step, body, time.monotonic()))
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            reply = self._next_script(step)
            if reply.hang:
                self._stopping.wait(_HANG_LIMIT)
                return
            time.sleep(self.latency + reply.delay)
            if reply.status:
                headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
                handler._send(reply.status, _error_body(reply), headers)
                return
            handler._send(200, self._completion(body, step, reply))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _completion(self, body: dict, step: str, reply: Reply) -> dict:
        messages = body.get("messages", [])
        if "response_format" not in body:
            # A plain chat call (no schema): a paragraph of Japanese, as a model would write.
            output, content = {}, "論文の該当箇所によると、提案手法は既存の手法よりも高い性能を示している。" * 4
        else:
            output = self._output(step.removesuffix("+repair"), messages)
            content = None
        if reply.transform is not None:
            output = reply.transform(output)
        if reply.content is not None:
            content = reply.content
        elif content is None:
            content = json.dumps(output, ensure_ascii=False)
            if "fences" in self.careless:
                content = f"```json\n{content}\n```"
        prefix = messages[0].get("content", "") if messages else ""
        prefix_key = hashlib.sha256(prefix.encode()).hexdigest()
        prefix_tokens = tokens(prefix)
        with self._lock:
            seen = prefix_key in self._seen_prefixes
            self._seen_prefixes.add(prefix_key)
        cached = 0
        if seen and prefix_tokens >= CACHE_MIN_TOKENS:
            cached = prefix_tokens - (prefix_tokens - CACHE_MIN_TOKENS) % CACHE_STEP_TOKENS
        prompt_tokens = sum(tokens(message.get("content") or "") for message in messages)
        message: dict[str, Any] = {"role": "assistant", "content": None if reply.refusal else content}
        message["refusal"] = reply.refusal
        return {
            "id": f"chatcmpl-{len(self.calls)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stand-in"),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason or "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(content) // 2,
                "total_tokens": prompt_tokens + len(content) // 2,
                "prompt_tokens_details": {"cached_tokens": min(cached, prompt_tokens)},
            },
        }

    def _output(self, step: str, messages: list[dict]) -> dict:
        payload = _user_payload(messages)
        if step == "read":
            return self._read(payload)
        if step in ("answer", "repair_answers"):
            output = _answer(payload, self.careless if step == "answer" else frozenset())
            with self._lock:
                self.answers_given += len(output["answers"])
            return output
        if step == "judge":
            return _judge(payload)
        return {}

    def _read(self, payload: dict) -> dict:
        title = payload.get("title", "")
        passages = payload.get("passages") or [{"text": payload.get("abstract", "")}]
        questions = []
        for number in range(1, self.questions + 1):
            words = _words(passages[(number - 1) % len(passages)]["text"])
            start = (number * 3) % max(len(words) - 4, 1)
            terms = words[start : start + 4] or [title]
            questions.append(
                {
                    # Each question names its own subject, as real ones do.
                    "question": f"{title} の「{' '.join(terms[:2])}」について、要点 {number} は何ですか?",
                    "search_terms": terms,
                }
            )
        return {
            "abstract_ja": f"本論文の概要の日本語訳です。{payload.get('abstract', '')[:200]}",
            "summary_ja": f"{title} を提案し、その効果を示した。",
            "questions": questions,
        }


_BATCH_TIMES = (
    "in_progress_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
)


def _error_body(reply: Reply) -> dict:
    """OpenAI's error body for a scripted HTTP status."""
    return {
        "error": {
            "message": reply.error_message or f"scripted {reply.status}",
            "type": "invalid_request_error" if (reply.status or 0) < 500 else "server_error",
            "param": "messages" if reply.error_code else None,
            "code": reply.error_code,
        }
    }


def _not_found() -> tuple[int, dict]:
    return 404, {"error": {"message": "not found", "type": "invalid_request_error", "param": None, "code": None}}


def _bad_request(message: str) -> tuple[int, dict]:
    return 400, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}


def _file_object(entry: dict) -> dict:
    return {
        "id": entry["id"],
        "object": "file",
        "bytes": len(entry["data"]),
        "created_at": entry["created_at"],
        "filename": entry["filename"],
        "purpose": entry["purpose"],
        "status": "processed",
    }


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name → (file name, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def _user_payload(messages: list[dict]) -> dict:
    for message in messages:
        if message.get("role") == "user":
            try:
                return json.loads(message.get("content") or "{}")
            except ValueError:
                continue
    return {}


def _words(text: str) -> list[str]:
    return [word.strip(".,;:()[]") for word in text.split() if len(word.strip(".,;:()[]")) > 3]


def _quote(text: str) -> str:
    return " ".join(text.split()[:8])


def _judge(payload: dict) -> dict:
    """Rubric scores as a strict but simple judge gives them: faithful only with a verified
    quote, house style off when an answer ends with 「。」, shorter answers answer less."""
    scores = []
    for item in payload.get("items", []):
        answer = item.get("answer", "")
        verified = any(quote.get("verified") for quote in item.get("evidence", []))
        japanese_ok = "。" not in answer
        scores.append(
            {
                "question_number": item["number"],
                "faithful": 5 if verified else 2,
                "faithful_reason": "引用が本文で確認されています." if verified else "本文で確認できた引用がありません.",
                "answers_question": 4 if len(answer) >= 20 else 2,
                "answers_question_reason": "質問に直接答えています." if len(answer) >= 20 else "回答が短すぎます.",
                "japanese": 4,
                "japanese_reason": "自然な日本語です.",
                "house_style": 5 if japanese_ok else 3,
                "house_style_reason": "表記ルールに沿っています." if japanese_ok else "句点に「。」が使われています.",
            }
        )
    return {"scores": scores}


def _answer(payload: dict, careless: frozenset[str]) -> dict:
    """Answers to the questions (all of them, or the repair's listed items) with quotes copied
    from the passages sent; ``careless`` spoils them as real models do."""
    texts = {passage["id"]: passage["text"] for passage in payload.get("passages", [])}
    keys = list(texts)
    answers = []
    for index, question in enumerate(payload.get("questions", [])):
        cited = [key for key in question.get("passages", []) if key in texts][:1] or keys[:1]
        evidence = []
        for key in cited:
            quoted = key
            if "wrong_passage" in careless and index % 2 == 0 and len(keys) > 1:
                # The quote is real, but from another passage than the one cited.
                quoted = keys[(keys.index(key) + 1) % len(keys)]
            shown = key.removeprefix("P") if "bare_ids" in careless else key
            evidence.append({"passage_id": shown, "quote": _quote(texts[quoted])})
        number = question["number"]
        answers.append(
            {
                "question_number": 1 if "misnumber" in careless else number,
                "question": question["question"],
                "answer": question.get("answer") or f"論文によると、要点 {number} は本文に書かれている通りです.",
                "evidence": evidence,
            }
        )
    if "merge" in careless and len(answers) > 4:
        # Questions 3 and 4 answered as one item.
        third, fourth = answers[2], answers.pop(3)
        third["question"] = f"{third['question']} / {fourth['question']}"
        third["answer"] = f"{third['answer']} {fourth['answer']}"
    if "skip" in careless and len(answers) > 6:
        del answers[6]  # question 7 (or 8, after a merge) is skipped
    return {"answers": answers}
