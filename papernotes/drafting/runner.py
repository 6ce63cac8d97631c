"""One draft of one note, and one regeneration: load the paper, run the steps, store.

Called by the tasks; raises :class:`~papernotes.external.errors.ExternalError` for the
task to record and retry. The read step's result is kept on the run as soon as it is
stored, so a retry after a failed answer step does not pay for the read step again, and
a repair call already spent by a step in a run is not spent twice. Every call of a run
shares one deadline (``DRAFTING_PAPER_DEADLINE`` after the run started), across retries.
"""

from __future__ import annotations

import datetime
import re
import time

from django.conf import settings
from django.utils.translation import gettext as _

from papernotes.drafting import selectors, steps, store
from papernotes.drafting.llm import CallRecord, model_for
from papernotes.drafting.steps import CallContext, ReadResult
from papernotes.models import DraftingStep, Note, NoteDrafting, QuestionAnswer

# Latin words inside Japanese text, which has no spaces: "Prometheus 2はGPT-4と…" → Prometheus, GPT-4.
_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")


def call_context(
    *, note_id: int, run: int, target: str = "", repairs: dict | None = None, deadline: float | None = None
) -> CallContext:
    """What the calls of one draft share; each call is recorded on the note's run."""

    def on_call(prompt_tag: str, record: CallRecord) -> None:
        store.llm_call_record(note_id=note_id, run=run, target=target, prompt_tag=prompt_tag, record=record)

    return CallContext(on_call=on_call, repairs=dict(repairs or {}), deadline=deadline)


def _deadline(started_at: datetime.datetime | None) -> float:
    start = started_at.timestamp() if started_at else time.time()
    return start + settings.DRAFTING_PAPER_DEADLINE


def draft_note(*, note_id: int, run: int) -> bool:
    """Draft the note's abstract, summary and Q&A for ``run``; False when the run was superseded."""
    note = Note.objects.select_related("paper", "issue").get(pk=note_id)
    paper = selectors.paper_input(note)
    drafting = NoteDrafting.objects.get(note_id=note_id)
    if drafting.read_result:
        read = ReadResult.from_json(drafting.read_result)
        step = DraftingStep.ANSWER
    else:
        read, step = None, DraftingStep.READ
    started_at = store.drafting_step_start(note_id=note_id, run=run, step=step)
    if started_at is None:
        return False
    context = call_context(
        note_id=note_id,
        run=run,
        repairs=selectors.repairs_used(note_id=note_id, run=run),
        deadline=_deadline(started_at),
    )
    if read is None:
        read = steps.read_step(paper, context)
        if store.note_store_read(note_id=note_id, run=run, read=read) is None:
            return False
        if store.drafting_step_start(note_id=note_id, run=run, step=DraftingStep.ANSWER) is None:
            return False
    result = steps.answer_step(paper, read.questions, context)
    return finish_draft(note_id=note_id, run=run, read=read, result=result, prompt_tags=context.prompt_tags)


def finish_draft(
    *, note_id: int, run: int, read: ReadResult, result: steps.AnswerResult, prompt_tags: list[str]
) -> bool:
    """Store the answers and end the run (完了 or 要確認); False when the run was superseded."""
    if not store.note_store_answers(note_id=note_id, run=run, result=result):
        return False
    return store.drafting_succeed(
        note_id=note_id,
        run=run,
        flags=[*read.flags, *result.flags],
        needs_attention=bool(read.flags) or result.needs_attention,
        prompt_tags=prompt_tags,
        models=[model_for(DraftingStep.READ), model_for(DraftingStep.ANSWER)],
    )


def regenerate(*, note_id: int, target: str, token: int) -> bool | None:
    """Regenerate one field ("abstract_ja", "summary") or one pair's answer ("qa:<id>").

    Returns whether the field's current text changed (False: kept as the suggestion, since
    an editor changed the text), or None when a newer regeneration was asked for meanwhile.
    """
    note = Note.objects.select_related("paper", "issue").get(pk=note_id)
    paper = selectors.paper_input(note)
    run = NoteDrafting.objects.filter(note_id=note_id).values_list("run", flat=True).first() or 0
    context = call_context(note_id=note_id, run=run, target=target, deadline=_deadline(None))
    if target in store.READ_FIELDS:
        read = steps.read_step(paper, context)
        text = read.abstract_ja if target == "abstract_ja" else read.summary_ja
        return store.note_store_regenerated_field(note_id=note_id, field=target, token=token, text=text)
    qa = QuestionAnswer.objects.filter(pk=int(target.removeprefix("qa:")), note_id=note_id).first()
    if qa is None:
        return None
    terms = tuple(qa.search_terms) or _terms_of(qa.question, note.paper.title)
    result = steps.answer_step(paper, [(qa.question, terms)], context)
    if not result.pairs[0].answer:
        # Nothing to offer: say so, rather than report a suggestion that is not there.
        raise steps.DraftUnusable("llm_no_answer", _("LLM がこの質問への回答を返しませんでした。"))
    return store.qa_store_regenerated_answer(qa_id=qa.pk, token=token, pair=result.pairs[0])


def _terms_of(question: str, title: str) -> tuple[str, ...]:
    """Search terms for a question written without them: its Latin words, else the title's."""
    return tuple(_LATIN_WORD_RE.findall(question)) or tuple(title.split())
