"""Entry points of drafting: start drafting an issue or notes, regenerate one field or pair.

The admin, ``manage.py draft_issue``, the ingestion pipeline (after a paper's text is
extracted) and the API call these. They check what may be drafted, start a run per note
and enqueue the tasks once the transaction commits. Without an LLM configured, notes are
marked as waiting for a manual draft, with the reason, and nothing fails.

A run in batch mode (``batch=True``; by default for a week and for drafting after
extraction when ``DRAFTING_MODE=batch``) puts the notes started together in one batch of
the Batch API (``papernotes.drafting.batch``) instead of a task per note.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from papernotes.drafting import batch_store, store
from papernotes.drafting.batch import batch_mode_default
from papernotes.drafting.llm import llm_configured, not_configured_reason
from papernotes.drafting.tasks import draft_note_task, regenerate_task, submit_drafting_batch_task
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    DraftingStep,
    IngestionStatus,
    Note,
    QuestionAnswer,
    WeeklyIssue,
)

REGENERABLE_FIELDS = store.READ_FIELDS


class DraftingError(ValueError):
    """Drafting cannot start as asked; ``str()`` says why, in Japanese. Nothing was changed."""


def _enqueue(pairs: list[tuple[int, int]], *, batch: bool, user: AbstractBaseUser | None) -> None:
    if batch and pairs:
        created = batch_store.drafting_batch_create(step=DraftingStep.READ, note_runs=pairs, user=user)
        if created is not None:
            transaction.on_commit(lambda: submit_drafting_batch_task.delay(created.pk))
        return
    for note_id, run in pairs:
        transaction.on_commit(lambda note_id=note_id, run=run: draft_note_task.delay(note_id, run))


@transaction.atomic
def notes_draft_start(
    *, note_ids: list[int], force: bool = False, user: AbstractBaseUser | None = None, batch: bool = False
) -> list[int]:
    """Start drafting these notes (those not of a published issue); returns the ids started.
    With ``batch``, their first calls travel together in batches of the Batch API."""
    if not llm_configured():
        store.drafting_mark_manual(note_ids=note_ids, reason=not_configured_reason())
        return []
    pairs = store.drafting_queue(note_ids=note_ids, force=force, user=user)
    _enqueue(pairs, batch=batch, user=user)
    return [note_id for note_id, _run in pairs]


def issue_draft_start(
    *, issue_id: int, force: bool = False, user: AbstractBaseUser | None = None, batch: bool | None = None
) -> list[int]:
    """Start drafting every note of an issue that is not published; returns the note ids started.

    Without ``force``, notes already drafted (or being drafted) are left alone; with it they
    are drafted again, and what an editor wrote still stays (the provenance rule). ``batch``
    (default: ``DRAFTING_MODE``) drafts the week through the Batch API.
    """
    issue = WeeklyIssue.objects.filter(pk=issue_id).first()
    if issue is None:
        raise DraftingError(_("週刊号が見つかりません。"))
    if issue.state in ONCE_PUBLISHED_ISSUE_STATES:
        raise DraftingError(_("{title} は公開済みのため、下書きは作りません。").format(title=issue.title))
    note_ids = list(issue.notes.values_list("pk", flat=True))
    if not note_ids:
        raise DraftingError(_("{title} には論文がありません。").format(title=issue.title))
    if not llm_configured():
        # Recorded on the notes (the admin shows why they wait), and said to the caller.
        store.drafting_mark_manual(note_ids=note_ids, reason=not_configured_reason())
        raise DraftingError(not_configured_reason())
    return notes_draft_start(
        note_ids=note_ids, force=force, user=user, batch=batch_mode_default() if batch is None else batch
    )


def paper_draft_after_extraction(*, paper_id: int) -> list[int]:
    """Once a paper's text is extracted: draft its notes in issues not yet published."""
    note_ids = list(
        Note.objects.filter(paper_id=paper_id, paper__ingestion__status=IngestionStatus.SUCCEEDED)
        .exclude(issue__state__in=ONCE_PUBLISHED_ISSUE_STATES)
        .values_list("pk", flat=True)
    )
    if not note_ids or not settings.DRAFTING_AUTO_START:
        return []
    return notes_draft_start(note_ids=note_ids, batch=batch_mode_default())


@transaction.atomic
def note_regenerate(*, note_id: int, target: str, user: AbstractBaseUser | None = None) -> int:
    """Regenerate one field ("abstract_ja", "summary") or one pair's answer ("qa:<id>").

    The result replaces the field only if it is empty or still the machine's text; over
    an editor's text it is kept as the suggestion. Returns the regeneration's number.
    """
    if not llm_configured():
        raise DraftingError(not_configured_reason())
    note = Note.objects.select_related("issue").filter(pk=note_id).first()
    if note is None:
        raise DraftingError(_("論文ノートが見つかりません。"))
    if note.issue.state in ONCE_PUBLISHED_ISSUE_STATES:
        raise DraftingError(_("公開済みの号のノートは再生成できません。"))
    if target not in REGENERABLE_FIELDS:
        qa_id = target.removeprefix("qa:")
        if not (target.startswith("qa:") and qa_id.isdigit()):
            raise DraftingError(_("再生成できない対象です: {target}").format(target=target))
        if not QuestionAnswer.objects.filter(pk=int(qa_id), note_id=note_id).exists():
            raise DraftingError(_("この Q&A はこのノートにありません。"))
    token = store.drafting_regeneration_start(note_id=note_id, target=target, user=user)
    transaction.on_commit(lambda: regenerate_task.delay(note_id, target, token))
    return token
