"""The judge step: rubric scores for every answer of a note, before an editor reads it.

Optional (``DRAFTING_JUDGE_ENABLED``, off by default), on any OpenAI-compatible model
(``DRAFTING_JUDGE_MODEL``, else ``LLM_MODEL``). One call per note sends the paper's title
and abstract and every answered Q&A pair with its evidence quotes (and whether each quote
was found in the paper); the model scores each answer 1–5 on four criteria — faithful to
its evidence, answers the question, Japanese quality, house style — with a short Japanese
reason each (``prompts/judge.md``). The call goes through the drafting LLM client (the
project's retries, the shared ``llm`` rate limiter, the provider's errors in Japanese) and
is recorded with its cost like every call (``LlmCall``, step ``judge``, target ``judge``, on
the note's drafting run). Scores are stored per Q&A pair (``AnswerJudgement``), replacing
the previous ones; an item the model left out or scored outside 1–5 is not stored.

Run after a note's draft when enabled (``judge_note_task``, enqueued once the draft is
stored) and by ``manage.py judge_issue WEEK``. The scores never change a text or a state.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from papernotes.drafting import llm, store
from papernotes.drafting.prompts import system_prompt
from papernotes.drafting.schemas import JudgeOutput, JudgeScore
from papernotes.models import (
    DRAFTING_FINISHED,
    JUDGE_CRITERIA,
    AnswerEvidence,
    AnswerJudgement,
    DraftingStep,
    Note,
    NoteDrafting,
    QuestionAnswer,
)

TARGET = "judge"
# The judge's output is short: four integers and four sentences per answer.
_OUTPUT_TOKENS_PER_ANSWER = 400


def judge_enabled() -> bool:
    return bool(settings.DRAFTING_JUDGE_ENABLED) and llm.llm_configured()


def draft_finished(*, note_id: int, run: int) -> bool:
    """Whether ``run`` is the note's run and its draft is stored (完了 or 要確認): time to judge."""
    return NoteDrafting.objects.filter(note_id=note_id, run=run, status__in=DRAFTING_FINISHED).exists()


@dataclass(frozen=True)
class JudgeRun:
    """What one judge call did: the pairs scored, the pairs sent, and the call's prompt tag."""

    scored: int
    sent: int
    prompt_tag: str


def _pairs(note_id: int) -> list[QuestionAnswer]:
    evidence = AnswerEvidence.objects.order_by("position")
    return list(
        QuestionAnswer.objects.filter(note_id=note_id)
        .exclude(answer="")
        .prefetch_related(Prefetch("evidence", queryset=evidence))
        .order_by("position")
    )


def judge_messages(note: Note, pairs: list[QuestionAnswer]) -> tuple[list[dict], str]:
    """The judge call's messages (system prompt first, the same for every note) and its prompt tag."""
    prompt = system_prompt("judge")
    payload = {
        "title": note.paper.title,
        "abstract": note.paper.abstract_en,
        "items": [
            {
                "number": number,
                "question": qa.question,
                "answer": qa.answer,
                "evidence": [
                    {"quote": item.quote, "verified": item.verified, "section": item.section}
                    for item in qa.evidence.all()
                ],
            }
            for number, qa in enumerate(pairs, start=1)
        ],
    }
    messages = [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]
    return messages, prompt.tag


def _valid(score: JudgeScore) -> bool:
    return all(1 <= getattr(score, name) <= 5 for name in JUDGE_CRITERIA)


def judge_note(*, note_id: int) -> JudgeRun:
    """Score every answered pair of the note in one call; store the scores. Raises
    :class:`~papernotes.drafting.llm.LlmError` when the call fails (recorded all the same)."""
    note = Note.objects.select_related("paper").get(pk=note_id)
    pairs = _pairs(note_id)
    if not pairs:
        return JudgeRun(scored=0, sent=0, prompt_tag="")
    run = NoteDrafting.objects.filter(note_id=note_id).values_list("run", flat=True).first() or 0
    messages, tag = judge_messages(note, pairs)

    def on_call(record: llm.CallRecord) -> None:
        store.llm_call_record(note_id=note_id, run=run, target=TARGET, prompt_tag=tag, record=record)

    reply = llm.complete(
        step=DraftingStep.JUDGE,
        messages=messages,
        schema=JudgeOutput,
        on_call=on_call,
        max_output_tokens=min(settings.LLM_MAX_OUTPUT_TOKENS, 500 + _OUTPUT_TOKENS_PER_ANSWER * len(pairs)),
        deadline=time.time() + settings.DRAFTING_PAPER_DEADLINE,
    )
    if reply.parsed is None:
        raise llm.LlmError(
            "judge_invalid_output",
            _("評価(ルーブリック)の LLM の出力を読み取れませんでした: {problems}").format(
                problems=" / ".join(reply.problems)[:300] or reply.outcome
            ),
        )
    by_number = {index: qa for index, qa in enumerate(pairs, start=1)}
    scores = {
        by_number[score.question_number].pk: (score, by_number[score.question_number].answer)
        for score in reply.parsed.scores
        if score.question_number in by_number and _valid(score)
    }
    stored = qa_judgements_store(scores=scores, model=llm.model_for(DraftingStep.JUDGE), prompt_tag=tag)
    return JudgeRun(scored=stored, sent=len(pairs), prompt_tag=tag)


@transaction.atomic
def qa_judgements_store(*, scores: dict[int, tuple[JudgeScore, str]], model: str, prompt_tag: str) -> int:
    """Keep each pair's scores (replacing earlier ones), with the answer as it was judged.
    Pairs deleted meanwhile are skipped. Returns the number stored."""
    existing = set(QuestionAnswer.objects.filter(pk__in=list(scores)).values_list("pk", flat=True))
    for qa_id, (score, answer) in scores.items():
        if qa_id not in existing:
            continue
        values = {name: getattr(score, name) for name in JUDGE_CRITERIA}
        AnswerJudgement.objects.update_or_create(
            qa_id=qa_id,
            defaults={
                **values,
                "lowest": min(values.values()),
                "reasons": {name: getattr(score, f"{name}_reason").strip()[:300] for name in JUDGE_CRITERIA},
                "model": model[:100],
                "prompt_version": prompt_tag[:40],
                "answer_judged": answer,
            },
        )
    return len(existing)
