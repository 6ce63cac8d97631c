"""Drafting a week through the OpenAI Batch API: the same steps, at about half the price.

A run in batch mode (``DRAFTING_MODE=batch``, ``draft_issue --batch``) makes the same
calls as an ordinary run, but the first call of each step travels in a batch:

1. **read**: the read request of every note started together, as one batch
   (:func:`submit`); each note waits in it (バッチ待ち(読解));
2. the poller (:func:`poll`, Celery beat) looks at the batches in flight; once one is over
   it keeps each request's line (output or error file) and the lines are applied
   (:func:`apply_item`), each by the read step itself (:func:`steps.read_step` with the
   line as its first reply): validation, house style, and a repair by an ordinary call
   when the output needs one;
3. **answer**: when every read result of the batch is applied, the notes that have their
   questions go into a second batch, built from the stored read result and retrieval
   (:func:`steps.answer_request`), and are applied by the answer step (matching, evidence,
   the repair of what is missing by an ordinary call) and stored as an ordinary run is.

Every call is recorded (a batch's at the batch price, with the batch's id); texts reach
the notes through the same provenance rule. A request the batch did not carry out
(expired, cancelled, the batch failed or could not be sent, a 429 or 5xx for that line)
goes on with ordinary calls when ``DRAFTING_BATCH_FALLBACK`` is on, else its note fails
with the reason; a request the provider refused (a 400) fails its note, as an ordinary
call would. A batch not over by ``DRAFTING_BATCH_DEADLINE`` is cancelled and its notes fail.

Nothing of this lives in a worker's memory: batches, requests and results are rows
(``DraftingBatch``, ``DraftingBatchItem``), every transition is guarded, and a result is
applied once, so a restarted worker, a repeated task or a second poller changes nothing
twice. This module makes no Celery calls: it returns what to enqueue, and the tasks do.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.drafting import batch_api, batch_store, runner, selectors, steps, store
from papernotes.drafting.llm import BATCH_DEADLINE_CODE, BatchLine, BatchLineError, LlmError, batch_line_record
from papernotes.drafting.prompts import system_prompt
from papernotes.drafting.steps import ReadResult
from papernotes.external.retries import FailureOutcome
from papernotes.models import (
    DRAFTING_FINISHED,
    DraftingBatch,
    DraftingBatchItem,
    DraftingBatchItemStatus,
    DraftingBatchStatus,
    DraftingStep,
    Note,
    NoteDrafting,
)

logger = logging.getLogger(__name__)

ItemStatus = DraftingBatchItemStatus
# The safety net of the poller: a batch not sent this long after it was made, a result
# not applied this long after it arrived, or an apply that has not ended this long after
# it began (its worker died: longer than the apply task's time limit) is taken up again.
STALE_PENDING = datetime.timedelta(minutes=2)
STALE_RECEIVED = datetime.timedelta(minutes=5)
STALE_APPLYING = datetime.timedelta(minutes=20)


def batch_mode_default() -> bool:
    """Whether a week is drafted in batches unless the run says otherwise (``DRAFTING_MODE``)."""
    return settings.DRAFTING_MODE == "batch"


@dataclass
class Work:
    """What the tasks enqueue after a step of batch mode."""

    submit: list[int] = field(default_factory=list)  # batches to send
    apply: list[int] = field(default_factory=list)  # results to apply


# -- sending --------------------------------------------------------------------------------


def _request(item: DraftingBatchItem, step: str) -> dict:
    note = Note.objects.select_related("paper").get(pk=item.note_id)
    paper = selectors.paper_input(note)
    if step == DraftingStep.READ:
        request = steps.read_request(paper)
    else:
        read = ReadResult.from_json(NoteDrafting.objects.get(note_id=item.note_id).read_result)
        request = steps.answer_request(paper, read.questions)
    return batch_api.input_line(item.custom_id, request.body())


def submit(*, batch_id: int) -> None:
    """Send a batch: upload its requests as a JSONL file, create the batch, keep its id.

    Raises :class:`LlmError` when the provider refuses or cannot be reached (the task retries,
    then gives up with :func:`give_up`). A retry after the file was uploaded does not upload
    it again, and one after the batch was created finds it instead of creating a second.
    """
    items = batch_store.drafting_batch_items_to_send(batch_id=batch_id)
    if not items:
        return
    batch = DraftingBatch.objects.get(pk=batch_id)
    provider = None
    if batch.input_file_id:
        provider = batch_api.find(input_file_id=batch.input_file_id, local_id=batch.pk)
    else:
        lines = [_request(item, batch.step) for item in items]
        input_file_id = batch_api.upload(lines, filename=f"papernotes-{batch.step}-{batch.pk}.jsonl")
        batch_store.drafting_batch_record_upload(batch_id=batch_id, input_file_id=input_file_id)
        batch.input_file_id = input_file_id
    if provider is None:
        provider = batch_api.create(input_file_id=batch.input_file_id, local_id=batch.pk)
    batch_store.drafting_batch_record_submission(batch_id=batch_id, provider=provider)


def give_up(*, batch_id: int, message: str) -> Work:
    """A batch that could not be sent: each request ends as not carried out (falls back or fails)."""
    text = _("バッチを送信できませんでした: {message}").format(message=message)
    received = batch_store.drafting_batch_store_results(
        batch_id=batch_id, lines={}, missing=("batch_not_sent", text), error=text
    )
    return Work(apply=received)


# -- polling --------------------------------------------------------------------------------


def _missing_for(provider: batch_api.ProviderBatch) -> tuple[str, str]:
    """Why a request has no line in the files of a batch that ended as ``provider`` did."""
    if provider.status == "failed":
        reasons = "; ".join(provider.errors) or "failed"
        return "batch_failed", _("バッチ全体が API に受け付けられませんでした: {reasons}").format(reasons=reasons[:300])
    if provider.status in ("expired", "cancelled"):
        return f"batch_{provider.status}", ""
    return "batch_missing", _("バッチの結果にこのリクエストの行がありませんでした。")


def _deadline_message() -> str:
    return _(
        "バッチが期限({hours:g} 時間、DRAFTING_BATCH_DEADLINE)までに終わらなかったため、取り消しました。"
        "下書きを作り直してください。"
    ).format(hours=settings.DRAFTING_BATCH_DEADLINE / 3600)


def poll_batch(*, batch_id: int) -> list[int]:
    """Look at one batch in flight; once it is over (or past its deadline), keep its results.
    Returns the ids of the results to apply."""
    batch = DraftingBatch.objects.get(pk=batch_id)
    if batch.status != DraftingBatchStatus.SUBMITTED:
        return []
    past_deadline = batch.deadline_at is not None and timezone.now() >= batch.deadline_at
    try:
        provider = batch_api.retrieve(batch.provider_batch_id)
    except LlmError as error:
        if not past_deadline:
            logger.warning("Batch %s: %s", batch.provider_batch_id, error.message)
            return []
        provider = None
    if provider is not None and provider.final:
        lines = {line["custom_id"]: line for line in batch_api.lines(provider.output_file_id)}
        for line in batch_api.lines(provider.error_file_id):
            lines.setdefault(line["custom_id"], line)
        error = _missing_for(provider)[1] if provider.status == "failed" else ""
        return batch_store.drafting_batch_store_results(
            batch_id=batch_id, lines=lines, provider=provider, missing=_missing_for(provider), error=error
        )
    if provider is not None:
        batch_store.drafting_batch_record_status(batch_id=batch_id, provider=provider)
    if not past_deadline:
        return []
    try:
        batch_api.cancel(batch.provider_batch_id)
    except LlmError as error:
        logger.warning("Batch %s past its deadline could not be cancelled: %s", batch.provider_batch_id, error.message)
    message = _deadline_message()
    return batch_store.drafting_batch_store_results(
        batch_id=batch_id, lines={}, missing=(BATCH_DEADLINE_CODE, message), error=message
    )


def poll() -> Work:
    """What beat runs: every batch in flight looked at, and what was left behind taken up."""
    work = Work()
    for batch_id in DraftingBatch.objects.filter(status=DraftingBatchStatus.SUBMITTED).values_list("pk", flat=True):
        try:
            work.apply += poll_batch(batch_id=batch_id)
        except LlmError as error:
            logger.warning("Batch %s could not be polled: %s", batch_id, error.message)
    now = timezone.now()
    work.submit += (
        DraftingBatch.objects.filter(status=DraftingBatchStatus.PENDING, created_at__lt=now - STALE_PENDING)
        .exclude(lease_until__gt=now)
        .values_list("pk", flat=True)
    )
    for item_id in DraftingBatchItem.objects.filter(
        status=ItemStatus.APPLYING, updated_at__lt=now - STALE_APPLYING
    ).values_list("pk", flat=True):
        batch_store.batch_item_release(item_id=item_id)
    work.apply += DraftingBatchItem.objects.filter(
        status=ItemStatus.RECEIVED, updated_at__lt=now - STALE_RECEIVED
    ).values_list("pk", flat=True)
    for batch_id in DraftingBatch.objects.filter(status=DraftingBatchStatus.RECEIVED).values_list("pk", flat=True):
        follow_up = batch_store.drafting_batch_advance(batch_id=batch_id)
        if follow_up is not None:
            work.submit.append(follow_up.pk)
    work.apply = list(dict.fromkeys(work.apply))
    return work


# -- applying -------------------------------------------------------------------------------


def _line(item: DraftingBatchItem) -> BatchLine:
    batch = item.batch
    latency_ms = 0
    if batch.submitted_at and batch.finished_at:
        latency_ms = max(0, int((batch.finished_at - batch.submitted_at).total_seconds() * 1000))
    return BatchLine.parse(item.result or {}, batch_id=batch.provider_batch_id, latency_ms=latency_ms)


def _context(item: DraftingBatchItem, line: BatchLine) -> steps.CallContext:
    # The calls after the batch's (repairs) have a deadline of their own, from now.
    context = runner.call_context(
        note_id=item.note_id,
        run=item.run,
        repairs=selectors.repairs_used(note_id=item.note_id, run=item.run),
        deadline=time.time() + settings.DRAFTING_PAPER_DEADLINE,
    )
    context.received[item.batch.step] = line
    return context


def _record_superseded(item: DraftingBatchItem, line: BatchLine) -> None:
    """A superseded run's request was still carried out (and paid for): recorded, not applied."""
    if line.batch_id and (line.status_code is not None or line.error_code):
        store.llm_call_record(
            note_id=item.note_id,
            run=item.run,
            target="",
            prompt_tag=system_prompt(item.batch.step).tag,
            record=batch_line_record(line, item.batch.step),
        )


