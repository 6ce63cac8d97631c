"""A note drafted end to end (tasks run in this process) against the local OpenAI-compatible
stand-in: complete drafts with verified evidence in at most three calls, every fault ending
in a draft or a clear error on that note."""

import json
import re

import pytest

from papernotes.drafting.prompts import system_prompt
from papernotes.drafting.services import notes_draft_start
from papernotes.models import DraftingStatus, LlmCall, NoteDrafting, NoteState, TextSource
from tests.drafting.conftest import make_note
from tests.factories import GlossaryEntryFactory, PassageFactory
from tests.support.openai_server import Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _draft(note, django_capture_on_commit_callbacks, **options) -> NoteDrafting:
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[note.pk], **options)
    note.refresh_from_db()
    return NoteDrafting.objects.get(note=note)


def _break_first_quote(output: dict) -> dict:
    output["answers"][0]["evidence"][0]["quote"] = "a sentence that the paper never wrote anywhere"
    return output


def test_a_note_gets_a_complete_draft_with_verified_evidence_in_two_calls(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a note waiting for its draft, on a paper with extracted text
    note = make_note()

    # When it is drafted
    drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then the abstract, the summary and ten Q&A pairs are machine drafts in the house style
    assert drafting.status == DraftingStatus.SUCCEEDED and drafting.flags == []
    assert note.state == NoteState.DRAFTED
    assert note.abstract_ja.startswith("本論文の概要の日本語訳です.")
    assert "。" not in note.abstract_ja + note.summary
    assert (note.abstract_ja_source, note.summary_source) == (TextSource.MACHINE, TextSource.MACHINE)
    qas = list(note.qas.order_by("position"))
    assert len(qas) == 10
    assert all(qa.question_source == qa.answer_source == TextSource.MACHINE for qa in qas)
    assert all(qa.search_terms for qa in qas)
    # ...each answer with evidence copied from a passage, with its pages
    for qa in qas:
        [evidence] = qa.evidence.all()
        assert evidence.verified and evidence.passage is not None
        assert evidence.quote in evidence.passage.text
        assert evidence.page_start == evidence.passage.page_start
    # ...in two calls, each recorded with its tokens, prompt version and cost
    assert llm_server.steps() == ["read", "answer"]
    calls = list(LlmCall.objects.filter(note=note).order_by("id"))
    assert [(c.step, c.outcome) for c in calls] == [("read", "ok"), ("answer", "ok")]
    assert all(c.input_tokens > 0 and c.output_tokens > 0 and c.cost_usd > 0 for c in calls)
    assert calls[0].prompt_version == "read@2+house_style_blog@2"
    assert drafting.prompt_version == "read@2+house_style_blog@2,answer@2+house_style_blog@2"


def test_the_stable_prompt_comes_first_and_the_second_paper_reuses_its_cache(
    llm_server, django_capture_on_commit_callbacks
):
    first, second = make_note(), make_note()

    _draft(first, django_capture_on_commit_callbacks)
    _draft(second, django_capture_on_commit_callbacks)

    reads = [call.body["messages"] for call in llm_server.calls if call.step == "read"]
    assert reads[0][0] == reads[1][0]  # same system message for every paper
    assert reads[0][1] != reads[1][1]  # the paper comes after it
    second_read = LlmCall.objects.get(note=second, step="read")
    assert second_read.cached_input_tokens > 0


def test_glossary_entries_whose_term_occurs_go_into_the_prompt(llm_server, django_capture_on_commit_callbacks):
    GlossaryEntryFactory(term="evaluator", preferred="評価器", forbidden_variants=["エバリュエーター"])
    GlossaryEntryFactory(term="diffusion model", preferred="拡散モデル")
    note = make_note()

    _draft(note, django_capture_on_commit_callbacks)

    payload = json.loads(llm_server.calls[0].body["messages"][1]["content"])
    assert payload["glossary"] == [{"term": "evaluator", "preferred": "評価器", "forbidden": ["エバリュエーター"]}]


def test_a_quote_found_nowhere_in_the_paper_is_repaired_in_a_third_call(llm_server, django_capture_on_commit_callbacks):
    llm_server.script(Reply(transform=_break_first_quote), step="answer")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert llm_server.steps() == ["read", "answer", "repair_answers"]
    # The repair is asked only about that answer, which it must keep as it is.
    asked = json.loads(llm_server.calls[2].body["messages"][1]["content"])["questions"]
    assert [item["number"] for item in asked] == [1] and asked[0]["answer"].startswith("論文によると")
    assert drafting.status == DraftingStatus.SUCCEEDED and drafting.flags == []
    assert all(e.verified for e in note.qas.get(position=1).evidence.all())


def test_a_quote_that_stays_wrong_is_stored_and_the_note_needs_attention(
    llm_server, django_capture_on_commit_callbacks
):
    def wrong_again(output: dict) -> dict:
        output["answers"][0]["evidence"][0]["quote"] = "still not a sentence from this paper at all"
        return output

    llm_server.script(Reply(transform=_break_first_quote), step="answer")
    llm_server.script(Reply(transform=wrong_again), step="repair_answers")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert len(llm_server.calls) == 3
    qa = note.qas.get(position=1)
    evidence = list(qa.evidence.all())
    assert qa.answer and evidence and not any(e.verified for e in evidence)
    assert drafting.status == DraftingStatus.NEEDS_ATTENTION
    assert drafting.get_status_display() == "要確認"
    assert drafting.flags == ["根拠の引用が本文に見つからない回答: Q1(1 件)"]


def test_malformed_json_is_repaired(llm_server, django_capture_on_commit_callbacks):
    llm_server.script(Reply(content="Sure! Here is the JSON: {"), step="read")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert llm_server.steps() == ["read", "read+repair", "answer"]
    assert drafting.status == DraftingStatus.SUCCEEDED
    repair = llm_server.calls[1].body["messages"]
    assert repair[2] == {"role": "assistant", "content": "Sure! Here is the JSON: {"}
    assert "not valid JSON" in repair[3]["content"]
    assert LlmCall.objects.get(note=note, step="read").outcome == "invalid"


def test_too_few_questions_are_repaired(llm_server, django_capture_on_commit_callbacks):
    def four_questions(output: dict) -> dict:
        return {**output, "questions": output["questions"][:4]}

    llm_server.script(Reply(transform=four_questions), step="read")
    note = make_note()

    _draft(note, django_capture_on_commit_callbacks)

    assert llm_server.steps() == ["read", "read+repair", "answer"]
    assert "There are 4 questions; give between 9 and 11." in llm_server.calls[1].body["messages"][3]["content"]
    assert note.qas.count() == 10


def test_output_of_the_wrong_shape_twice_fails_the_note_with_a_clear_error(
    llm_server, django_capture_on_commit_callbacks
):
    wrong = Reply(transform=lambda output: {"translation": output["abstract_ja"]})
    llm_server.script(wrong, wrong, step=None)
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.FAILED
    assert drafting.error_code == "llm_invalid_output"
    assert "LLM の出力を読み取れませんでした" in drafting.last_error
    assert note.abstract_ja == "" and note.qas.count() == 0
    assert note.state == NoteState.AWAITING_DRAFT
    assert len(llm_server.calls) == 2  # the call and its one repair: not retried for ever


def test_a_refusal_fails_the_note_and_says_so(llm_server, django_capture_on_commit_callbacks):
    llm_server.script(Reply(refusal="I can't assist with that."), step="read")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.FAILED and drafting.error_code == "llm_refusal"
    assert "I can't assist with that." in drafting.last_error
    assert llm_server.steps() == ["read"]


def test_an_answer_cut_at_the_length_limit_is_asked_again_with_more_room(
    llm_server, django_capture_on_commit_callbacks, settings
):
    settings.LLM_MAX_OUTPUT_TOKENS = 3000
    llm_server.script(Reply(finish_reason="length", content='{"answers": [{"question_number": 1, "answ'), step="answer")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert llm_server.steps() == ["read", "answer", "answer+repair"]
    assert llm_server.calls[2].body["max_completion_tokens"] == 6000
    assert drafting.status == DraftingStatus.SUCCEEDED and note.qas.count() == 10


def test_a_server_that_keeps_failing_ends_in_a_final_failure_after_the_task_retries(
    llm_server, django_capture_on_commit_callbacks, settings
):
    settings.LLM_RETRY_ATTEMPTS = 1
    llm_server.script(*[Reply(status=500)] * 10)
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.FAILED
    assert "HTTP 500" in drafting.last_error
    assert llm_server.steps() == ["read"] * 5  # the first run and its 4 retries
    assert LlmCall.objects.filter(note=note, outcome="http_error").count() == 5


def test_a_retry_after_a_failed_answer_step_does_not_read_again(
    llm_server, django_capture_on_commit_callbacks, settings
):
    settings.LLM_RETRY_ATTEMPTS = 1
    llm_server.script(Reply(status=503), step="answer")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert llm_server.steps() == ["read", "answer", "answer"]
    assert drafting.status == DraftingStatus.SUCCEEDED


def test_a_paper_without_extracted_text_is_answered_from_its_abstract(llm_server, django_capture_on_commit_callbacks):
    note = make_note(passages=0)

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.SUCCEEDED
    evidence = note.qas.first().evidence.first()
    assert evidence.verified and evidence.passage is None and evidence.section == "Abstract"


def test_without_an_llm_notes_wait_for_a_manual_draft_with_the_reason(settings, django_capture_on_commit_callbacks):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.MANUAL
    assert "OPENAI_API_KEY" in drafting.last_error and "手で下書き" in drafting.last_error
    assert note.state == NoteState.AWAITING_DRAFT
    assert LlmCall.objects.count() == 0


def test_references_and_figure_text_are_never_sent_as_passages(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    PassageFactory(paper=note.paper, position=50, text="0.8 0.6 0.4 0.2 Training Steps FIGURETEXT", is_figure_text=True)
    PassageFactory(paper=note.paper, position=51, text="[12] A. Author. REFERENCETEXT. 2023.", is_reference=True)

    _draft(note, django_capture_on_commit_callbacks)

    sent = " ".join(json.dumps(call.body) for call in llm_server.calls)
    assert "FIGURETEXT" not in sent and "REFERENCETEXT" not in sent


def _fewest_tokens(text: str) -> int:
    """A lower bound of what any current tokenizer makes of ``text``: English takes at most
    five characters per token, Japanese at most two."""
    ascii_chars = sum(char.isascii() for char in text)
    return ascii_chars // 5 + (len(text) - ascii_chars) // 2


@pytest.mark.parametrize("name", ["read", "answer"])
def test_the_stable_prompt_is_long_enough_to_be_cached_and_speaks_in_the_blogs_voice(name, sample_issue_bytes):
    text = system_prompt(name).text

    # OpenAI caches a prompt's prefix from 1,024 tokens on: the system message alone reaches it
    assert _fewest_tokens(text) >= 1024
    # ...and it asks for the register of each field, with examples taken from the blog itself
    assert "です・ます調" in text and "である調" in text
    sample = sample_issue_bytes.decode("utf-8")
    examples = [example for example in re.findall(r"「([^「」]{20,})」", text) if example in sample]
    assert len(examples) >= 3


def test_drafts_are_written_in_the_house_style_whatever_the_model_writes(
    llm_server, django_capture_on_commit_callbacks
):
    def full_width(output: dict) -> dict:
        output["summary_ja"] = "精度が１２．５％向上し，ＧＰＴ－４に迫る。"
        return output

    llm_server.script(Reply(transform=full_width), step="read")
    note = make_note()

    _draft(note, django_capture_on_commit_callbacks)

    assert note.summary == "精度が12.5%向上し、GPT-4に迫る."
