"""The judge step: rubric scores for every answer of a note, after its draft when enabled,
against the local OpenAI-compatible stand-in; recorded like every call; shown on the
review screen and used to order what editors read first. Off by default."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from papernotes.drafting.services import issue_draft_start, notes_draft_start
from papernotes.drafting.tasks import poll_drafting_batches_task
from papernotes.models import (
    JUDGE_CRITERIA,
    AnswerJudgement,
    DraftingStatus,
    LlmCall,
    Note,
    NoteDrafting,
    NoteState,
    QuestionAnswer,
)
from tests.drafting.conftest import make_note
from tests.support.openai_server import Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _draft(note, django_capture_on_commit_callbacks) -> NoteDrafting:
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[note.pk])
    note.refresh_from_db()
    return NoteDrafting.objects.get(note=note)


def _texts(note: Note) -> list:
    return [
        Note.objects.filter(pk=note.pk).values_list("summary", "abstract_ja", "state").get(),
        list(QuestionAnswer.objects.filter(note=note).order_by("position").values_list("question", "answer")),
    ]


def test_the_judge_is_off_by_default(llm_server, django_capture_on_commit_callbacks):
    # Given the settings as shipped
    # When a note is drafted
    drafting = _draft(make_note(), django_capture_on_commit_callbacks)

    # Then only the drafting calls are made, and no scores are stored
    assert drafting.status == DraftingStatus.SUCCEEDED
    assert llm_server.steps() == ["read", "answer"]
    assert not AnswerJudgement.objects.exists()


def test_when_enabled_every_answer_is_scored_after_the_draft_in_one_recorded_call(
    llm_server, django_capture_on_commit_callbacks, settings
):
    # Given the judge enabled on its own model
    settings.DRAFTING_JUDGE_ENABLED = True
    settings.DRAFTING_JUDGE_MODEL = "gpt-4o"
    note = make_note()

    # When the note is drafted
    drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then one judge call follows the draft, on the judge's model, with every answer and its evidence
    assert llm_server.steps() == ["read", "answer", "judge"]
    judge_call = llm_server.calls[-1]
    assert judge_call.body["model"] == "gpt-4o"
    sent = judge_call.body["messages"][1]["content"]
    assert '"verified": true' in sent and sent.count('"number"') == 10
    # ...every answer has four scores from 1 to 5, each with a short Japanese reason
    judgements = list(AnswerJudgement.objects.filter(qa__note=note).select_related("qa"))
    assert len(judgements) == 10
    for judgement in judgements:
        assert [getattr(judgement, name) for name in JUDGE_CRITERIA] == [5, 4, 4, 5]
        assert judgement.lowest == 4
        assert judgement.reasons["faithful"] == "引用が本文で確認されています."
        assert judgement.answer_judged == judgement.qa.answer and not judgement.stale
        assert judgement.prompt_version.startswith("judge@1+house_style_blog@")
    # ...and the call is recorded with its cost, on the note's run, apart from the draft's calls
    call = LlmCall.objects.get(note=note, step="judge")
    assert (call.target, call.run, call.model, call.outcome) == ("judge", drafting.run, "gpt-4o", "ok")
    assert call.cost_usd > Decimal("0")
    assert call.prompt_version == judgements[0].prompt_version
    # ...the draft is what it was: the judge changes no text and no state
    assert drafting.status == DraftingStatus.SUCCEEDED and note.state == NoteState.DRAFTED
    assert all(qa.answer == qa.answer_machine_draft for qa in note.qas.all())


def test_a_week_drafted_in_batches_is_judged_once_its_answers_are_applied(
    llm_server, django_capture_on_commit_callbacks, settings
):
    # Given the judge enabled, and two notes of a week drafted through the Batch API
    settings.DRAFTING_JUDGE_ENABLED = True
    first = make_note()
    second = make_note(issue=first.issue)
    with django_capture_on_commit_callbacks(execute=True):
        issue_draft_start(issue_id=first.issue_id, batch=True)

    # When beat polls the read batch, then the answer batch
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            poll_drafting_batches_task.delay()
    # Then no note is judged before its answers are there, and each once after (an ordinary call)
    assert llm_server.batch_steps() == ["read", "read", "answer", "answer"]
    assert llm_server.call_steps() == ["judge", "judge"]
    for note in (first, second):
        assert AnswerJudgement.objects.filter(qa__note=note).count() == 10
        assert LlmCall.objects.filter(note=note, step="judge", batch_id="").count() == 1


def test_scores_out_of_range_or_left_out_are_not_stored(llm_server, django_capture_on_commit_callbacks, settings):
    # Given a judge that scores answer 1 with a 7 and leaves answer 2 out
    def spoil(output: dict) -> dict:
        output["scores"][0]["faithful"] = 7
        del output["scores"][1]
        return output

    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    llm_server.script(Reply(transform=spoil), step="judge")

    # When the week is judged by the command (the judge setting is off: the command asks anyway)
    out = StringIO()
    call_command("judge_issue", note.issue.week_start.isoformat(), stdout=out)

    # Then the eight other answers are scored, and the command says so with the call's cost
    positions = set(AnswerJudgement.objects.filter(qa__note=note).values_list("qa__position", flat=True))
    assert positions == set(range(3, 11))
    text = out.getvalue()
    assert f"#{note.position} {note.paper.arxiv_id}: 回答 8/10 件を評価、最低点 4、費用 0.00" in text
    assert "評価の費用" in text


def test_a_refused_judge_call_is_recorded_and_leaves_the_draft_alone(
    llm_server, django_capture_on_commit_callbacks, settings
):
    # Given the judge enabled, and a provider that refuses the judge's request
    settings.DRAFTING_JUDGE_ENABLED = True
    llm_server.script(Reply(status=400, error_code="invalid_request_error", error_message="bad"), step="judge")
    note = make_note()

    # When the note is drafted
    drafting = _draft(note, django_capture_on_commit_callbacks)

    # Then the draft is complete, no scores are stored, and the failed call is on record
    assert drafting.status == DraftingStatus.SUCCEEDED
    assert not AnswerJudgement.objects.exists()
    call = LlmCall.objects.get(note=note, step="judge")
    assert (call.outcome, call.status_code) == ("http_error", 400)


def test_a_transient_judge_failure_is_retried(llm_server, django_capture_on_commit_callbacks, settings):
    # Given the judge enabled, and a provider down for the judge's first attempts
    settings.DRAFTING_JUDGE_ENABLED = True
    llm_server.script(*(Reply(status=503) for _ in range(3)), step="judge")
    note = make_note()

    # When the note is drafted
    _draft(note, django_capture_on_commit_callbacks)

    # Then the task's retry scores the answers in the end
    assert AnswerJudgement.objects.filter(qa__note=note).count() == 10
    assert llm_server.steps().count("judge") == 4


def test_the_review_screen_shows_the_scores_and_the_answers_to_read_first(
    llm_server, django_capture_on_commit_callbacks, settings, admin_client
):
    # Given a drafted note judged, answer 3 without a verified quote and ending in 「。」
    settings.DRAFTING_JUDGE_ENABLED = True

    def spoil(output: dict) -> dict:
        output["scores"][2].update(faithful=2, faithful_reason="本文で確認できた引用がありません.")
        return output

    llm_server.script(Reply(transform=spoil), step="judge")
    note = make_note()
    _draft(note, django_capture_on_commit_callbacks)
    # ...and an editor later rewrote answer 5
    QuestionAnswer.objects.filter(note=note, position=5).update(answer="編集者の回答です.", answer_source="editor")

    # When the review screen is opened
    page = admin_client.get(reverse("admin:papernotes_note_change", args=[note.pk]))

    # Then each answer shows its scores with their reasons, answer 3 is listed to read first,
    # and the rewritten answer's scores are marked as older than its text
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('class="qa-judgement ') == 10
    assert "根拠への忠実さ 2/5</strong> 本文で確認できた引用がありません." in body
    assert "機械による評価で点の低い回答(先に確認してください)" in body
    assert ">Q3(2)</span>" in body
    assert body.count("(評価の後で回答が変更されました)") == 1


def test_the_dashboard_lists_judged_notes_lowest_score_first(
    llm_server, django_capture_on_commit_callbacks, settings, admin_client
):
    # Given two drafted notes of one issue, the second with an answer scored 1
    settings.DRAFTING_JUDGE_ENABLED = True
    first = make_note()
    _draft(first, django_capture_on_commit_callbacks)

    def spoil(output: dict) -> dict:
        output["scores"][0]["japanese"] = 1
        return output

    llm_server.script(Reply(transform=spoil), step="judge")
    second = make_note(issue=first.issue)
    _draft(second, django_capture_on_commit_callbacks)

    # When the dashboard is opened
    body = admin_client.get(reverse("admin:index")).content.decode()

    # Then the judged notes are listed, the lowest-scored first
    section = body.split("機械による評価の低い順(レビュー待ち)")[1].split("</section>")[0]
    assert section.index(second.paper.title) < section.index(first.paper.title)
    assert "評価の最低点 1/5" in section