def _apply_read(item: DraftingBatchItem, line: BatchLine, drafting: NoteDrafting) -> str:
    if drafting.read_result:
        return ItemStatus.APPLIED  # applied before a restart: the note waits for its answer batch
    note = Note.objects.select_related("paper", "issue").get(pk=item.note_id)
    paper = selectors.paper_input(note)
    if store.drafting_step_start(note_id=item.note_id, run=item.run, step=DraftingStep.READ) is None:
        return ItemStatus.SUPERSEDED
    context = _context(item, line)
    read = steps.read_step(paper, context)
    if store.note_store_read(note_id=item.note_id, run=item.run, read=read) is None:
        return ItemStatus.SUPERSEDED
    if not read.questions:
        # Nothing to answer: the run ends here, as an ordinary run would.
        result = steps.answer_step(paper, read.questions, context)
        finished = runner.finish_draft(
            note_id=item.note_id, run=item.run, read=read, result=result, prompt_tags=context.prompt_tags
        )
        return ItemStatus.APPLIED if finished else ItemStatus.SUPERSEDED
    waiting = store.drafting_wait_for_batch(note_id=item.note_id, run=item.run, step=DraftingStep.ANSWER)
    return ItemStatus.APPLIED if waiting else ItemStatus.SUPERSEDED


