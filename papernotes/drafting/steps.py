"""The calls of one draft, on plain data: read, retrieve, answer, and repair when needed.

Nothing here touches the database: :mod:`papernotes.drafting.runner` loads a
:class:`PaperInput`, runs these steps and stores what they return. Each step checks what
the model returned beyond its JSON shape (the number of questions, every question
answered once, passage ids that exist, quotes that occur in their passage) and spends the
draft's single repair call on the first step that needs it. What still fails after that is
returned with a flag for the editor, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from papernotes.drafting import llm
from papernotes.drafting.evidence import quote_in_passage
from papernotes.drafting.house_style import apply_house_style
from papernotes.drafting.prompts import Prompt, system_prompt
from papernotes.drafting.retrieval import Candidate, PassageIndex
from papernotes.drafting.schemas import AnswerOutput, QuoteRepairOutput, ReadOutput
from papernotes.models import DraftingStep

# The introduction and the conclusion tell a reader most about a paper: the read step
# sees them first, then the rest in order, up to DRAFTING_READ_PASSAGE_CHARS.
_OPENING_SECTIONS = ("abstract", "introduction", "overview", "background")
_CLOSING_SECTIONS = ("conclusion", "conclusions", "discussion", "summary", "limitations", "future work")


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    preferred: str
    forbidden: tuple[str, ...] = ()
    note: str = ""

    def as_prompt(self) -> dict:
        entry = {"term": self.term, "preferred": self.preferred}
        if self.forbidden:
            entry["forbidden"] = list(self.forbidden)
        if self.note:
            entry["note"] = self.note
        return entry


@dataclass(frozen=True)
class PaperInput:
    """What drafting knows of a paper: metadata, body passages (no references or figure text)."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract_en: str
    candidates: tuple[Candidate, ...]
    glossary: tuple[GlossaryTerm, ...] = ()

    @property
    def section_names(self) -> list[str]:
        return list(dict.fromkeys(c.section for c in self.candidates if c.section))

    def by_key(self) -> dict[str, Candidate]:
        return {c.key: c for c in self.candidates}


@dataclass
class CallContext:
    """What every call of one draft shares: where calls are reported, and the repair budget."""

    on_call: Callable[[str, llm.CallRecord], None]  # (prompt tag, record)
    repairs_left: int = 1
    prompt_tags: list[str] = field(default_factory=list)

    def report(self, prompt: Prompt) -> Callable[[llm.CallRecord], None]:
        if prompt.tag not in self.prompt_tags:
            self.prompt_tags.append(prompt.tag)
        return lambda record: self.on_call(prompt.tag, record)


@dataclass(frozen=True)
class ReadResult:
    abstract_ja: str
    summary_ja: str
    questions: tuple[tuple[str, tuple[str, ...]], ...]  # (question, search terms)
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "abstract_ja": self.abstract_ja,
            "summary_ja": self.summary_ja,
            "questions": [[question, list(terms)] for question, terms in self.questions],
            "flags": list(self.flags),
        }

    @classmethod
    def from_json(cls, data: dict) -> ReadResult:
        return cls(
            abstract_ja=data["abstract_ja"],
            summary_ja=data["summary_ja"],
            questions=tuple((question, tuple(terms)) for question, terms in data["questions"]),
            flags=tuple(data.get("flags", ())),
        )


@dataclass(frozen=True)
class EvidenceItem:
    candidate: Candidate | None
    key: str
    quote: str
    verified: bool


@dataclass(frozen=True)
class AnsweredPair:
    question: str
    search_terms: tuple[str, ...]
    answer: str
    evidence: tuple[EvidenceItem, ...]


@dataclass(frozen=True)
class AnswerResult:
    pairs: tuple[AnsweredPair, ...]
    flags: tuple[str, ...] = ()


class DraftUnusable(llm.LlmError):
    """The model's output could not be used even after the repair call."""


# -- read ---------------------------------------------------------------------------------


