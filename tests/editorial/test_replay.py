"""Replay: published notes drafted again from their stored inputs with a prompt version,
against the local OpenAI-compatible stand-in, measured against the published texts beside
the stored machine drafts, writing nothing to the notes."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from papernotes.drafting.services import notes_draft_start
from papernotes.models import IssueState, LlmCall, Note, QuestionAnswer, WeeklyIssue
from tests.drafting.conftest import make_note
from tests.support.openai_server import context_length_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

EDITED = "編集者が書き直した回答です。根拠は第2節にあります."


def _published_drafted_note(django_capture_on_commit_callbacks) -> Note:
    """A note drafted by the stand-in, one answer rewritten by an editor, then published."""
    note = make_note()
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[note.pk])
    QuestionAnswer.objects.filter(note=note, position=1).update(answer=EDITED, answer_source="editor")
    WeeklyIssue.objects.filter(pk=note.issue_id).update(state=IssueState.PUBLISHED, published_at=timezone.now())
    return Note.objects.get(pk=note.pk)


def _snapshot(note: Note) -> list:
    return [
        Note.objects.filter(pk=note.pk).values_list("summary", "abstract_ja", "state", "updated_at").get(),
        list(QuestionAnswer.objects.filter(note=note).order_by("position").values_list("question", "answer")),
        LlmCall.objects.count(),
    ]


def test_replaying_the_current_prompts_reproduces_the_stored_figures_and_writes_nothing(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a published note drafted with the current prompts, one answer rewritten by an editor
    note = _published_drafted_note(django_capture_on_commit_callbacks)
    before = _snapshot(note)
    calls_before = len(llm_server.calls)

    # When it is replayed with the current prompts
    out = StringIO()
    call_command("replay_prompts", "--prompt-version", "current", "--json", stdout=out)
    report = json.loads(out.getvalue())

    # Then the stand-in drafted it again (read, then answer)...
    assert [call.step for call in llm_server.calls[calls_before:]] == ["read", "answer"]
    # ...the figures match the stored machine drafts' (the same model, the same texts)
    fields = {row["field"]: row for row in report["fields"]}
    assert set(fields) == {"summary", "abstract_ja", "question", "answer"}
    for row in fields.values():
        for figure in ("count", "unchanged", "mean_distance", "rewritten"):
            assert row["replay"][figure] == row["stored"][figure], (row["field"], figure)
    assert (fields["answer"]["replay"]["count"], fields["answer"]["replay"]["rewritten"]) == (10, 1)
    # ...its cost and time per week are set beside the stored run's
    [week] = report["weeks"]
    assert week["notes"] == 1 and week["replay_calls"] == 2 and week["stored_calls"] == 2
    assert float(week["replay_cost_usd"]) > 0 and week["cost_ratio"] == pytest.approx(1.0, rel=0.2)
    # ...and nothing of the note changed, no call was recorded
    assert _snapshot(note) == before


def test_a_new_prompt_version_is_what_is_sent_and_reported(
    llm_server, django_capture_on_commit_callbacks, tmp_path, settings
):
    # Given a published note, and a prompt version that rewrites the read prompt only
    _published_drafted_note(django_capture_on_commit_callbacks)
    version = tmp_path / "terse"
    version.mkdir()
    (version / "read.md").write_text("version: 7\n---\nREAD TERSELY. {house_style}\n", encoding="utf-8")
    settings.LLM_PRICES = {**settings.LLM_PRICES, "gpt-4.1-mini": {"input": 0.4, "output": 1.6}}
    calls_before = len(llm_server.calls)

    # When it is replayed with that version on another model
    out = StringIO()
    call_command("replay_prompts", "--prompt-version", str(version), "--model", "gpt-4.1-mini", stdout=out)

    # Then the read call carried the new prompt, the answer call the shipped one, both on that model
    read, answer = llm_server.calls[calls_before:]
    assert read.body["messages"][0]["content"].startswith("READ TERSELY.")
    assert not answer.body["messages"][0]["content"].startswith("READ TERSELY.")
    assert read.body["model"] == answer.body["model"] == "gpt-4.1-mini"
    # ...and the report is in Japanese, side by side, with the week's cost against the stored run
    text = out.getvalue()
    assert f"プロンプトの版 {version}、モデル gpt-4.1-mini: 公開済みのノート 1 件" in text
    assert "回答\t10 件 無修正 90%" in text
    assert "費用" in text and "比 " in text

    # When the JSON is asked for
    out = StringIO()
    call_command("replay_prompts", "--prompt-version", str(version), "--model", "gpt-4.1-mini", "--json", stdout=out)
    report = json.loads(out.getvalue())

    # Then the replay's fields are grouped under the new read version and the model
    keys = {tuple(row["key"]) for row in report["replay_by_version"]}
    assert any(key[0].startswith("read@7+house_style_blog@") and key[1] == "gpt-4.1-mini" for key in keys)


def test_a_failing_provider_is_reported_per_note_and_nothing_is_written(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a published note, and a provider that refuses the request
    note = _published_drafted_note(django_capture_on_commit_callbacks)
    before = _snapshot(note)
    llm_server.script(context_length_error(), step="read")

    # When it is replayed
    out, err = StringIO(), StringIO()
    call_command("replay_prompts", "--prompt-version", "current", stdout=out, stderr=err)

    # Then the note's failure is said, with the provider's reason, and the note is as it was
    assert "失敗 1 件" in out.getvalue()
    assert "入力の上限" in err.getvalue()
    assert _snapshot(note) == before


def test_an_unknown_prompt_version_is_refused_in_japanese(llm_server):
    with pytest.raises(CommandError, match="プロンプトの版 nope が見つかりません"):
        call_command("replay_prompts", "--prompt-version", "nope")
