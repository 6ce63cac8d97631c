"""What drafting writes: each note's drafting state, every call, and the drafted texts.

Texts reach a note only through the provenance rule (``set_machine_text``): a machine
result fills a field that is empty or still holds the machine's previous text; over an
editor's or an imported text it is kept as the field's machine draft, a suggestion the
editor can accept. The rule is applied to rows locked for the write, the same locks the
editors' saves take, so it compares against what is stored at that moment, never against
a copy read earlier.

A drafting task carries the run it belongs to (``NoteDrafting.run``); a regeneration of
one field or Q&A carries its own number (``NoteDrafting.regenerations``). Results are
stored only while they are still the latest asked for, so a late, repeated or concurrent
task never replaces the text of a newer one. Nothing is written to a note of an issue
that has been published.
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from papernotes.drafting.llm import CallRecord
from papernotes.drafting.pricing import call_cost
from papernotes.drafting.steps import AnsweredPair, AnswerResult, ReadResult
from papernotes.external.retries import FailureOutcome
from papernotes.models import (
    DRAFTING_FINISHED,
    ONCE_PUBLISHED_ISSUE_STATES,
    AnswerEvidence,
    DraftingStatus,
    LlmCall,
    Note,
    NoteDrafting,
    NoteState,
    QuestionAnswer,
    TextSource,
)
from papernotes.models.provenance import MACHINE_OVERWRITABLE
from papernotes.services import note_mark_drafted

logger = logging.getLogger(__name__)

READ_FIELDS = ("abstract_ja", "summary")
_ACTIVE = (DraftingStatus.QUEUED, DraftingStatus.RUNNING, DraftingStatus.BATCH)
# Unplaced answers kept per note (the newest), as suggestions for the editor.
_UNPLACED_KEPT = 30


def _locked(note_id: int) -> NoteDrafting:
    drafting, _created = NoteDrafting.objects.select_for_update().get_or_create(note_id=note_id)
    return drafting


def _published(note: Note) -> bool:
    return note.issue.state in ONCE_PUBLISHED_ISSUE_STATES


# -- state ----------------------------------------------------------------------------------


@transaction.atomic
def drafting_queue(
    *, note_ids: list[int], force: bool = False, user: AbstractBaseUser | None = None
) -> list[tuple[int, int]]:
    """Start a new run for each note that needs one; returns (note id, run) pairs to enqueue.

    A note of a published issue is never drafted. Without ``force``, a note already queued,
    running or drafted is left alone; with it, a finished draft is drafted again (its texts
    still go through the provenance rule), and a run in progress is superseded.
    """
    started = []
    notes = (
        Note.objects.filter(pk__in=note_ids)
        .select_related("issue")
        .exclude(issue__state__in=ONCE_PUBLISHED_ISSUE_STATES)
    )
    for note in notes.order_by("pk"):
        drafting = _locked(note.pk)
        if not force and (drafting.status in _ACTIVE or drafting.status in DRAFTING_FINISHED):
            continue
        drafting.run += 1
        drafting.status = DraftingStatus.QUEUED
        drafting.step = ""
        drafting.attempts = 0
        drafting.clear_failure()
        drafting.read_result = {}
        drafting.flags = []
        drafting.started_at = drafting.finished_at = None
        drafting.requested_by = user if user is not None and user.is_authenticated else None
        drafting.save()
        started.append((note.pk, drafting.run))
    return started


@transaction.atomic
def drafting_mark_manual(*, note_ids: list[int], reason: str) -> int:
    """Notes that will get no machine draft (no LLM configured): say why, leave them to editors."""
    count = 0
    for note_id in note_ids:
        drafting = _locked(note_id)
        if drafting.status in _ACTIVE or drafting.status in DRAFTING_FINISHED:
            continue
        drafting.status = DraftingStatus.MANUAL
        drafting.error_code = "not_configured"
        drafting.last_error = reason
        drafting.save()
        count += 1
    return count


def drafting_is_due(*, note_id: int, run: int) -> bool:
    """Whether a task of ``run`` should work: the run is the latest and not finished.

    A task delivered again after it finished (``acks_late``), or one of a superseded run,
    finds False and does nothing.
    """
    return NoteDrafting.objects.filter(note_id=note_id, run=run, status__in=_ACTIVE).exists()


@transaction.atomic
def drafting_step_start(*, note_id: int, run: int, step: str) -> datetime.datetime | None:
    """Record that ``step`` of ``run`` is under way; returns when the run started (its first
    attempt: the paper's deadline counts from there), or None when the run was superseded."""
    drafting = _locked(note_id)
    if drafting.run != run:
        return None
    if drafting.status != DraftingStatus.RUNNING:
        drafting.attempts += 1
    drafting.status = DraftingStatus.RUNNING
    drafting.step = step
    drafting.started_at = drafting.started_at or timezone.now()
    drafting.next_retry_at = None
    drafting.save()
    return drafting.started_at


def drafting_started_at(*, note_id: int, run: int) -> datetime.datetime | None:
    """When ``run`` started, if it is still the note's run."""
    return NoteDrafting.objects.filter(note_id=note_id, run=run).values_list("started_at", flat=True).first()


@transaction.atomic
def drafting_fail(*, note_id: int, run: int, outcome: FailureOutcome) -> None:
    """A failed run: final, or waiting for an automatic retry (with its number and time)."""
    drafting = _locked(note_id)
    if drafting.run != run:
        return
    drafting.status = DraftingStatus.FAILED if outcome.final else DraftingStatus.QUEUED
    drafting.record_failure(**outcome.failure_fields())
    drafting.save()


@transaction.atomic
def drafting_succeed(
    *,
    note_id: int,
    run: int,
    flags: list[str],
    prompt_tags: list[str],
    models: list[str],
    needs_attention: bool = False,
) -> bool:
    """The run is done: its flags are what the editor should check. Moves the note on to 'drafted'.

    With answers missing, unplaced or without a quote found in the paper (``needs_attention``)
    the run ends 要確認, not 完了: the draft is there to review, and the flags say what is not.
    """
    drafting = _locked(note_id)
    if drafting.run != run:
        return False
    drafting.status = DraftingStatus.NEEDS_ATTENTION if needs_attention else DraftingStatus.SUCCEEDED
    drafting.step = ""
    drafting.clear_failure()
    drafting.flags = flags
    drafting.prompt_version = ",".join(prompt_tags)[:100]
    drafting.models_used = ",".join(dict.fromkeys(models))[:200]
    drafting.finished_at = timezone.now()
    drafting.save()
    # A note waiting for its draft has one now (the workflow's own transition, audited);
    # a note in any later state is the editors' business and stays where it is.
    note_mark_drafted(note_id=note_id)
    return True


def llm_call_record(*, note_id: int, run: int, target: str, prompt_tag: str, record: CallRecord) -> LlmCall:
    """Keep one HTTP attempt with its tokens and cost (failed attempts too).

    A request a batch carried is priced at the batch rate and kept once, however often its
    result is applied (after a restart, or by two workers)."""
    fields = dict(
        target=target,
        model=record.model[:100],
        prompt_version=prompt_tag[:40],
        attempt=record.attempt,
        input_tokens=record.input_tokens,
        cached_input_tokens=record.cached_input_tokens,
        output_tokens=record.output_tokens,
        latency_ms=record.latency_ms,
        cost_usd=call_cost(
            model=record.model,
            input_tokens=record.input_tokens,
            cached_input_tokens=record.cached_input_tokens,
            output_tokens=record.output_tokens,
            batch=bool(record.batch_id),
        ),
        outcome=record.outcome,
        status_code=record.status_code,
        error_code=record.error_code[:100],
        error=record.error,
    )
    if record.batch_id:
        call, _created = LlmCall.objects.get_or_create(
            note_id=note_id, run=run, step=record.step, batch_id=record.batch_id[:100], defaults=fields
        )
        return call
    return LlmCall.objects.create(note_id=note_id, run=run, step=record.step, **fields)


@transaction.atomic
def drafting_wait_for_batch(*, note_id: int, run: int, step: str) -> bool:
    """``step`` of ``run`` waits in a batch of the Batch API (バッチ待ち); False when superseded."""
    drafting = _locked(note_id)
    if drafting.run != run or drafting.status not in _ACTIVE:
        return False
    drafting.status = DraftingStatus.BATCH
    drafting.step = step
    drafting.next_retry_at = None
    drafting.save()
    return True


@transaction.atomic
def drafting_fall_back(*, note_id: int, run: int, reason: str) -> bool:
    """A batch did not carry out ``run``'s request: the run goes on with ordinary calls,
    queued with the reason shown, on a deadline of its own (counted from its next start)."""
    drafting = _locked(note_id)
    if drafting.run != run or drafting.status not in _ACTIVE:
        return False
    drafting.status = DraftingStatus.QUEUED
    drafting.last_error = reason
    drafting.error_code = "batch_fallback"
    drafting.started_at = None
    drafting.next_retry_at = None
    drafting.save()
    return True


# -- texts ----------------------------------------------------------------------------------


def _locked_note(note_id: int) -> Note | None:
    note = Note.objects.select_for_update().select_related("issue").get(pk=note_id)
    return None if _published(note) else note


def _offer(obj, field: str, text: str, *, suggest_only: bool) -> bool:
    """The machine's text for ``field``: the text itself by the provenance rule, or only its
    suggestion on an approved note (what a reviewer approved does not change under them).
    Returns whether the current text changed."""
    if suggest_only:
        setattr(obj, f"{field}_machine_draft", text)
        return False
    return obj.set_machine_text(field, text)


def _approved(note: Note) -> bool:
    return note.state == NoteState.APPROVED


def _save_machine(obj, reason: str) -> None:
    obj._change_reason = reason
    obj.save()


@transaction.atomic
def note_store_read(*, note_id: int, run: int, read: ReadResult) -> list[str] | None:
    """Keep the read step's result on the run, and put the abstract and summary on the note.

    Returns the fields whose current text changed, or None when the run was superseded.
    """
    drafting = _locked(note_id)
    if drafting.run != run:
        return None
    drafting.read_result = read.to_json()
    drafting.save(update_fields=["read_result", "updated_at"])
    note = _locked_note(note_id)
    if note is None:
        return None
    # An empty result offers nothing: a later run never empties what an earlier one wrote.
    texts = {name: text for name, text in {"abstract_ja": read.abstract_ja, "summary": read.summary_ja}.items() if text}
    changed = [name for name, text in texts.items() if _offer(note, name, text, suggest_only=_approved(note))]
    _save_machine(note, _("機械下書き(読解)"))
    return changed


def _replace_evidence(qa: QuestionAnswer, pair: AnsweredPair) -> None:
    qa.evidence.all().delete()
    AnswerEvidence.objects.bulk_create(
        AnswerEvidence(
            qa=qa,
            position=position,
            passage_id=item.candidate.passage_id if item.candidate else None,
            page_start=item.candidate.page_start if item.candidate else None,
            page_end=item.candidate.page_end if item.candidate else None,
            section=(item.candidate.section if item.candidate else "")[:300],
            quote=item.quote,
            verified=item.verified,
            found_in=item.found_in,
        )
        for position, item in enumerate(pair.evidence, start=1)
    )


def _has_verified_evidence(qa: QuestionAnswer) -> bool:
    return qa.pk is not None and qa.evidence.filter(verified=True).exists()


def _untouched_machine_pair(qa: QuestionAnswer) -> bool:
    return all(
        qa.source_of(name) in (TextSource.MACHINE, TextSource.EMPTY)
        and getattr(qa, name) == getattr(qa, f"{name}_machine_draft")
        for name in qa.provenanced_fields
    )


def _suggest_pair(qa: QuestionAnswer, pair: AnsweredPair, *, question_too: bool) -> None:
    """The machine's pair beside what stays: its question and answer as suggestions only."""
    if question_too:
        qa.question_machine_draft = pair.question
    qa.answer_machine_draft = pair.answer
    _save_machine(qa, _("機械下書き(提案)"))


def _apply_pair(
    qa: QuestionAnswer, pair: AnsweredPair, *, question_too: bool = True, suggest_only: bool = False
) -> bool:
    """Offer the machine's pair to ``qa``; returns whether the answer became the machine's.

    The answer and its evidence go together: they replace what is there only when the answer
    may be the machine's (empty or the machine's own, on a note not approved) and the new
    answer is no worse (a previous run's verified quote is not given up for an unverified
    one). Otherwise the pair is kept as suggestions and the evidence stays. A question
    without an answer (the model gave none) leaves an answered pair alone.
    """
    if not pair.answer:
        if qa.answer or suggest_only:
            return False  # nothing to offer: what is there stays, with its evidence
        if question_too:
            _offer(qa, "question", pair.question, suggest_only=False)
            qa.search_terms = list(pair.search_terms)
        _save_machine(qa, _("機械下書き(回答なし)"))
        return False
    replace = (
        not suggest_only
        and qa.source_of("answer") in MACHINE_OVERWRITABLE
        and (pair.verified or not _has_verified_evidence(qa))
    )
    if not replace:
        _suggest_pair(qa, pair, question_too=question_too)
        return False
    if question_too:
        _offer(qa, "question", pair.question, suggest_only=False)
        qa.search_terms = list(pair.search_terms)
    qa.set_machine_text("answer", pair.answer)
    _save_machine(qa, _("機械下書き(回答)"))
    _replace_evidence(qa, pair)
    return True


def _keep_unplaced(drafting: NoteDrafting, run: int, unplaced) -> None:
    """Answers that fit no question, newest first, beside those of earlier runs."""
    if not unplaced:
        return
    new = [{**item.to_json(), "run": run} for item in unplaced]
    drafting.unplaced_answers = (new + list(drafting.unplaced_answers or []))[:_UNPLACED_KEPT]
    drafting.save(update_fields=["unplaced_answers", "updated_at"])


@transaction.atomic
def note_store_answers(*, note_id: int, run: int, result: AnswerResult) -> bool:
    """Put the drafted Q&A on the note, pair by pair in order, each with its evidence.

    A pair at the same position is offered through the provenance rule (see
    :func:`_apply_pair`); missing pairs are added; older machine pairs beyond the new count
    are removed only if nobody touched them and no quote of theirs was verified. Answers
    the model gave that fit no question are kept on the run (``unplaced_answers``).
    """
    drafting = _locked(note_id)
    if drafting.run != run:
        return False
    note = _locked_note(note_id)
    if note is None:
        return False
    _keep_unplaced(drafting, run, result.unplaced)
    existing = {qa.position: qa for qa in QuestionAnswer.objects.select_for_update().filter(note=note)}
    if _approved(note):
        # Suggestions beside the approved pairs; no pair added or removed under the reviewer,
        # and their evidence is what was approved.
        for position, pair in enumerate(result.pairs, start=1):
            if position in existing:
                _apply_pair(existing[position], pair, suggest_only=True)
        return True
    for position, pair in enumerate(result.pairs, start=1):
        qa = existing.get(position)
        if qa is None:
            try:
                with transaction.atomic():
                    qa = QuestionAnswer(note=note, position=position)
                    _apply_pair(qa, pair)
            except IntegrityError:
                # An editor added a pair at that position a moment ago: go after the last one.
                last = note.qas.aggregate(last=Max("position"))["last"] or 0
                qa = QuestionAnswer(note=note, position=last + 1)
                _apply_pair(qa, pair)
            continue
        _apply_pair(qa, pair)
    for position, qa in existing.items():
        if position > len(result.pairs) and _untouched_machine_pair(qa) and not _has_verified_evidence(qa):
            qa.delete()
    return True


@transaction.atomic
def drafting_regeneration_start(*, note_id: int, target: str, user: AbstractBaseUser | None = None) -> int:
    """A new number for regenerating ``target`` ("abstract_ja", "summary" or "qa:<id>"), queued."""
    drafting = _locked(note_id)
    token = int(drafting.regenerations.get(target, {}).get("token", 0)) + 1
    by = user.get_username() if user is not None and user.is_authenticated else ""
    _set_regeneration(drafting, target, token=token, status="queued", message="", by=by)
    return token


def _set_regeneration(drafting: NoteDrafting, target: str, **state) -> None:
    entry = {**drafting.regenerations.get(target, {}), **state, "at": timezone.now().isoformat()}
    drafting.regenerations = {**drafting.regenerations, target: entry}
    drafting.save(update_fields=["regenerations", "updated_at"])


def _regeneration_current(drafting: NoteDrafting, target: str, token: int) -> bool:
    return int(drafting.regenerations.get(target, {}).get("token", 0)) == token


@transaction.atomic
def regeneration_fail(*, note_id: int, target: str, token: int, outcome: FailureOutcome) -> None:
    drafting = _locked(note_id)
    if _regeneration_current(drafting, target, token):
        status = "failed" if outcome.final else "queued"
        _set_regeneration(drafting, target, status=status, message=outcome.error.message)


def _regeneration_done(drafting: NoteDrafting, target: str, changed: bool) -> None:
    message = "" if changed else _("編集者が変更した文章はそのままにし、新しい下書きを提案として保存しました。")
    _set_regeneration(drafting, target, status="done", message=message, changed=changed)


@transaction.atomic
def note_store_regenerated_field(*, note_id: int, field: str, token: int, text: str) -> bool | None:
    """Store a regenerated abstract or summary: the text if the editor has not changed it,
    else as the suggestion. Returns whether the current text changed (None: superseded)."""
    drafting = _locked(note_id)
    if not _regeneration_current(drafting, field, token):
        return None
    note = _locked_note(note_id)
    if note is None:
        return None
    changed = _offer(note, field, text, suggest_only=_approved(note))
    _save_machine(note, _("機械下書き(再生成)"))
    _regeneration_done(drafting, field, changed)
    return changed


@transaction.atomic
def qa_store_regenerated_answer(*, qa_id: int, token: int, pair: AnsweredPair) -> bool | None:
    """Store a regenerated answer (and its evidence) for one Q&A pair, by the same rule."""
    qa = QuestionAnswer.objects.select_for_update().select_related("note__issue").filter(pk=qa_id).first()
    if qa is None:
        return None  # the pair was deleted meanwhile
    drafting = _locked(qa.note_id)
    if not _regeneration_current(drafting, f"qa:{qa_id}", token) or _published(qa.note):
        return None
    changed = _apply_pair(qa, pair, question_too=False, suggest_only=_approved(qa.note))
    _regeneration_done(drafting, f"qa:{qa_id}", changed)
    return changed
