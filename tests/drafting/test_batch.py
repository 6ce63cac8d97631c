"""A week drafted through the Batch API (tasks run in this process, the poller called as beat
calls it) against the local stand-in speaking the files and batches protocol: the same
drafts as ordinary calls give, at the batch price, with every request recorded, every
request the batch did not carry out ending visibly, and nothing applied twice."""

import io
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from editorial.services import note_save_editor_changes
from papernotes.celery import app
from papernotes.drafting.pricing import call_cost
from papernotes.drafting.services import issue_draft_start, notes_draft_start
from papernotes.drafting.tasks import (
    apply_drafting_batch_item_task,
    poll_drafting_batches_task,
    submit_drafting_batch_task,
)
from papernotes.ingestion.selectors import issue_pipeline
from papernotes.models import (
    DraftingBatch,
    DraftingBatchItem,
    DraftingBatchItemStatus,
    DraftingBatchStatus,
    DraftingStatus,
    LlmCall,
    LlmCallOutcome,
    Note,
    NoteDrafting,
    NoteState,
    TextSource,
)
from tests.drafting.conftest import make_note
from tests.factories import NoteFactory, WeeklyIssueFactory
from tests.support.openai_server import BatchFate, OpenAIServer, Reply, context_length_error, token_limit_failure

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _week(count: int = 3) -> list[Note]:
    issue = WeeklyIssueFactory()
    return [make_note(issue=issue) for _ in range(count)]


def _start(notes, callbacks, **options) -> list[int]:
    with callbacks(execute=True):
        return issue_draft_start(issue_id=notes[0].issue_id, batch=True, **options)


def _poll(callbacks) -> None:
    """What Celery beat does every DRAFTING_BATCH_POLL_INTERVAL seconds."""
    with callbacks(execute=True):
        poll_drafting_batches_task.delay()


def _drafting(note) -> NoteDrafting:
    return NoteDrafting.objects.get(note=note)


def _rows(note):
    pipeline = issue_pipeline(week_start=note.issue.week_start)
    return [(row.stage_label, row.state_label) for row in pipeline.rows]


def _texts(note) -> dict:
    note = Note.objects.get(pk=note.pk)
    return {
        "abstract": note.abstract_ja,
        "summary": note.summary,
        "qas": [
            (qa.question, qa.answer, [(e.quote, e.verified, e.found_in, e.page_start) for e in qa.evidence.all()])
            for qa in note.qas.order_by("position")
        ],
    }


