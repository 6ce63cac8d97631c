"""What batch mode writes: the batches, each note's request in them, and their results.

Every change of a batch or of one of its requests is a locked, guarded transition, so that
a poll, an apply or a submission repeated (after a restart, by a second worker, or by the
safety net of the poller) writes nothing twice: results are stored once per batch, a
result is claimed by one applier at a time, and the answer batch of a read batch is made
once. The notes' own drafting state moves through :mod:`papernotes.drafting.store`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from papernotes.drafting import store
from papernotes.drafting.batch_api import ProviderBatch
from papernotes.drafting.llm import model_for
from papernotes.models import (
    BATCH_ITEM_FINISHED,
    DraftingBatch,
    DraftingBatchItem,
    DraftingBatchItemStatus,
    DraftingBatchStatus,
    DraftingStatus,
    DraftingStep,
    NoteDrafting,
)

ItemStatus = DraftingBatchItemStatus


def custom_id(*, note_id: int, run: int, step: str) -> str:
    """The request's name in the batch's files: ``note-12-run-3-read``."""
    return f"note-{note_id}-run-{run}-{step}"


def _locked(batch_id: int) -> DraftingBatch:
    return DraftingBatch.objects.select_for_update().get(pk=batch_id)


@transaction.atomic
def drafting_batch_create(
    *, step: str, note_runs: list[tuple[int, int]], user: AbstractBaseUser | None = None
) -> DraftingBatch | None:
    """A batch of ``step`` for these (note, run) pairs, to be sent; each note waits in it
    (バッチ待ち). None when no run is still current."""
    batch = DraftingBatch.objects.create(
        step=step,
        model=model_for(step)[:100],
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    items = [
        DraftingBatchItem(
            batch=batch, note_id=note_id, run=run, custom_id=custom_id(note_id=note_id, run=run, step=step)
        )
        for note_id, run in note_runs
        if store.drafting_wait_for_batch(note_id=note_id, run=run, step=step)
    ]
    if not items:
        batch.delete()
        return None
    DraftingBatchItem.objects.bulk_create(items)
    return batch


# Longer than the submit task's time limit: a worker that died while sending lets go by then.
SUBMIT_LEASE = datetime.timedelta(seconds=400)


@transaction.atomic
def drafting_batch_items_to_send(*, batch_id: int) -> list[DraftingBatchItem]:
    """Take the batch to send it (none when it is sent, or another worker is sending it):
    its requests not yet sent whose run is still the note's, waiting for this step; the
    others are marked superseded (a later run, or a note that left the batch)."""
    batch = _locked(batch_id)
    now = timezone.now()
    if batch.status != DraftingBatchStatus.PENDING or (batch.lease_until and batch.lease_until > now):
        return []
    batch.lease_until = now + SUBMIT_LEASE
    batch.save(update_fields=["lease_until"])
    items = list(batch.items.filter(status=ItemStatus.PENDING).order_by("id"))
    current = {
        (note_id, run)
        for note_id, run in NoteDrafting.objects.filter(
            note_id__in=[item.note_id for item in items], status=DraftingStatus.BATCH, step=batch.step
        ).values_list("note_id", "run")
    }
    kept = [item for item in items if (item.note_id, item.run) in current]
    gone = [item.pk for item in items if (item.note_id, item.run) not in current]
    DraftingBatchItem.objects.filter(pk__in=gone).update(status=ItemStatus.SUPERSEDED, updated_at=timezone.now())
    if not kept and not batch.items.exclude(status__in=BATCH_ITEM_FINISHED).exists():
        batch.status = DraftingBatchStatus.DONE
        batch.finished_at = timezone.now()
        batch.save()
    return kept


@transaction.atomic
def drafting_batch_record_upload(*, batch_id: int, input_file_id: str) -> None:
    """The input file is at the provider (kept first, so that a retry does not upload it again)."""
    batch = _locked(batch_id)
    if not batch.input_file_id:
        batch.input_file_id = input_file_id[:100]
        batch.save(update_fields=["input_file_id"])


@transaction.atomic
def drafting_batch_record_attempt(*, batch_id: int, message: str) -> None:
    """A submission that failed (and will be tried again, or given up): say why on the batch."""
    batch = _locked(batch_id)
    batch.attempts += 1
    batch.error = message
    batch.lease_until = None  # free for the retry
    batch.save(update_fields=["attempts", "error", "lease_until"])


@transaction.atomic
def drafting_batch_record_submission(*, batch_id: int, provider: ProviderBatch) -> bool:
    """The batch was created at the provider: its id, and the deadline from now. False when
    it had been recorded already."""
    batch = _locked(batch_id)
    if batch.status != DraftingBatchStatus.PENDING:
        return False
    now = timezone.now()
    batch.provider_batch_id = provider.id[:100]
    batch.provider_status = provider.status[:16]
    batch.request_counts = provider.request_counts or {}
    batch.status = DraftingBatchStatus.SUBMITTED
    batch.submitted_at = now
    batch.deadline_at = now + datetime.timedelta(seconds=settings.DRAFTING_BATCH_DEADLINE)
    batch.error = ""
    batch.lease_until = None
    batch.save()
    batch.items.filter(status=ItemStatus.PENDING).update(status=ItemStatus.SENT, updated_at=now)
    return True


@transaction.atomic
def drafting_batch_record_status(*, batch_id: int, provider: ProviderBatch) -> None:
    batch = _locked(batch_id)
    batch.provider_status = provider.status[:16]
    batch.request_counts = provider.request_counts or batch.request_counts
    batch.polled_at = timezone.now()
    batch.save(update_fields=["provider_status", "request_counts", "polled_at"])


def not_run_line(*, custom_id: str, code: str, message: str) -> dict:
    """The line of a request the batch did not carry out, as the provider writes one."""
    return {"custom_id": custom_id, "response": None, "error": {"code": code, "message": message}}


@transaction.atomic
def drafting_batch_store_results(
    *,
    batch_id: int,
    lines: dict[str, dict],
    provider: ProviderBatch | None = None,
    missing: tuple[str, str] = ("batch_missing", ""),
    error: str = "",
) -> list[int]:
    """Keep each sent request's line (from the output or error file); a request without one
    gets ``missing`` (code, message). Returns the ids of the requests to apply; none when the
    results were stored before."""
    batch = _locked(batch_id)
    if batch.status not in (DraftingBatchStatus.PENDING, DraftingBatchStatus.SUBMITTED):
        return []
    now = timezone.now()
    received = []
    for item in batch.items.filter(status__in=[ItemStatus.PENDING, ItemStatus.SENT]):
        code, message = missing
        item.result = lines.get(item.custom_id) or not_run_line(custom_id=item.custom_id, code=code, message=message)
        item.status = ItemStatus.RECEIVED
        item.save(update_fields=["result", "status", "updated_at"])
        received.append(item.pk)
    if provider is not None:
        batch.provider_status = provider.status[:16]
        batch.output_file_id = provider.output_file_id[:100]
        batch.error_file_id = provider.error_file_id[:100]
        batch.request_counts = provider.request_counts or batch.request_counts
    batch.status = DraftingBatchStatus.FAILED if error else DraftingBatchStatus.RECEIVED
    batch.error = error or batch.error
    batch.finished_at = now
    batch.polled_at = now
    batch.save()
    return received


@transaction.atomic
def batch_item_claim(*, item_id: int) -> DraftingBatchItem | None:
    """Take a received result to apply it; None when another applier has it, or it is done."""
    item = DraftingBatchItem.objects.select_for_update().select_related("batch").filter(pk=item_id).first()
    if item is None or item.status != ItemStatus.RECEIVED:
        return None
    item.status = ItemStatus.APPLYING
    item.save(update_fields=["status", "updated_at"])
    return item


@transaction.atomic
def batch_item_finish(*, item_id: int, status: str, error: str = "") -> None:
    item = DraftingBatchItem.objects.select_for_update().get(pk=item_id)
    if item.status in BATCH_ITEM_FINISHED:
        return
    item.status = status
    item.error = error
    item.save(update_fields=["status", "error", "updated_at"])


@transaction.atomic
def batch_item_release(*, item_id: int) -> None:
    """Give back a claimed result, to be applied again (after a failure that will be retried,
    or a worker that died while applying it)."""
    DraftingBatchItem.objects.filter(pk=item_id, status=ItemStatus.APPLYING).update(
        status=ItemStatus.RECEIVED, updated_at=timezone.now()
    )


@transaction.atomic
def drafting_batch_advance(*, batch_id: int) -> DraftingBatch | None:
    """Once every result of a batch is applied: the batch is done, and a read batch makes the
    answer batch of the notes it read (once). Returns that answer batch, to be sent."""
    batch = _locked(batch_id)
    if batch.status not in (DraftingBatchStatus.RECEIVED, DraftingBatchStatus.FAILED):
        return None
    items = list(batch.items.all())
    if any(item.status not in BATCH_ITEM_FINISHED for item in items):
        return None
    follow_up = None
    if batch.step == DraftingStep.READ and batch.follow_up_id is None:
        applied = [(item.note_id, item.run) for item in items if item.status == ItemStatus.APPLIED]
        waiting = set(
            NoteDrafting.objects.filter(
                note_id__in=[note_id for note_id, _run in applied],
                status=DraftingStatus.BATCH,
                step=DraftingStep.ANSWER,
            ).values_list("note_id", "run")
        )
        note_runs = [pair for pair in applied if pair in waiting]
        if note_runs:
            follow_up = drafting_batch_create(step=DraftingStep.ANSWER, note_runs=note_runs, user=batch.requested_by)
            batch.follow_up = follow_up
    if batch.status == DraftingBatchStatus.RECEIVED:
        batch.status = DraftingBatchStatus.DONE
    batch.save()
    return follow_up