def _apply_answer(item: DraftingBatchItem, line: BatchLine, drafting: NoteDrafting) -> str:
    note = Note.objects.select_related("paper", "issue").get(pk=item.note_id)
    paper = selectors.paper_input(note)
    read = ReadResult.from_json(drafting.read_result)
    if store.drafting_step_start(note_id=item.note_id, run=item.run, step=DraftingStep.ANSWER) is None:
        return ItemStatus.SUPERSEDED
    context = _context(item, line)
    result = steps.answer_step(paper, read.questions, context)
    tags = list(dict.fromkeys([*selectors.run_prompt_tags(note_id=item.note_id, run=item.run), *context.prompt_tags]))
    finished = runner.finish_draft(note_id=item.note_id, run=item.run, read=read, result=result, prompt_tags=tags)
    return ItemStatus.APPLIED if finished else ItemStatus.SUPERSEDED


@dataclass(frozen=True)
class Applied:
    note_id: int
    run: int
    status: str
    follow_up: int | None = None  # the answer batch to send, once the read batch is all applied


def apply_item(*, item_id: int) -> Applied | None:
    """Apply one request's result to its note, by the step's own code; None when it is not
    there to apply (applied already, or being applied by another worker).

    A line the batch did not carry out falls back to ordinary calls or fails the note (see
    the module's docstring). Any other failure (a repair call that failed, a bug) is raised,
    with the result given back, for the task to retry or to end with :func:`item_failed`.
    """
    item = batch_store.batch_item_claim(item_id=item_id)
    if item is None:
        return None
    line = _line(item)
    drafting = NoteDrafting.objects.get(note_id=item.note_id)
    try:
        if drafting.run == item.run and drafting.status in DRAFTING_FINISHED:
            status = ItemStatus.APPLIED  # applied before a restart
        elif not store.drafting_is_due(note_id=item.note_id, run=item.run):
            _record_superseded(item, line)
            status = ItemStatus.SUPERSEDED
        elif item.batch.step == DraftingStep.READ:
            status = _apply_read(item, line, drafting)
        else:
            status = _apply_answer(item, line, drafting)
    except BatchLineError as error:
        status = _not_carried_out(item, error)
    except Exception:
        batch_store.batch_item_release(item_id=item.pk)
        raise
    return _finish(item, status)


