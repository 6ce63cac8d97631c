"""Celery tasks of drafting: one draft per note, papers in parallel; one regeneration; and
batch mode's sending, polling (Celery beat) and applying of results.

Tasks take ids (and the run or regeneration number they belong to), are enqueued after
the transaction that asked for them commits, retry transient LLM failures with backoff
(``Retry-After`` honoured), and end every failure in a state the admin shows.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from papernotes.drafting import batch, batch_store, judge, runner, store
from papernotes.drafting.llm import deadline_error, llm_configured, not_configured_reason
from papernotes.external.retries import FailureOutcome, as_external_error, backoff, is_unexpected, record_then_retry

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": 4}


@shared_task(**TASK_OPTIONS, name="papernotes.drafting.draft_note_task", soft_time_limit=900, time_limit=960)
def draft_note_task(self, note_id: int, run: int) -> None:
    """Draft one note (read, answer, repair if needed) for drafting run ``run``."""
    if not store.drafting_is_due(note_id=note_id, run=run):
        return  # superseded by a newer run, or delivered again after it finished
    if not llm_configured():
        store.drafting_mark_manual(note_ids=[note_id], reason=not_configured_reason())
        return
    try:
        drafted = runner.draft_note(note_id=note_id, run=run)
    except Exception as error:  # recorded on the paper; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            store.drafting_fail(note_id=note_id, run=run, outcome=outcome)

        record_then_retry(
            self,
            _past_deadline(error, note_id=note_id, run=run, retries=self.request.retries),
            timeout_message=_TIMEOUT_MESSAGE,
            record=record,
        )
    else:
        if drafted:
            enqueue_judge(note_id=note_id, run=run)


_TIMEOUT_MESSAGE = "下書きの作成が時間内に終わりませんでした。"


def _past_deadline(error: Exception, *, note_id: int, run: int, retries: int) -> Exception:
    """A transient failure whose retry would come after the paper's deadline is final: the
    paper fails now, with the reason, instead of being retried for tens of minutes."""
    if is_unexpected(error):
        return error
    failure = as_external_error(error, timeout_message=_(_TIMEOUT_MESSAGE))
    if not failure.retryable:
        return error
    started_at = store.drafting_started_at(note_id=note_id, run=run)
    if started_at is None:
        return error
    remaining = started_at.timestamp() + settings.DRAFTING_PAPER_DEADLINE - time.time()
    soonest = backoff(retries, at_least=failure.retry_after or 0.0)
    return deadline_error(failure.message) if remaining <= soonest else error


@shared_task(**TASK_OPTIONS, name="papernotes.drafting.regenerate_task", soft_time_limit=600, time_limit=660)
def regenerate_task(self, note_id: int, target: str, token: int) -> None:
    """Regenerate one field or one Q&A answer of a note; never over an editor's text."""
    if not llm_configured():
        return
    try:
        runner.regenerate(note_id=note_id, target=target, token=token)
    except Exception as error:  # recorded on the paper; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            logger.warning("Regeneration of %s on note %s failed: %s", target, note_id, outcome.error.message)
            store.regeneration_fail(note_id=note_id, target=target, token=token, outcome=outcome)

        record_then_retry(self, error, timeout_message=_("再生成が時間内に終わりませんでした。"), record=record)


# -- batch mode (papernotes/drafting/batch.py) -------------------------------------------------


def enqueue_batch_work(work: batch.Work) -> None:
    """Enqueue what a step of batch mode left to do (its writes are committed already)."""
    for batch_id in work.submit:
        submit_drafting_batch_task.delay(batch_id)
    for item_id in work.apply:
        apply_drafting_batch_item_task.delay(item_id)


@shared_task(**TASK_OPTIONS, name="papernotes.drafting.submit_drafting_batch_task", soft_time_limit=300, time_limit=360)
def submit_drafting_batch_task(self, batch_id: int) -> None:
    """Send one batch (its JSONL file, then the batch); given up after the retries, its
    requests fall back to ordinary calls or fail their notes."""
    try:
        batch.submit(batch_id=batch_id)
    except Exception as error:  # recorded on the batch; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            batch_store.drafting_batch_record_attempt(batch_id=batch_id, message=outcome.error.message)
            if outcome.final:
                enqueue_batch_work(batch.give_up(batch_id=batch_id, message=outcome.error.message))

        record_then_retry(self, error, timeout_message=_("バッチの送信が時間内に終わりませんでした。"), record=record)


@shared_task(name="papernotes.drafting.poll_drafting_batches_task", soft_time_limit=240, time_limit=300)
def poll_drafting_batches_task() -> None:
    """Look at every batch in flight (Celery beat, every DRAFTING_BATCH_POLL_INTERVAL seconds)."""
    if not llm_configured():
        return
    enqueue_batch_work(batch.poll())


@shared_task(
    **TASK_OPTIONS, name="papernotes.drafting.apply_drafting_batch_item_task", soft_time_limit=900, time_limit=960
)
def apply_drafting_batch_item_task(self, item_id: int) -> None:
    """Apply one request's result to its note (repairs by ordinary calls if needed)."""
    try:
        applied = batch.apply_item(item_id=item_id)
    except Exception as error:  # recorded on the note; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            if outcome.final:
                done = batch.item_failed(item_id=item_id, outcome=outcome)
                if done is not None and done.follow_up:
                    submit_drafting_batch_task.delay(done.follow_up)

        record_then_retry(self, error, timeout_message=_TIMEOUT_MESSAGE, record=record)
        return
    if applied is None:
        return
    if applied.status == batch.ItemStatus.FELL_BACK:
        draft_note_task.delay(applied.note_id, applied.run)
    else:
        enqueue_judge(note_id=applied.note_id, run=applied.run)
    if applied.follow_up:
        submit_drafting_batch_task.delay(applied.follow_up)


# -- the judge step (papernotes/drafting/judge.py) ----------------------------------------------


def enqueue_judge(*, note_id: int, run: int) -> None:
    """Score the note's answers once its draft of ``run`` is stored, when the judge is on."""
    if judge.judge_enabled() and judge.draft_finished(note_id=note_id, run=run):
        transaction.on_commit(lambda: judge_note_task.delay(note_id))


@shared_task(**TASK_OPTIONS, name="papernotes.drafting.judge_note_task", soft_time_limit=300, time_limit=360)
def judge_note_task(self, note_id: int) -> None:
    """Score every answer of one note on the rubric (one call); transient failures are retried,
    and the call is recorded either way. The scores change no text and no state."""
    if not judge.judge_enabled():
        return
    try:
        judge.judge_note(note_id=note_id)
    except Exception as error:  # the call is recorded with its outcome; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            logger.warning("Judging note %s failed: %s", note_id, outcome.error.message)

        record_then_retry(self, error, timeout_message=_("回答の評価が時間内に終わりませんでした。"), record=record)