def test_a_week_is_drafted_in_a_read_batch_then_an_answer_batch_at_the_batch_price(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a week of three notes waiting for their drafts
    notes = _week(3)

    # When the week is drafted in batch mode
    started = _start(notes, django_capture_on_commit_callbacks)

    # Then the read requests of the three notes went out as one batch, and nothing else
    assert sorted(started) == sorted(note.pk for note in notes)
    assert len(llm_server.batches) == 1 and llm_server.calls == []
    [read_batch] = DraftingBatch.objects.all()
    assert (read_batch.step, read_batch.status) == ("read", DraftingBatchStatus.SUBMITTED)
    assert read_batch.provider_batch_id in llm_server.batches
    assert sorted(read_batch.items.values_list("custom_id", flat=True)) == sorted(
        f"note-{note.pk}-run-1-read" for note in notes
    )
    # ...and the issue's progress says the notes wait in it, not that they run
    assert _rows(notes[0]) == [("バッチ待ち(読解)", "バッチ待ち")] * 3
    assert issue_pipeline(week_start=notes[0].issue.week_start).active

    # When beat polls: the read results are applied and the answer batch is sent
    _poll(django_capture_on_commit_callbacks)
    assert _rows(notes[0]) == [("バッチ待ち(回答)", "バッチ待ち")] * 3
    assert all(Note.objects.get(pk=note.pk).abstract_ja.startswith("本論文の概要の日本語訳です.") for note in notes)
    # ...and again: the answers are applied
    _poll(django_capture_on_commit_callbacks)

    # Then each note is a complete draft with verified evidence, as an ordinary run leaves it
    for note in notes:
        drafting = _drafting(note)
        assert (drafting.status, drafting.flags) == (DraftingStatus.SUCCEEDED, [])
        assert drafting.prompt_version == "read@2+house_style_blog@2,answer@2+house_style_blog@2"
        assert Note.objects.get(pk=note.pk).state == NoteState.DRAFTED
        qas = list(note.qas.order_by("position"))
        assert len(qas) == 10 and all(qa.evidence.filter(verified=True).exists() for qa in qas)
    assert _rows(notes[0]) == [("完了", "完了")] * 3
    # ...made by two batches of three requests, with no ordinary call
    assert llm_server.batch_steps() == ["read"] * 3 + ["answer"] * 3 and llm_server.call_steps() == []
    answer_batch = DraftingBatch.objects.get(step="answer")
    assert read_batch.__class__.objects.get(pk=read_batch.pk).follow_up == answer_batch
    assert set(DraftingBatch.objects.values_list("status", flat=True)) == {DraftingBatchStatus.DONE}
    # ...each request recorded once, with its batch, its tokens and the batch price (half)
    calls = list(LlmCall.objects.filter(note__in=notes).order_by("id"))
    assert len(calls) == 6
    assert {c.batch_id for c in calls} == {read_batch.provider_batch_id, answer_batch.provider_batch_id}
    for call in calls:
        assert call.outcome == LlmCallOutcome.OK and call.input_tokens > 0 and call.output_tokens > 0
        price = {kind: Decimal(str(usd)) / 2 for kind, usd in django_settings.LLM_PRICES["gpt-4o-mini"].items()}
        half = (
            price["input"] * (call.input_tokens - call.cached_input_tokens)
            + price["cached_input"] * call.cached_input_tokens
            + price["output"] * call.output_tokens
        ) / 1_000_000
        assert call.cost_usd == half.quantize(Decimal("0.000001")) and call.cost_usd > 0


@pytest.mark.parametrize("careless", [False, True], ids=["cooperative", "careless"])
def test_a_batch_draft_is_the_draft_ordinary_calls_make(careless, settings, django_capture_on_commit_callbacks):
    """The batch's replies go through the same validation, matching and evidence checks."""
    with OpenAIServer(careless=careless) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, ""
        # Given the same paper in two weeks
        synced = make_note()
        batched = NoteFactory(
            issue=WeeklyIssueFactory(),
            paper=synced.paper,
            state=NoteState.AWAITING_DRAFT,
            summary="",
            summary_source=TextSource.EMPTY,
            abstract_ja="",
            abstract_ja_source=TextSource.EMPTY,
        )
        # When one is drafted with ordinary calls and the other in batches
        with django_capture_on_commit_callbacks(execute=True):
            notes_draft_start(note_ids=[synced.pk])
        _start([batched], django_capture_on_commit_callbacks)
        _poll(django_capture_on_commit_callbacks)
        _poll(django_capture_on_commit_callbacks)

        # Then both drafts hold the same texts, evidence and flags
        assert server.batch_steps() and _texts(batched)["qas"]
        assert _texts(batched) == _texts(synced)
        sync_state, batch_state = _drafting(synced), _drafting(batched)
        assert (batch_state.status, batch_state.flags, batch_state.unplaced_answers) == (
            sync_state.status,
            sync_state.flags,
            sync_state.unplaced_answers,
        )


def test_polling_and_applying_again_write_nothing_twice(llm_server, django_capture_on_commit_callbacks):
    # Given a week drafted in batch mode
    notes = _week(2)
    _start(notes, django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)
    before = (
        LlmCall.objects.count(),
        [_texts(note) for note in notes],
        Note.history.count(),
        sum(note.qas.model.history.filter(note_id=note.pk).count() for note in notes),
    )

    # When beat polls again, a result's task is delivered again, and a result whose worker
    # died after writing it (still marked as being applied) is applied again
    _poll(django_capture_on_commit_callbacks)
    items = list(DraftingBatchItem.objects.all())
    for item in items:
        apply_drafting_batch_item_task.delay(item.pk)
    DraftingBatchItem.objects.update(status=DraftingBatchItemStatus.RECEIVED)
    for item in items:
        apply_drafting_batch_item_task.delay(item.pk)

    # Then no call, text or version is written twice, and no batch is sent again
    after = (
        LlmCall.objects.count(),
        [_texts(note) for note in notes],
        Note.history.count(),
        sum(note.qas.model.history.filter(note_id=note.pk).count() for note in notes),
    )
    assert after == before
    assert len(llm_server.batches) == 2
    assert set(DraftingBatchItem.objects.values_list("status", flat=True)) == {DraftingBatchItemStatus.APPLIED}


def test_what_an_expired_batch_did_not_run_is_drafted_with_ordinary_calls(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a read batch that expires after answering its first request
    notes = _week(3)
    llm_server.script_batch(BatchFate("expired", answered=1))
    _start(notes, django_capture_on_commit_callbacks)

    # When beat polls until nothing is in flight
    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)

    # Then the first note went on in the answer batch, the two others with ordinary calls
    assert all(_drafting(note).status == DraftingStatus.SUCCEEDED for note in notes)
    assert all(note.qas.count() == 10 for note in notes)
    assert llm_server.batch_steps() == ["read", "answer"]
    assert llm_server.call_steps() == ["read", "answer", "read", "answer"]
    # ...and the requests it did not run are on record, at no cost, with the reason
    expired = LlmCall.objects.filter(outcome=LlmCallOutcome.BATCH_FAILED).order_by("note_id")
    assert [c.note_id for c in expired] == [notes[1].pk, notes[2].pk]
    assert {(c.error_code, c.cost_usd) for c in expired} == {("batch_expired", Decimal("0"))}
    items = DraftingBatchItem.objects.filter(batch__step="read").order_by("note_id")
    assert list(items.values_list("status", flat=True)) == ["applied", "fell_back", "fell_back"]


def test_with_fallback_off_an_expired_batch_fails_its_notes_with_the_reason(
    llm_server, django_capture_on_commit_callbacks, settings
):
    settings.DRAFTING_BATCH_FALLBACK = False
    notes = _week(2)
    llm_server.script_batch(BatchFate("expired", answered=0))
    _start(notes, django_capture_on_commit_callbacks)

    _poll(django_capture_on_commit_callbacks)

    pipeline = issue_pipeline(week_start=notes[0].issue.week_start)
    assert [row.state_label for row in pipeline.rows] == ["失敗", "失敗"]
    assert all("バッチが API の処理期限(24 時間)内に終わらず" in row.last_error for row in pipeline.rows)
    assert all(_drafting(note).error_code == "llm_batch_expired" for note in notes)
    assert llm_server.call_steps() == []
    assert pipeline.counts_label == "完了 0 / 失敗 2 / 全 2"


def test_a_failed_batch_falls_back_and_says_why(llm_server, django_capture_on_commit_callbacks):
    notes = _week(2)
    llm_server.script_batch(token_limit_failure())
    _start(notes, django_capture_on_commit_callbacks)

    _poll(django_capture_on_commit_callbacks)

    assert all(_drafting(note).status == DraftingStatus.SUCCEEDED for note in notes)
    batch = DraftingBatch.objects.get()
    assert batch.status == DraftingBatchStatus.FAILED and batch.provider_status == "failed"
    assert "token_limit_exceeded" in batch.error
    assert set(LlmCall.objects.filter(batch_id=batch.provider_batch_id).values_list("error_code", flat=True)) == {
        "batch_failed"
    }


def test_per_line_errors_end_as_an_ordinary_call_would(llm_server, django_capture_on_commit_callbacks):
    # Given a read batch where one request is too long for the model and one meets a 500
    notes = _week(3)
    llm_server.script(context_length_error(), Reply(status=500), step="read")
    _start(notes, django_capture_on_commit_callbacks)

    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)

    # Then the refused request fails its note with the provider's reason, in Japanese...
    too_long = _drafting(notes[0])
    assert too_long.status == DraftingStatus.FAILED and too_long.error_code == "llm_http_error"
    assert "論文の本文がモデルの入力の上限を超えました(HTTP 400)" in too_long.last_error
    assert "maximum context length is 128000 tokens" in too_long.last_error
    # ...the one that met a server error is drafted with ordinary calls, the third in batches
    assert _drafting(notes[1]).status == _drafting(notes[2]).status == DraftingStatus.SUCCEEDED
    assert llm_server.call_steps() == ["read", "answer"]
    failed = LlmCall.objects.filter(outcome=LlmCallOutcome.HTTP_ERROR).order_by("note_id")
    assert [(c.note_id, c.status_code, c.error_code) for c in failed] == [
        (notes[0].pk, 400, "context_length_exceeded"),
        (notes[1].pk, 500, "server_error"),
    ]


