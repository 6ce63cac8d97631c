"""The LLM client (the real ``openai`` package) against the local stand-in: every fault ends
in a usable reply, a classified outcome, or a clear error; every attempt is reported."""

import json
import time

import pytest

from papernotes.drafting import llm
from papernotes.drafting.schemas import AnswerOutput, AnswerRepairOutput, ReadOutput, response_format
from tests.support.openai_server import Reply, context_length_error

MESSAGES = [
    {"role": "system", "content": "You translate."},
    {"role": "user", "content": json.dumps({"title": "KAN", "abstract": "We propose KANs.", "passages": []})},
]


def _complete(records: list, **options) -> llm.LlmReply:
    return llm.complete(step="read", messages=MESSAGES, schema=ReadOutput, on_call=records.append, **options)


def test_a_good_answer_is_parsed_and_recorded(llm_server):
    records = []

    reply = _complete(records)

    assert reply.outcome == "ok"
    assert isinstance(reply.parsed, ReadOutput) and len(reply.parsed.questions) == 10
    [record] = records
    assert (record.step, record.model, record.attempt, record.outcome) == ("read", "gpt-4o-mini", 1, "ok")
    assert record.input_tokens > 0 and record.output_tokens > 0
    # The request was the one OpenAI-compatible servers share: a strict json_schema.
    body = llm_server.calls[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert body["max_completion_tokens"] == 8000


def test_a_429_is_retried_after_its_retry_after(llm_server):
    llm_server.script(Reply(status=429, retry_after="1"))
    records = []
    started = time.monotonic()

    reply = _complete(records)

    assert reply.outcome == "ok"
    assert time.monotonic() - started >= 0.95
    assert [(r.outcome, r.status_code) for r in records] == [("http_error", 429), ("ok", None)]


def test_a_500_is_retried(llm_server):
    llm_server.script(Reply(status=500), Reply(status=503))
    records = []

    assert _complete(records).outcome == "ok"
    assert [r.attempt for r in records] == [1, 2, 3]


def test_errors_that_persist_end_in_a_clear_retryable_error(llm_server):
    llm_server.script(*[Reply(status=502)] * 3)
    records = []

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert caught.value.retryable
    assert "HTTP 502" in caught.value.message
    assert len(records) == 3


def test_a_retry_after_longer_than_allowed_goes_back_to_the_task(llm_server):
    llm_server.script(Reply(status=429, retry_after="3600"))
    records = []
    started = time.monotonic()

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert time.monotonic() - started < 1
    assert caught.value.retryable and caught.value.retry_after == 3600
    assert len(records) == 1


def test_a_wrong_key_is_not_retried(llm_server):
    llm_server.script(Reply(status=401))
    records = []

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert not caught.value.retryable
    assert "API キー" in caught.value.message
    assert len(records) == 1


def test_a_timeout_is_retried_then_reported(llm_server, settings):
    settings.LLM_TIMEOUT = 0.3
    llm_server.script(Reply(delay=1.0), Reply(delay=1.0), Reply(delay=1.0))
    records = []

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert caught.value.code == "llm_timeout" and caught.value.retryable
    assert "0.3 秒以内" in caught.value.message
    assert [r.outcome for r in records] == ["timeout"] * 3


def test_malformed_json_is_an_invalid_reply_with_the_reason(llm_server):
    llm_server.script(Reply(content='{"abstract_ja": "概要'))
    records = []

    reply = _complete(records)

    assert reply.outcome == "invalid" and reply.parsed is None
    assert "not valid JSON" in reply.problems[0]
    assert records[0].outcome == "invalid"


def test_output_of_the_wrong_shape_is_an_invalid_reply(llm_server):
    llm_server.script(Reply(transform=lambda output: {"abstract": output["abstract_ja"]}))
    records = []

    reply = _complete(records)

    assert reply.outcome == "invalid"
    assert any("abstract_ja" in problem for problem in reply.problems)


def test_a_refusal_is_a_final_error(llm_server):
    llm_server.script(Reply(refusal="I cannot help with that."))
    records = []

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert caught.value.code == "llm_refusal" and not caught.value.retryable
    assert "I cannot help with that." in caught.value.message
    assert records[0].outcome == "refused"


def test_a_cut_off_answer_is_reported_as_truncated(llm_server):
    llm_server.script(Reply(finish_reason="length", content='{"abstract_ja": "途中で'))
    records = []

    reply = _complete(records)

    assert reply.outcome == "truncated" and reply.parsed is None
    assert records[0].outcome == "truncated"


def test_the_max_tokens_parameter_is_configurable_for_older_servers(llm_server, settings):
    settings.LLM_MAX_TOKENS_PARAMETER = "max_tokens"

    _complete([], max_output_tokens=1234)

    body = llm_server.calls[0].body
    assert body["max_tokens"] == 1234 and "max_completion_tokens" not in body


def test_no_key_and_no_base_url_means_drafting_is_off(settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    assert not llm.llm_configured()
    settings.OPENAI_BASE_URL = "http://127.0.0.1:8080/v1"  # a local server needs no key
    assert llm.llm_configured()


def test_json_in_a_code_fence_is_read(llm_server):
    llm_server.careless = frozenset({"fences"})
    records = []

    reply = _complete(records)

    assert reply.outcome == "ok" and len(reply.parsed.questions) == 10
    assert llm_server.calls and records[0].outcome == "ok"


def test_the_providers_error_code_and_message_are_kept(llm_server):
    llm_server.script(context_length_error())
    records = []

    with pytest.raises(llm.LlmError) as caught:
        _complete(records)

    assert not caught.value.retryable
    assert "入力の上限を超えました(HTTP 400)" in caught.value.message
    assert "maximum context length is 128000 tokens" in caught.value.message
    [record] = records
    assert (record.status_code, record.error_code) == (400, "context_length_exceeded")
    assert record.error.startswith("HTTP 400: This model's maximum context length")


def test_no_attempt_waits_past_the_deadline(llm_server, settings):
    settings.LLM_TIMEOUT = 5.0
    llm_server.script(Reply(hang=True), Reply(hang=True))
    records = []
    started = time.monotonic()

    with pytest.raises(llm.LlmError) as caught:
        llm.complete(
            step="read", messages=MESSAGES, schema=ReadOutput, on_call=records.append, deadline=time.time() + 0.5
        )

    assert time.monotonic() - started < 2
    assert caught.value.code == "llm_deadline" and not caught.value.retryable
    assert "DRAFTING_PAPER_DEADLINE" in caught.value.message
    assert [r.outcome for r in records] == ["timeout"]


def test_the_stand_in_caches_a_long_system_prompt_seen_before_as_openai_does(llm_server):
    short = [{"role": "system", "content": "x" * 3000}, MESSAGES[1]]  # 1,000 tokens: too short
    long = [{"role": "system", "content": "y" * 4000}, MESSAGES[1]]  # 1,333 tokens
    records = []

    for messages in (short, short, long, long):
        llm.complete(step="read", messages=messages, schema=ReadOutput, on_call=records.append)

    assert [r.cached_input_tokens for r in records] == [0, 0, 0, 1280]


@pytest.mark.parametrize("schema", [ReadOutput, AnswerOutput, AnswerRepairOutput])
def test_every_schema_is_one_openais_strict_mode_accepts(schema):
    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    found = list(objects(response_format(schema)["json_schema"]["schema"]))

    assert found
    for node in found:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
    if schema is not ReadOutput:
        answer = response_format(schema)["json_schema"]["schema"]["$defs"]["DraftAnswer"]
        assert set(answer["properties"]) == {"question_number", "question", "answer", "evidence"}
