"""Drafting against a careless model, as real ones are: misnumbered, skipped and merged items,
bare passage ids, quotes from the wrong passage, code fences, refusals, a context-length error,
a hung provider. Nothing the model wrote is lost, every failure is visible in Japanese, and
what an editor wrote or a reviewer approved (texts and evidence) never changes."""

import json
import time

import pytest
from django.urls import reverse

from editorial.services import qa_save_editor_changes
from papernotes.drafting.selectors import note_call_totals, note_call_totals_all_runs
from papernotes.drafting.services import note_regenerate, notes_draft_start
from papernotes.ingestion.selectors import pipeline_for_issue
from papernotes.models import (
    AnswerEvidence,
    DraftingStatus,
    EvidenceFoundIn,
    LlmCall,
    Note,
    NoteDrafting,
    NoteState,
    PipelineRowState,
    TextSource,
)
from tests.drafting.conftest import make_note
from tests.factories import PassageFactory
from tests.support.openai_server import OpenAIServer, Reply, context_length_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _draft(note, callbacks, **options) -> NoteDrafting:
    with callbacks(execute=True):
        notes_draft_start(note_ids=[note.pk], **options)
    note.refresh_from_db()
    return NoteDrafting.objects.get(note=note)


def _evidence_of(note) -> list[tuple]:
    return list(
        AnswerEvidence.objects.filter(qa__note=note)
        .order_by("qa__position", "position")
        .values_list("qa__position", "quote", "verified", "passage_id")
    )


def _answers(note) -> list[str]:
    return list(note.qas.order_by("position").values_list("answer", flat=True))


def _drop_answers(*numbers: int):
    def transform(output: dict) -> dict:
        return {"answers": [a for a in output["answers"] if a["question_number"] not in numbers]}

    return transform


def _unplaceable(output: dict) -> dict:
    # One answer per question but numbered all 1, echoing nothing: position places them...
    # unless one is missing, as here, and nothing else says where they go.
    answers = [{**answer, "question_number": 1, "question": ""} for answer in output["answers"]]
    return {"answers": answers[:8]}