def test_an_unusable_batch_reply_is_repaired_with_an_ordinary_call(llm_server, django_capture_on_commit_callbacks):
    notes = _week(1)
    llm_server.script(Reply(content="Sure! Here is the JSON: {"), step="read")
    llm_server.script(
        Reply(transform=lambda output: {**output, "answers": output["answers"][:8]}),
        step="answer",
    )
    _start(notes, django_capture_on_commit_callbacks)

    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)

    assert llm_server.batch_steps() == ["read", "answer"]
    assert llm_server.call_steps() == ["read+repair", "repair_answers"]
    drafting = _drafting(notes[0])
    assert drafting.status == DraftingStatus.SUCCEEDED and notes[0].qas.exclude(answer="").count() == 10
    calls = list(LlmCall.objects.order_by("id").values_list("step", "outcome", "batch_id"))
    assert [(step, outcome, bool(batch)) for step, outcome, batch in calls] == [
        ("read", "invalid", True),
        ("repair", "ok", False),
        ("answer", "ok", True),
        ("repair", "ok", False),
    ]


def test_a_superseded_run_in_flight_writes_nothing_but_its_cost_is_kept(llm_server, django_capture_on_commit_callbacks):
    # Given a read batch in flight
    notes = _week(2)
    llm_server.hold_batches = True
    _start(notes, django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)
    assert DraftingBatch.objects.get().provider_status == "in_progress"

    # When the first note is drafted again meanwhile (forced, ordinary calls), then the batch ends
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[notes[0].pk], force=True)
    texts = _texts(notes[0])
    versions = Note.history.filter(id=notes[0].pk).count()
    llm_server.hold_batches = False
    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)

    # Then the first run's result changed nothing on the note (run 2 stays), but was paid and is on record
    assert _texts(notes[0]) == texts and Note.history.filter(id=notes[0].pk).count() == versions
    assert _drafting(notes[0]).run == 2 and _drafting(notes[0]).status == DraftingStatus.SUCCEEDED
    old = LlmCall.objects.get(note=notes[0], run=1)
    assert old.batch_id and old.cost_usd > 0
    item = DraftingBatchItem.objects.get(note=notes[0])
    assert item.status == DraftingBatchItemStatus.SUPERSEDED
    # ...and the other note went on to its answer batch alone
    assert _drafting(notes[1]).status == DraftingStatus.SUCCEEDED
    assert DraftingBatch.objects.get(step="answer").items.count() == 1