def _read_passages(paper: PaperInput) -> list[dict]:
    """Introduction and conclusion first, then the rest in order, within the character budget."""

    def rank(candidate: Candidate) -> int:
        section = candidate.section.lower()
        if any(name in section for name in _OPENING_SECTIONS):
            return 0
        if any(name in section for name in _CLOSING_SECTIONS):
            return 1
        return 2

    budget = settings.DRAFTING_READ_PASSAGE_CHARS
    chosen: list[Candidate] = []
    for candidate in sorted(paper.candidates, key=rank):
        if rank(candidate) == 2 and chosen and sum(len(c.text) for c in chosen) + len(candidate.text) > budget:
            break
        if sum(len(c.text) for c in chosen) + len(candidate.text) > budget:
            continue
        chosen.append(candidate)
    order = {c.key: index for index, c in enumerate(paper.candidates)}
    return [{"section": c.section, "text": c.text} for c in sorted(chosen, key=lambda c: order[c.key])]


def _glossary_for(paper: PaperInput) -> list[dict]:
    return [entry.as_prompt() for entry in paper.glossary]


def _read_messages(paper: PaperInput, prompt: Prompt) -> list[dict]:
    payload = {
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract_en,
        "sections": paper.section_names,
        "passages": _read_passages(paper),
        "glossary": _glossary_for(paper),
    }
    return [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def _read_problems(output: ReadOutput) -> list[str]:
    problems = []
    if not output.abstract_ja.strip():
        problems.append("abstract_ja is empty.")
    if not output.summary_ja.strip():
        problems.append("summary_ja is empty.")
    low, high = settings.DRAFTING_QA_MIN, settings.DRAFTING_QA_MAX
    count = len([q for q in output.questions if q.question.strip()])
    if not low <= count <= high:
        problems.append(f"There are {count} questions; give between {low} and {high}.")
    for number, question in enumerate(output.questions, start=1):
        if question.question.strip() and not [t for t in question.search_terms if t.strip()]:
            problems.append(f"Question {number} has no search_terms.")
    return problems


def _repair_messages(messages: list[dict], reply: llm.LlmReply, problems: list[str]) -> list[dict]:
    repair = system_prompt("repair_output")
    listed = "\n".join(f"- {problem}" for problem in problems) or "- The output was cut off before it ended."
    return [
        *messages,
        {"role": "assistant", "content": reply.content},
        {"role": "user", "content": f"{repair.text}\n\n{listed}"},
    ]


def _call_with_repair(
    *,
    step: str,
    messages: list[dict],
    schema,
    context: CallContext,
    prompt: Prompt,
    check: Callable,
) -> tuple[object | None, list[str]]:
    """Call; if the output is unusable or fails ``check``, spend the repair call if one is left.

    Returns the best parsed output (or None) and the problems that remain.
    """
    reply = llm.complete(step=step, messages=messages, schema=schema, on_call=context.report(prompt))
    parsed, problems = reply.parsed, list(reply.problems)
    if parsed is not None:
        problems = check(parsed)
    if reply.outcome == "truncated":
        problems = problems or [_("出力が長さの上限で途中で切れました")]
    if not problems:
        return parsed, []
    if context.repairs_left <= 0:
        return parsed, problems
    context.repairs_left -= 1
    repair_prompt = system_prompt("repair_output")
    budget = settings.LLM_MAX_OUTPUT_TOKENS * (2 if reply.outcome == "truncated" else 1)
    repaired = llm.complete(
        step=DraftingStep.REPAIR,
        messages=_repair_messages(messages, reply, problems),
        schema=schema,
        on_call=context.report(repair_prompt),
        max_output_tokens=budget,
    )
    if repaired.parsed is None:
        return parsed, problems + list(repaired.problems)
    remaining = check(repaired.parsed)
    if parsed is not None and len(remaining) > len(problems):
        return parsed, problems  # the repair made it worse: keep the first answer
    return repaired.parsed, remaining


def read_step(paper: PaperInput, context: CallContext) -> ReadResult:
    """Translate the abstract, summarise, and ask the questions (one call, maybe a repair)."""
    prompt = system_prompt("read")
    output, problems = _call_with_repair(
        step=DraftingStep.READ,
        messages=_read_messages(paper, prompt),
        schema=ReadOutput,
        context=context,
        prompt=prompt,
        check=_read_problems,
    )
    if output is None:
        raise DraftUnusable(
            "llm_invalid_output",
            _("LLM の出力を読み取れませんでした(概要・要約・質問): {problems}").format(
                problems=" / ".join(problems)[:300]
            ),
        )
    questions = tuple(
        (apply_house_style(q.question), tuple(t.strip() for t in q.search_terms if t.strip()))
        for q in output.questions
        if q.question.strip()
    )
    flags = tuple(_("読解: {problem}").format(problem=problem) for problem in problems)
    return ReadResult(
        abstract_ja=apply_house_style(output.abstract_ja),
        summary_ja=apply_house_style(output.summary_ja),
        questions=questions[: max(settings.DRAFTING_QA_MAX, 1)],
        flags=flags,
    )


# -- retrieve and answer --------------------------------------------------------------------


def retrieve(paper: PaperInput, questions: Sequence[tuple[str, Sequence[str]]]) -> list[list[Candidate]]:
    """The passages for each question, by its search terms (BM25, no call)."""
    index = PassageIndex(paper.candidates)
    k = settings.DRAFTING_PASSAGES_PER_QUESTION
    found = []
    for question, terms in questions:
        hits = index.top(list(terms) or [question], k)
        found.append(hits or list(paper.candidates[:1]))
    return found


def _answer_messages(paper: PaperInput, questions, retrieved, prompt: Prompt) -> list[dict]:
    # Each passage once, however many questions retrieved it; cut at the character budget.
    passages: dict[str, Candidate] = {}
    budget = settings.DRAFTING_ANSWER_PASSAGE_CHARS
    used = 0
    for rank in range(max((len(hits) for hits in retrieved), default=0)):
        for hits in retrieved:
            if rank < len(hits) and hits[rank].key not in passages and used + len(hits[rank].text) <= budget:
                passages[hits[rank].key] = hits[rank]
                used += len(hits[rank].text)
    order = {c.key: index for index, c in enumerate(paper.candidates)}
    payload = {
        "title": paper.title,
        "questions": [
            {"number": number, "question": question, "passages": [h.key for h in hits if h.key in passages]}
            for number, ((question, _terms), hits) in enumerate(zip(questions, retrieved, strict=True), start=1)
        ],
        "passages": [
            {"id": c.key, "pages": _pages(c), "section": c.section, "text": c.text}
            for c in sorted(passages.values(), key=lambda c: order.get(c.key, -1))
        ],
        "glossary": _glossary_for(paper),
    }
    return [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def _pages(candidate: Candidate) -> str:
    if candidate.page_start is None:
        return ""
    if candidate.page_end and candidate.page_end != candidate.page_start:
        return f"{candidate.page_start}-{candidate.page_end}"
    return str(candidate.page_start)


def _answer_problems(count: int, known_keys: set[str]) -> Callable[[AnswerOutput], list[str]]:
    def check(output: AnswerOutput) -> list[str]:
        problems = []
        numbers = [answer.question_number for answer in output.answers]
        missing = sorted(set(range(1, count + 1)) - set(numbers))
        if missing:
            problems.append(f"Questions {missing} have no answer; answer every question.")
        if len(numbers) != len(set(numbers)):
            problems.append("Some questions are answered more than once; answer each exactly once.")
        for answer in output.answers:
            if not answer.answer.strip():
                problems.append(f"The answer to question {answer.question_number} is empty.")
            unknown = [e.passage_id for e in answer.evidence if e.passage_id not in known_keys]
            if unknown:
                problems.append(f"Question {answer.question_number} cites unknown passages {unknown}.")
        return problems

    return check


def _evidence(items, by_key: dict[str, Candidate]) -> tuple[EvidenceItem, ...]:
    result = []
    for item in items:
        candidate = by_key.get(item.passage_id)
        verified = candidate is not None and quote_in_passage(item.quote, candidate.text)
        result.append(EvidenceItem(candidate, item.passage_id, item.quote.strip(), verified))
    return tuple(result)


def _repair_quotes(
    paper: PaperInput, pairs: list[AnsweredPair], retrieved, context: CallContext
) -> tuple[list[AnsweredPair], bool]:
    """One call asking for quotes copied exactly, for the answers whose quotes were not found."""
    failing = [i for i, pair in enumerate(pairs) if pair.evidence and not all(e.verified for e in pair.evidence)]
    failing += [i for i, pair in enumerate(pairs) if not pair.evidence and pair.answer]
    if not failing or context.repairs_left <= 0:
        return pairs, False
    context.repairs_left -= 1
    prompt = system_prompt("repair_quotes")
    by_key = paper.by_key()
    items = []
    keys: dict[str, Candidate] = {}
    for index in sorted(set(failing)):
        pair = pairs[index]
        cited = [e.candidate for e in pair.evidence if e.candidate is not None]
        for candidate in [*cited, *retrieved[index]]:
            keys.setdefault(candidate.key, candidate)
        items.append(
            {
                "question_number": index + 1,
                "answer": pair.answer,
                "quotes_not_found": [{"passage_id": e.key, "quote": e.quote} for e in pair.evidence if not e.verified],
                "passages": [c.key for c in dict.fromkeys([*cited, *retrieved[index]])],
            }
        )
    payload = {
        "title": paper.title,
        "answers": items,
        "passages": [{"id": c.key, "pages": _pages(c), "text": c.text} for c in keys.values()],
    }
    reply = llm.complete(
        step=DraftingStep.REPAIR,
        messages=[
            {"role": "system", "content": prompt.text},
            {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
        ],
        schema=QuoteRepairOutput,
        on_call=context.report(prompt),
    )
    if reply.parsed is None:
        return pairs, True
    repaired = list(pairs)
    for fix in reply.parsed.fixes:
        index = fix.question_number - 1
        if index in failing and 0 <= index < len(pairs):
            evidence = _evidence(fix.evidence, by_key)
            # Keep quotes that were already verified; add the new ones that are.
            kept = [e for e in pairs[index].evidence if e.verified]
            new = [e for e in evidence if e.verified] or list(evidence)
            repaired[index] = AnsweredPair(
                pairs[index].question, pairs[index].search_terms, pairs[index].answer, tuple(kept + new)[:3]
            )
    return repaired, True


def answer_step(
    paper: PaperInput, questions: Sequence[tuple[str, Sequence[str]]], context: CallContext
) -> AnswerResult:
    """Answer every question from its retrieved passages, with evidence (one call, maybe a repair)."""
    if not questions:
        return AnswerResult(pairs=())
    prompt = system_prompt("answer")
    retrieved = retrieve(paper, questions)
    by_key = paper.by_key()
    output, problems = _call_with_repair(
        step=DraftingStep.ANSWER,
        messages=_answer_messages(paper, questions, retrieved, prompt),
        schema=AnswerOutput,
        context=context,
        prompt=prompt,
        check=_answer_problems(len(questions), set(by_key)),
    )
    if output is None:
        raise DraftUnusable(
            "llm_invalid_output",
            _("LLM の出力を読み取れませんでした(回答): {problems}").format(problems=" / ".join(problems)[:300]),
        )
    answers = {}
    for answer in output.answers:
        answers.setdefault(answer.question_number, answer)
    pairs = []
    for number, (question, terms) in enumerate(questions, start=1):
        answer = answers.get(number)
        text = apply_house_style(answer.answer) if answer else ""
        evidence = _evidence(answer.evidence, by_key) if answer else ()
        pairs.append(AnsweredPair(question, tuple(terms), text, evidence))
    pairs, _quotes_repaired = _repair_quotes(paper, pairs, retrieved, context)
    flags = [_("回答: {problem}").format(problem=problem) for problem in problems]
    for number, pair in enumerate(pairs, start=1):
        if not pair.answer:
            flags.append(_("Q{number}: 回答がありません").format(number=number))
        elif not pair.evidence:
            flags.append(_("Q{number}: 根拠が示されていません").format(number=number))
        elif not any(e.verified for e in pair.evidence):
            flags.append(_("Q{number}: 根拠の引用が本文に見つかりません").format(number=number))
        elif not all(e.verified for e in pair.evidence):
            flags.append(_("Q{number}: 根拠の引用の一部が本文に見つかりません").format(number=number))
    return AnswerResult(pairs=tuple(pairs), flags=tuple(flags))
