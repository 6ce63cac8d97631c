"""Celery tasks of drafting: one draft per note, papers in parallel; one regeneration.

Tasks take ids (and the run or regeneration number they belong to), are enqueued after
the transaction that asked for them commits, retry transient LLM failures with backoff
(``Retry-After`` honoured), and end every failure in a state the admin shows.
"""

import logging

from celery import shared_task
from django.utils.translation import gettext as _

from papernotes.drafting import runner, store
from papernotes.drafting.llm import llm_configured, not_configured_reason
from papernotes.external.retries import FailureOutcome, record_then_retry

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
        runner.draft_note(note_id=note_id, run=run)
    except Exception as error:  # recorded on the paper; bugs are re-raised after

        def record(outcome: FailureOutcome) -> None:
            store.drafting_fail(note_id=note_id, run=run, outcome=outcome)

        record_then_retry(self, error, timeout_message=_("下書きの作成が時間内に終わりませんでした。"), record=record)


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