def test_editor_texts_stay_and_an_approved_note_only_gets_suggestions(llm_server, django_capture_on_commit_callbacks):
    # Given a note drafted and approved, and a note waiting for its draft
    approved, waiting = _week(2)
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[approved.pk])
    Note.objects.filter(pk=approved.pk).update(state=NoteState.APPROVED)
    approved_texts = _texts(approved)
    llm_server.hold_batches = True

    # When the week is drafted again in batch mode, and an editor rewrites the waiting note's
    # abstract while the batch is in flight
    _start([approved, waiting], django_capture_on_commit_callbacks, force=True)
    editor_abstract = {"abstract_ja": "編集者の概要."}
    note_save_editor_changes(note=Note.objects.get(pk=waiting.pk), changed_data=editor_abstract, user=None)
    llm_server.hold_batches = False

    def other_answers(output: dict) -> dict:
        for answer in output["answers"]:
            answer["answer"] = "別の回答です."
        return output

    llm_server.script(Reply(transform=other_answers), step="answer")
    _poll(django_capture_on_commit_callbacks)
    _poll(django_capture_on_commit_callbacks)

    # Then the editor's abstract stays, with the machine's as its suggestion
    waiting = Note.objects.get(pk=waiting.pk)
    assert (waiting.abstract_ja, waiting.abstract_ja_source) == ("編集者の概要.", TextSource.EDITOR)
    assert waiting.abstract_ja_machine_draft.startswith("本論文の概要の日本語訳です.")
    # ...and the approved note's texts and evidence are as approved, the new answers suggestions
    assert _texts(approved) == approved_texts
    assert "別の回答です." in set(approved.qas.values_list("answer_machine_draft", flat=True))
    assert Note.objects.get(pk=approved.pk).state == NoteState.APPROVED


