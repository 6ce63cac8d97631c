"""Reads of drafting: what a draft is made from, and what drafting did and cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum

from papernotes.drafting.retrieval import Candidate
from papernotes.drafting.steps import GlossaryTerm, PaperInput
from papernotes.glossary import glossary_entries_for_text
from papernotes.models import AnswerJudgement, DraftingStep, LlmCall, LlmCallOutcome, Note


def glossary_for_text(text: str) -> list[GlossaryTerm]:
    """Glossary entries whose term occurs in ``text`` (whole words, any case), for the prompts."""
    return [
        GlossaryTerm(
            term=entry.term,
            preferred=entry.preferred,
            forbidden=tuple(entry.forbidden_variants or ()),
            note=entry.note,
        )
        for entry in glossary_entries_for_text(text=text)
    ]


def paper_input(note: Note) -> PaperInput:
    """What drafting sends of the note's paper. Without extracted text, the abstract stands in."""
    paper = note.paper
    candidates = tuple(
        Candidate(
            key=f"P{passage.position + 1}",
            passage_id=passage.pk,
            page_start=passage.page_start,
            page_end=passage.page_end,
            section=passage.section,
            text=passage.text,
        )
        for passage in paper.passages.body()
    )
    if not candidates and paper.abstract_en:
        candidates = (Candidate("A", None, None, None, "Abstract", paper.abstract_en),)
    source_text = " ".join([paper.title, paper.abstract_en, *(c.text for c in candidates)])
    return PaperInput(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        authors=tuple(paper.authors),
        abstract_en=paper.abstract_en,
        candidates=candidates,
        glossary=tuple(glossary_for_text(source_text)),
    )


_TRANSPORT_FAILURES = (LlmCallOutcome.HTTP_ERROR, LlmCallOutcome.TIMEOUT, LlmCallOutcome.CONNECTION)


def repairs_used(*, note_id: int, run: int) -> dict[str, int]:
    """Repair calls already answered in this run, per step they repaired (a retried task must
    not spend another): those before the run's first answer call repaired the read step."""
    used: dict[str, int] = {}
    step = DraftingStep.READ
    calls = LlmCall.objects.filter(note_id=note_id, run=run, target="").order_by("id")
    for call_step, outcome in calls.values_list("step", "outcome"):
        if call_step == DraftingStep.ANSWER:
            step = DraftingStep.ANSWER
        elif call_step == DraftingStep.REPAIR and outcome not in _TRANSPORT_FAILURES:
            used[step] = used.get(step, 0) + 1
    return used


def run_prompt_tags(*, note_id: int, run: int) -> list[str]:
    """The prompt versions the run's calls used, in the order first used (regenerations aside)."""
    tags = LlmCall.objects.filter(note_id=note_id, run=run, target="").order_by("id")
    return list(dict.fromkeys(tags.values_list("prompt_version", flat=True)))


@dataclass(frozen=True)
class CallTotals:
    calls: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    cost_usd: Decimal

    @classmethod
    def of(cls, calls: QuerySet[LlmCall]) -> CallTotals:
        totals = calls.aggregate(
            calls=Count("id"),
            input_tokens=Sum("input_tokens"),
            cached_input_tokens=Sum("cached_input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost_usd=Sum("cost_usd"),
        )
        return cls(
            calls=totals["calls"] or 0,
            input_tokens=totals["input_tokens"] or 0,
            cached_input_tokens=totals["cached_input_tokens"] or 0,
            output_tokens=totals["output_tokens"] or 0,
            cost_usd=totals["cost_usd"] or Decimal("0"),
        )


NO_CALLS = CallTotals(calls=0, input_tokens=0, cached_input_tokens=0, output_tokens=0, cost_usd=Decimal("0"))


def _latest_run(calls: QuerySet[LlmCall]) -> QuerySet[LlmCall]:
    # The calls of the note's current run, regenerations included: what the latest draft cost.
    return calls.filter(run=F("note__drafting__run"))


def note_call_totals(*, note_id: int) -> CallTotals:
    """The calls and cost of the note's latest run (the draft shown), not of every run."""
    return CallTotals.of(_latest_run(LlmCall.objects.filter(note_id=note_id)))


def note_call_totals_all_runs(*, note_id: int) -> CallTotals:
    return CallTotals.of(LlmCall.objects.filter(note_id=note_id))


def issue_call_totals(*, issue_id: int) -> CallTotals:
    """Everything the issue's drafting cost, every run."""
    return CallTotals.of(LlmCall.objects.filter(note__issue_id=issue_id))


def call_totals_by_note(*, issue_id: int) -> dict[int, CallTotals]:
    """Per note of the issue, its latest run, in one query."""
    rows = (
        _latest_run(LlmCall.objects.filter(note__issue_id=issue_id))
        .values("note_id")
        .annotate(
            calls=Count("id"),
            input_tokens=Sum("input_tokens"),
            cached_input_tokens=Sum("cached_input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost_usd=Sum("cost_usd"),
        )
    )
    return {
        row["note_id"]: CallTotals(
            calls=row["calls"],
            input_tokens=row["input_tokens"] or 0,
            cached_input_tokens=row["cached_input_tokens"] or 0,
            output_tokens=row["output_tokens"] or 0,
            cost_usd=row["cost_usd"] or Decimal("0"),
        )
        for row in rows
    }


# -- the judge step's scores ------------------------------------------------------------------


def note_judgements(*, note_id: int) -> dict[int, AnswerJudgement]:
    """The judge's scores of the note's Q&A pairs, by pair id."""
    rows = AnswerJudgement.objects.filter(qa__note_id=note_id).select_related("qa")
    return {judgement.qa_id: judgement for judgement in rows}


def lowest_first(judgements: dict[int, AnswerJudgement]) -> list[AnswerJudgement]:
    """The judged pairs to look at first: lowest score first, then by position."""
    return sorted(judgements.values(), key=lambda j: (j.lowest, j.qa.position))