def test_a_forced_run_that_drops_answers_keeps_the_verified_answers_and_evidence_of_the_run_before(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a note drafted with ten verified answers
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    answers, evidence = _answers(note), _evidence_of(note)
    assert len(answers) == 10 and all(verified for _p, _q, verified, _id in evidence)

    # When a forced run's model leaves out answers 2 and 5, and its repair call fails too
    llm_server.script(Reply(transform=_drop_answers(2, 5)), step="answer")
    llm_server.script(Reply(status=400), step="repair_answers")
    drafting = _draft(note, django_capture_on_commit_callbacks, force=True)

    # Then nothing verified is emptied: every answer and its evidence is still there
    assert _answers(note) == answers
    assert _evidence_of(note) == evidence
    assert drafting.status == DraftingStatus.NEEDS_ATTENTION
    assert drafting.flags == [
        "回答がない質問: Q2, Q5(2 件)",
        "不足分を求める LLM の呼び出しが失敗しました: "
        "LLM の API がリクエストを受け付けませんでした(HTTP 400)。API の説明: scripted 400",
    ]


def test_a_careless_model_loses_no_answer_and_its_true_quotes_are_verified(
    settings, django_capture_on_commit_callbacks
):
    # Given a model that numbers every answer 1, cites bare ids, quotes the wrong passage half
    # the time, merges questions 3 and 4, skips one, and fences its JSON
    with OpenAIServer(careless=True) as server:
        settings.OPENAI_BASE_URL, settings.LLM_BACKOFF_BASE = server.base_url, 0.01
        note = make_note()

        # When the note is drafted
        drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then every question has an answer (placed by the echoed question, the missing one asked
    # for again alone), each quote is verified where it really is, and the note is complete
    assert server.steps() == ["read", "answer", "repair_answers"]
    repair = json.loads(server.calls[2].body["messages"][1]["content"])
    assert [item["number"] for item in repair["questions"]] == [4, 8]
    qas = list(note.qas.order_by("position"))
    assert len(qas) == 10 and all(qa.answer and qa.answer_source == TextSource.MACHINE for qa in qas)
    assert all(qa.evidence.filter(verified=True).exists() for qa in qas)
    found = set(AnswerEvidence.objects.filter(qa__note=note).values_list("found_in", flat=True))
    assert found == {EvidenceFoundIn.CITED, EvidenceFoundIn.SENT}
    for item in AnswerEvidence.objects.filter(qa__note=note, found_in=EvidenceFoundIn.SENT):
        assert item.quote in item.passage.text  # the passage recorded is where the quote is
    # ...and the merged answer of questions 3 and 4 stays under question 3
    assert qas[2].answer.count("論文によると") == 2
    assert drafting.status == DraftingStatus.SUCCEEDED and drafting.flags == []


def test_answers_that_fit_no_question_are_kept_as_suggestions_and_the_note_needs_attention(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a model whose eight answers carry neither a number nor a question that places them,
    # and whose repair call also fails
    llm_server.script(Reply(transform=_unplaceable), step="answer")
    llm_server.script(Reply(status=400), step="repair_answers")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then the eight answers are kept on the run, nothing is guessed into a question, and the
    # note is 要確認 with one line per kind of problem
    assert len(drafting.unplaced_answers) == 8
    assert all(item["answer"].startswith("論文によると") for item in drafting.unplaced_answers)
    assert all(item["evidence"] for item in drafting.unplaced_answers)
    assert drafting.status == DraftingStatus.NEEDS_ATTENTION
    assert drafting.flags == [
        "回答がない質問: Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9, Q10(10 件)",
        "どの質問への回答か分からない回答: 8 件(「下書きの状況」に提案として残しました)",
        "不足分を求める LLM の呼び出しが失敗しました: "
        "LLM の API がリクエストを受け付けませんでした(HTTP 400)。API の説明: scripted 400",
    ]
    # ...the questions are there for the editor to answer, and the note can be reviewed
    assert note.qas.count() == 10 and not any(_answers(note))
    assert note.state == NoteState.DRAFTED
    row = pipeline_for_issue(note.issue).rows[0]
    assert (row.state, row.state_label) == (PipelineRowState.NEEDS_ATTENTION, "要確認")


def test_a_quote_from_a_passage_that_was_not_sent_is_found_in_the_body(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    hidden = PassageFactory(
        paper=note.paper, position=40, section="Appendix", text="The unique sentence zeta omega lives only here."
    )

    def quote_the_appendix(output: dict) -> dict:
        output["answers"][0]["evidence"] = [{"passage_id": "P1", "quote": "unique sentence zeta omega lives only"}]
        return output

    llm_server.script(Reply(transform=quote_the_appendix), step="answer")

    drafting = _draft(note, django_capture_on_commit_callbacks)

    [item] = note.qas.get(position=1).evidence.all()
    assert (item.verified, item.found_in, item.passage_id) == (True, EvidenceFoundIn.BODY, hidden.pk)
    assert drafting.status == DraftingStatus.SUCCEEDED
    assert len(llm_server.calls) == 2  # found, so no repair


def test_a_forced_run_on_an_approved_note_changes_no_text_and_no_evidence(
    llm_server, django_capture_on_commit_callbacks
):
    # Given an approved note
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    Note.objects.filter(pk=note.pk).update(state=NoteState.APPROVED)
    answers, evidence = _answers(note), _evidence_of(note)

    # When a forced run's model answers with other texts and other quotes
    def other_answers(output: dict) -> dict:
        for answer in output["answers"]:
            answer["answer"] = "別の回答です."
            answer["evidence"] = [{"passage_id": "P3", "quote": answer["evidence"][0]["quote"]}]
        return output

    llm_server.script(Reply(transform=other_answers), step="answer")
    _draft(note, django_capture_on_commit_callbacks, force=True)

    # Then the approved answers and their evidence are as approved; the new texts are suggestions
    assert _answers(note) == answers
    assert _evidence_of(note) == evidence
    assert set(note.qas.values_list("answer_machine_draft", flat=True)) == {"別の回答です."}
    assert Note.objects.get(pk=note.pk).state == NoteState.APPROVED


def test_the_evidence_under_an_editors_answer_is_not_replaced(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    qa = note.qas.get(position=4)
    qa_save_editor_changes(qa=qa, changed_data={"answer": "編集者の回答です."}, user=None)
    before = list(qa.evidence.values_list("quote", "passage_id"))

    def other_quote(output: dict) -> dict:
        output["answers"][3]["evidence"] = [{"passage_id": "P9", "quote": "a quote that the paper never wrote"}]
        return output

    llm_server.script(Reply(transform=other_quote), step="answer")
    _draft(note, django_capture_on_commit_callbacks, force=True)

    qa.refresh_from_db()
    assert (qa.answer, qa.answer_source) == ("編集者の回答です.", TextSource.EDITOR)
    assert list(qa.evidence.values_list("quote", "passage_id")) == before


def test_a_context_length_error_keeps_the_providers_reason_and_fails_at_once(
    llm_server, django_capture_on_commit_callbacks
):
    llm_server.script(context_length_error(), step="answer")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.FAILED
    assert "入力の上限" in drafting.last_error and "maximum context length is 128000 tokens" in drafting.last_error
    call = LlmCall.objects.get(note=note, step="answer")
    assert (call.status_code, call.error_code) == (400, "context_length_exceeded")
    assert "maximum context length is 128000 tokens" in call.error
    assert llm_server.steps() == ["read", "answer"]  # a 400 is not retried
    assert note.abstract_ja  # what the read step drafted stays


def test_a_hung_provider_fails_the_paper_within_its_deadline_with_the_reason(
    llm_server, django_capture_on_commit_callbacks, settings
):
    settings.LLM_TIMEOUT = 0.3
    settings.DRAFTING_PAPER_DEADLINE = 1.5
    llm_server.script(*[Reply(hang=True)] * 40)
    note = make_note()
    started = time.monotonic()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert time.monotonic() - started < 5
    assert drafting.status == DraftingStatus.FAILED and drafting.error_code == "llm_deadline"
    assert "制限時間" in drafting.last_error and "DRAFTING_PAPER_DEADLINE" in drafting.last_error
    assert LlmCall.objects.filter(note=note, outcome="timeout").exists()


def test_a_fenced_answer_after_a_read_repair_is_used(llm_server, django_capture_on_commit_callbacks):
    # Given a read call whose output needs its repair, then answers wrapped in ```json fences
    llm_server.script(Reply(content="not json"), step="read")
    llm_server.careless = frozenset({"fences"})
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then the answer step has its own repair budget, and needs none: the fence is taken off
    assert llm_server.steps() == ["read", "read+repair", "answer"]
    assert drafting.status == DraftingStatus.SUCCEEDED and note.qas.count() == 10


def test_a_refusal_is_shown_and_nothing_is_written(llm_server, django_capture_on_commit_callbacks):
    llm_server.script(Reply(refusal="I'm sorry, I can't help with that."), step="answer")
    note = make_note()

    drafting = _draft(note, django_capture_on_commit_callbacks)

    assert drafting.status == DraftingStatus.FAILED
    assert drafting.last_error == "LLM が回答を拒否しました: I'm sorry, I can't help with that."
    assert note.qas.count() == 0


def test_the_counts_beside_the_latest_draft_are_those_of_the_latest_run(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    _draft(note, django_capture_on_commit_callbacks, force=True)
    _draft(note, django_capture_on_commit_callbacks, force=True)

    assert note_call_totals(note_id=note.pk).calls == 2
    assert note_call_totals_all_runs(note_id=note.pk).calls == 6


def test_an_issue_whose_papers_all_failed_does_not_read_as_three_quarters_done(
    llm_server, django_capture_on_commit_callbacks
):
    llm_server.script(*[Reply(status=401)] * 5)
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)

    pipeline = pipeline_for_issue(note.issue)

    assert (pipeline.failed, pipeline.done, pipeline.progress) == (1, 0, 0)


def test_the_review_screen_shows_what_needs_attention_and_the_answers_kept_aside(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    # Given a careless model's note: some answers unplaced, a quote found in another passage
    llm_server.careless = frozenset({"wrong_passage"})
    llm_server.script(Reply(transform=_unplaceable), step="answer")
    llm_server.script(Reply(status=400), step="repair_answers")
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    NoteDrafting.objects.filter(note=note).update(status=DraftingStatus.NEEDS_ATTENTION)

    page = admin_client.get(reverse("admin:papernotes_note_change", args=[note.pk])).content.decode()

    # Then the editor reads 要確認, what is missing, and every answer the model gave
    assert "要確認" in page and "回答がない質問: Q1, Q2" in page
    assert "どの質問への回答か分からない機械の回答 8 件(提案)" in page
    for item in NoteDrafting.objects.get(note=note).unplaced_answers:
        assert item["answer"] in page
    assert 'data-force="1"' in page  # the button drafts again, keeping what editors wrote


def test_regenerating_an_answer_the_model_leaves_out_says_so_and_keeps_the_answer(
    llm_server, django_capture_on_commit_callbacks
):
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    qa = note.qas.get(position=2)
    before = (qa.answer, list(qa.evidence.values_list("quote", flat=True)))
    llm_server.script(Reply(transform=lambda output: {"answers": []}), step="answer")
    llm_server.script(Reply(transform=lambda output: {"answers": []}), step="repair_answers")

    with django_capture_on_commit_callbacks(execute=True):
        note_regenerate(note_id=note.pk, target=f"qa:{qa.pk}")

    qa.refresh_from_db()
    assert (qa.answer, list(qa.evidence.values_list("quote", flat=True))) == before
    state = NoteDrafting.objects.get(note=note).regenerations[f"qa:{qa.pk}"]
    assert (state["status"], state["message"]) == ("failed", "LLM がこの質問への回答を返しませんでした。")