def test_a_batch_past_its_deadline_is_cancelled_and_its_notes_fail(
    llm_server, django_capture_on_commit_callbacks, settings
):
    # Given a batch the provider keeps in progress, past DRAFTING_BATCH_DEADLINE
    settings.DRAFTING_BATCH_DEADLINE = 0
    notes = _week(2)
    llm_server.hold_batches = True
    _start(notes, django_capture_on_commit_callbacks)

    # When beat polls
    _poll(django_capture_on_commit_callbacks)

    # Then the batch is cancelled at the provider and its notes fail, saying why
    batch = DraftingBatch.objects.get()
    assert llm_server.batches[batch.provider_batch_id].status in ("cancelling", "cancelled")
    assert batch.status == DraftingBatchStatus.FAILED
    pipeline = issue_pipeline(week_start=notes[0].issue.week_start)
    assert [row.state_label for row in pipeline.rows] == ["失敗", "失敗"]
    reason = "バッチが期限(0 時間、DRAFTING_BATCH_DEADLINE)までに終わらなかった"
    assert all(reason in row.last_error for row in pipeline.rows)
    assert llm_server.call_steps() == []


def test_a_server_without_the_batch_api_drafts_with_ordinary_calls(settings, django_capture_on_commit_callbacks):
    with OpenAIServer(batches=False) as server:
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, ""
        notes = _week(1)

        _start(notes, django_capture_on_commit_callbacks)

        assert _drafting(notes[0]).status == DraftingStatus.SUCCEEDED
        assert server.call_steps() == ["read", "answer"]
        batch = DraftingBatch.objects.get()
        assert batch.status == DraftingBatchStatus.FAILED
        reason = "バッチを送信できませんでした: LLM の API にモデルまたはエンドポイントが見つかりません"
        assert batch.error.startswith(reason)


def test_a_submission_repeated_after_a_crash_finds_the_batch_instead_of_creating_a_second(
    llm_server, django_capture_on_commit_callbacks
):
    # Given a batch whose file was uploaded and whose batch was created, but whose worker died
    # before it kept the batch's id
    notes = _week(2)
    llm_server.hold_batches = True
    _start(notes, django_capture_on_commit_callbacks)
    batch = DraftingBatch.objects.get()
    DraftingBatch.objects.filter(pk=batch.pk).update(
        status=DraftingBatchStatus.PENDING, provider_batch_id="", lease_until=None
    )
    DraftingBatchItem.objects.update(status=DraftingBatchItemStatus.PENDING)

    # When the submission runs again
    submit_drafting_batch_task.delay(batch.pk)

    # Then it adopted the batch already created: one file, one batch at the provider
    assert len(llm_server.batches) == 1
    assert len([f for f in llm_server.files.values() if f["purpose"] == "batch"]) == 1
    assert DraftingBatch.objects.get().provider_batch_id == batch.provider_batch_id


def test_draft_issue_batch_then_pipeline_status(llm_server, django_capture_on_commit_callbacks):
    notes = _week(2)
    week = notes[0].issue.week_start.isoformat()
    llm_server.hold_batches = True

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("draft_issue", week, "--batch", stdout=out)
    status = io.StringIO()
    call_command("pipeline_status", week, stdout=status)

    assert "2 本の論文の下書きを開始しました(バッチ API" in out.getvalue()
    assert status.getvalue().count("バッチ待ち(読解) / バッチ待ち") == 2


def test_batch_prices_come_from_the_table_or_the_factor(settings):
    settings.LLM_PRICES = {
        "model-a": {"input": 1.0, "cached_input": 0.5, "output": 4.0},
        "model-b": {"input": 1.0, "output": 4.0, "batch_input": 0.4, "batch_output": 1.0},
    }
    settings.LLM_BATCH_PRICE_FACTOR = 0.5
    tokens = {"input_tokens": 1_000_000, "cached_input_tokens": 200_000, "output_tokens": 1_000_000}

    assert call_cost(model="model-a", **tokens) == Decimal("4.900000")  # 0.8 + 0.1 + 4
    assert call_cost(model="model-a", batch=True, **tokens) == Decimal("2.450000")
    assert call_cost(model="model-b", batch=True, **tokens) == Decimal("1.400000")  # 0.32 + 0.08 + 1


def test_beat_runs_the_poller():
    entry = django_settings.CELERY_BEAT_SCHEDULE["poll-drafting-batches"]
    assert entry["task"] == poll_drafting_batches_task.name and entry["task"] in app.tasks
    assert entry["schedule"] == django_settings.DRAFTING_BATCH_POLL_INTERVAL
