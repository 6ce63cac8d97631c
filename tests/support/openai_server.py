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
copied from the passages it was given, so the whole pipeline can run against it.

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
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


_SCHEMA_STEPS = {"ReadOutput": "read", "AnswerOutput": "answer", "AnswerRepairOutput": "repair_answers"}

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
        self, *, latency: float = 0.0, questions: int = 10, careless: bool | frozenset[str] | set[str] = False
    ) -> None:
        self.latency = latency
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
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                server._handle(self, body)

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
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
                kind = "invalid_request_error" if reply.status < 500 else "server_error"
                error = {
                    "error": {
                        "message": reply.error_message or f"scripted {reply.status}",
                        "type": kind,
                        "param": "messages" if reply.error_code else None,
                        "code": reply.error_code,
                    }
                }
                handler._send(reply.status, error, headers)
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