def _not_carried_out(item: DraftingBatchItem, error: BatchLineError) -> str:
    if error.retryable and settings.DRAFTING_BATCH_FALLBACK:
        reason = _("バッチで処理されなかったため、通常の呼び出しで下書きします。理由: {message}").format(
            message=error.message
        )
        if store.drafting_fall_back(note_id=item.note_id, run=item.run, reason=reason):
            return ItemStatus.FELL_BACK
        return ItemStatus.SUPERSEDED
    outcome = FailureOutcome(error=error, final=True, retry=0, max_retries=0, countdown=None)
    store.drafting_fail(note_id=item.note_id, run=item.run, outcome=outcome)
    return ItemStatus.FAILED


def _finish(item: DraftingBatchItem, status: str, error: str = "") -> Applied:
    batch_store.batch_item_finish(item_id=item.pk, status=status, error=error)
    follow_up = batch_store.drafting_batch_advance(batch_id=item.batch_id)
    return Applied(item.note_id, item.run, status, follow_up.pk if follow_up else None)


def item_failed(*, item_id: int, outcome: FailureOutcome) -> Applied | None:
    """A result that could not be applied, for good: its note fails with the reason."""
    item = DraftingBatchItem.objects.select_related("batch").get(pk=item_id)
    store.drafting_fail(note_id=item.note_id, run=item.run, outcome=outcome)
    return _finish(item, ItemStatus.FAILED, outcome.error.message)
