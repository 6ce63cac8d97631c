"""The calls of one draft, on plain data: read, retrieve, answer, and repair when needed.

Nothing here touches the database: :mod:`papernotes.drafting.runner` loads a
:class:`PaperInput`, runs these steps and stores what they return. Each step checks what
the model returned beyond its JSON shape (the number of questions, every question
answered, quotes that occur in the paper). Each step has its own repair budget
(``DRAFTING_REPAIRS_PER_STEP``, one call): the read step spends it on output it cannot use;
the answer step on output it cannot use, else on one call asking only for what is missing
(answers, quotes found in the paper). What still fails after that is returned with one
Japanese flag per kind of problem, never dropped: an answer that fits no question is
returned as unplaced, for the editor to use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from papernotes.drafting import house_style, llm
from papernotes.drafting.evidence import locate, passage_key
from papernotes.drafting.matching import place_answers
from papernotes.drafting.prompts import Prompt, system_prompt
from papernotes.drafting.retrieval import Candidate, PassageIndex
from papernotes.drafting.schemas import AnswerOutput, AnswerRepairOutput, ReadOutput
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
    """What every call of one draft shares: where calls are reported, each step's repair
    budget, and the deadline of the paper's whole run (epoch seconds; None: no deadline).

    ``received`` holds, per step, the result a batch of the Batch API got for the step's
    first call: that call is then not made again, and the step goes on from its result
    (validation, matching, evidence, repairs by ordinary calls) as after a call."""

    on_call: Callable[[str, llm.CallRecord], None]  # (prompt tag, record)
    repairs: dict[str, int] = field(default_factory=dict)  # repairs already spent, per step
    prompt_tags: list[str] = field(default_factory=list)
    deadline: float | None = None
    notes: list[str] = field(default_factory=list)  # failed repairs, for the flags
    received: dict[str, llm.BatchLine] = field(default_factory=dict)

    def report(self, prompt: Prompt) -> Callable[[llm.CallRecord], None]:
        if prompt.tag not in self.prompt_tags:
            self.prompt_tags.append(prompt.tag)
        return lambda record: self.on_call(prompt.tag, record)

    def may_repair(self, step: str) -> bool:
        """Whether ``step`` still has its one repair call (read and answer each have their own)."""
        return self.repairs.get(step, 0) < settings.DRAFTING_REPAIRS_PER_STEP

    def spend_repair(self, step: str) -> None:
        self.repairs[step] = self.repairs.get(step, 0) + 1


@dataclass(frozen=True)
class StepRequest:
    """The first call of a step, before it is made: by the step itself, or in a batch."""

    step: str
    prompt: Prompt
    messages: list[dict]
    schema: type

    def body(self) -> dict:
        """The request's JSON body (a batch's input line carries it)."""
        return llm.request_body(step=self.step, messages=self.messages, schema=self.schema)


@dataclass(frozen=True)
class Problem:
    """What is wrong with an output: told to the model in English, to the editor in Japanese."""

    model: str
    editor: str


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
    candidate: Candidate | None  # where the quote was found (else the passage cited, if any)
    key: str  # the passage id as cited, normalised ("P12")
    quote: str
    verified: bool
    found_in: str = ""  # "cited", "sent", "body", or "" (not found)

    def to_json(self) -> dict:
        return {
            "passage": self.candidate.key if self.candidate else self.key,
            "quote": self.quote,
            "verified": self.verified,
            "found_in": self.found_in,
        }


@dataclass(frozen=True)
class AnsweredPair:
    question: str
    search_terms: tuple[str, ...]
    answer: str
    evidence: tuple[EvidenceItem, ...]

    @property
    def verified(self) -> bool:
        return any(item.verified for item in self.evidence)


@dataclass(frozen=True)
class UnplacedAnswer:
    """An answer the model gave that fits no question: kept for the editor, never dropped."""

    question_number: int
    question: str  # as the model echoed it
    answer: str
    evidence: tuple[EvidenceItem, ...]

    def to_json(self) -> dict:
        return {
            "question_number": self.question_number,
            "question": self.question,
            "answer": self.answer,
            "evidence": [item.to_json() for item in self.evidence],
        }


@dataclass(frozen=True)
class AnswerResult:
    pairs: tuple[AnsweredPair, ...]
    flags: tuple[str, ...] = ()
    unplaced: tuple[UnplacedAnswer, ...] = ()
    # Answers missing, unplaced or without a quote found in the paper: not a finished draft.
    needs_attention: bool = False


class DraftUnusable(llm.LlmError):
    """The model's output could not be used even after the repair call."""


def numbered(label: str, numbers: Sequence[int]) -> str:
    """One flag for one kind of problem: 「回答がない質問: Q3, Q7(2 件)」."""
    listed = ", ".join(f"Q{number}" for number in numbers)
    return _("{label}: {listed}({count} 件)").format(label=label, listed=listed, count=len(numbers))


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
    return _messages(prompt, payload)


def _read_problems(output: ReadOutput) -> list[Problem]:
    problems = []
    if not output.abstract_ja.strip():
        problems.append(Problem("abstract_ja is empty.", _("概要の訳がありません")))
    if not output.summary_ja.strip():
        problems.append(Problem("summary_ja is empty.", _("一行要約がありません")))
    low, high = settings.DRAFTING_QA_MIN, settings.DRAFTING_QA_MAX
    count = len([q for q in output.questions if q.question.strip()])
    if not low <= count <= high:
        problems.append(
            Problem(
                f"There are {count} questions; give between {low} and {high}.",
                _("質問が {count} 個です({low}〜{high} 個のはずです)").format(count=count, low=low, high=high),
            )
        )
    without_terms = [
        number
        for number, question in enumerate(output.questions, start=1)
        if question.question.strip() and not [t for t in question.search_terms if t.strip()]
    ]
    if without_terms:
        problems.append(
            Problem(f"Questions {without_terms} have no search_terms.", numbered(_("検索語のない質問"), without_terms))
        )
    return problems


def _repair_messages(messages: list[dict], reply: llm.LlmReply, problems: list[Problem]) -> list[dict]:
    repair = system_prompt("repair_output")
    listed = "\n".join(f"- {problem.model}" for problem in problems) or "- The output was cut off before it ended."
    return [
        *messages,
        {"role": "assistant", "content": reply.content},
        {"role": "user", "content": f"{repair.text}\n\n{listed}"},
    ]


def _output_problems(reply: llm.LlmReply) -> list[Problem]:
    if reply.outcome == "truncated":
        return [Problem("The output was cut off at the length limit.", _("出力が長さの上限で途中で切れました"))]
    return [
        Problem(problem, _("LLM の出力が形式に合いません: {problem}").format(problem=problem))
        for problem in reply.problems
    ]


def _call_with_repair(
    *,
    step: str,
    messages: list[dict],
    schema,
    context: CallContext,
    prompt: Prompt,
    check: Callable,
) -> tuple[object | None, list[Problem]]:
    """Call; if the output is unusable or fails ``check``, spend ``step``'s repair if it has one.

    Returns the best parsed output (or None) and the problems that remain.
    """
    received = context.received.pop(step, None)
    if received is not None:
        reply = llm.reply_from_batch(received, step=step, schema=schema, on_call=context.report(prompt))
    else:
        reply = llm.complete(
            step=step, messages=messages, schema=schema, on_call=context.report(prompt), deadline=context.deadline
        )
    parsed = reply.parsed
    problems = check(parsed) if parsed is not None else _output_problems(reply)
    if not problems:
        return parsed, []
    if not context.may_repair(step):
        return parsed, problems
    context.spend_repair(step)
    repair_prompt = system_prompt("repair_output")
    budget = settings.LLM_MAX_OUTPUT_TOKENS * (2 if reply.outcome == "truncated" else 1)
    try:
        repaired = llm.complete(
            step=DraftingStep.REPAIR,
            messages=_repair_messages(messages, reply, problems),
            schema=schema,
            on_call=context.report(repair_prompt),
            max_output_tokens=budget,
            deadline=context.deadline,
        )
    except llm.LlmError as error:
        if parsed is None:
            raise
        context.notes.append(_("修正を求める LLM の呼び出しが失敗しました: {error}").format(error=error.message))
        return parsed, problems
    if repaired.parsed is None:
        return parsed, problems if parsed is not None else _output_problems(repaired)
    remaining = check(repaired.parsed)
    if parsed is not None and len(remaining) > len(problems):
        return parsed, problems  # the repair made it worse: keep the first answer
    return repaired.parsed, remaining


def read_request(paper: PaperInput) -> StepRequest:
    prompt = system_prompt("read")
    return StepRequest(DraftingStep.READ, prompt, _read_messages(paper, prompt), ReadOutput)


def read_step(paper: PaperInput, context: CallContext) -> ReadResult:
    """Translate the abstract, summarise, and ask the questions (one call, maybe a repair)."""
    request = read_request(paper)
    output, problems = _call_with_repair(
        step=request.step,
        messages=request.messages,
        schema=request.schema,
        context=context,
        prompt=request.prompt,
        check=_read_problems,
    )
    if output is None:
        raise DraftUnusable(
            "llm_invalid_output",
            _("LLM の出力を読み取れませんでした(概要・要約・質問): {problems}").format(
                problems=" / ".join(problem.model for problem in problems)[:300]
            ),
        )
    questions = tuple(
        (house_style.apply(q.question), tuple(t.strip() for t in q.search_terms if t.strip()))
        for q in output.questions
        if q.question.strip()
    )
    flags = tuple(_("読解: {problem}").format(problem=problem.editor) for problem in problems)
    flags += tuple(context.notes) if problems else ()
    context.notes.clear()
    return ReadResult(
        abstract_ja=house_style.apply(output.abstract_ja),
        summary_ja=house_style.apply(output.summary_ja),
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


def _sent_passages(paper: PaperInput, retrieved: Sequence[Sequence[Candidate]]) -> list[Candidate]:
    """Each passage once, however many questions retrieved it, in the paper's order, within
    the character budget (best-ranked passages of every question first)."""
    passages: dict[str, Candidate] = {}
    budget = settings.DRAFTING_ANSWER_PASSAGE_CHARS
    used = 0
    for rank in range(max((len(hits) for hits in retrieved), default=0)):
        for hits in retrieved:
            if rank < len(hits) and hits[rank].key not in passages and used + len(hits[rank].text) <= budget:
                passages[hits[rank].key] = hits[rank]
                used += len(hits[rank].text)
    order = {c.key: index for index, c in enumerate(paper.candidates)}
    return sorted(passages.values(), key=lambda c: order.get(c.key, -1))


def _passage_json(candidate: Candidate) -> dict:
    return {"id": candidate.key, "pages": _pages(candidate), "section": candidate.section, "text": candidate.text}


def _messages(prompt: Prompt, payload: dict) -> list[dict]:
    return [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def _answer_messages(paper: PaperInput, questions, retrieved, sent: list[Candidate], prompt: Prompt) -> list[dict]:
    keys = {c.key for c in sent}
    payload = {
        "title": paper.title,
        "questions": [
            {"number": number, "question": question, "passages": [h.key for h in hits if h.key in keys]}
            for number, ((question, _terms), hits) in enumerate(zip(questions, retrieved, strict=True), start=1)
        ],
        "passages": [_passage_json(c) for c in sent],
        "glossary": _glossary_for(paper),
    }
    return _messages(prompt, payload)


def _pages(candidate: Candidate) -> str:
    if candidate.page_start is None:
        return ""
    if candidate.page_end and candidate.page_end != candidate.page_start:
        return f"{candidate.page_start}-{candidate.page_end}"
    return str(candidate.page_start)


def _no_problems(_output: AnswerOutput) -> list[Problem]:
    # Missing, misnumbered or unverified items are not a reason to send everything again:
    # they are placed as well as can be, and only what is missing is asked for.
    return []


def _evidence(items, paper: PaperInput, sent: Sequence[Candidate]) -> tuple[EvidenceItem, ...]:
    by_key = paper.by_key()
    result = []
    for item in items:
        quote = item.quote.strip()
        if not quote:
            continue
        key = passage_key(item.passage_id)
        where = locate(quote, by_key.get(key), sent, paper.candidates)
        result.append(EvidenceItem(where.passage, key, quote, where.verified, where.found_in))
    return tuple(result)


@dataclass
class _Slot:
    """What one question has so far in the answer step."""

    answer: str = ""
    evidence: tuple[EvidenceItem, ...] = ()


def _fill(slots: list[_Slot], placement, paper: PaperInput, sent, *, indexes: Sequence[int], evidence_only: set[int]):
    """Put placed answers into their slots (``placement`` indexes ``indexes``); for the
    ``evidence_only`` questions keep the answer and take only quotes found in the paper."""
    for local, answer in placement.placed.items():
        index = indexes[local]
        evidence = _evidence(answer.evidence, paper, sent)
        if index in evidence_only:
            found = tuple(item for item in evidence if item.verified)
            if found:
                kept = tuple(item for item in slots[index].evidence if item.verified)
                slots[index].evidence = (kept + found)[:3]
            continue
        text = house_style.apply(answer.answer)
        if text:
            slots[index] = _Slot(text, evidence)


def _unplaced(answers, paper: PaperInput, sent) -> list[UnplacedAnswer]:
    return [
        UnplacedAnswer(
            answer.question_number,
            answer.question.strip(),
            house_style.apply(answer.answer),
            _evidence(answer.evidence, paper, sent),
        )
        for answer in answers
        if answer.answer.strip()
    ]


def _repair_answers(
    paper: PaperInput,
    questions,
    retrieved,
    slots: list[_Slot],
    sent: list[Candidate],
    context: CallContext,
) -> list[UnplacedAnswer]:
    """One call for what is still wrong: the questions without an answer (answer them) and the
    answers without a quote found in the paper (give quotes). Returns answers it could not place."""
    missing = [index for index, slot in enumerate(slots) if not slot.answer]
    unverified = [
        index for index, slot in enumerate(slots) if slot.answer and not any(e.verified for e in slot.evidence)
    ]
    items = sorted(missing + unverified)
    if not items or not context.may_repair(DraftingStep.ANSWER):
        return []
    context.spend_repair(DraftingStep.ANSWER)
    prompt = system_prompt("repair_answers")
    passages: dict[str, Candidate] = {}
    listed = []
    for index in items:
        cited = [e.candidate for e in slots[index].evidence if e.candidate is not None]
        for candidate in [*retrieved[index], *cited]:
            passages.setdefault(candidate.key, candidate)
        entry = {
            "number": index + 1,
            "question": questions[index][0],
            "passages": list(dict.fromkeys(c.key for c in [*retrieved[index], *cited])),
        }
        if slots[index].answer:
            entry["answer"] = slots[index].answer
            entry["quotes_not_found"] = [
                {"passage_id": e.key, "quote": e.quote} for e in slots[index].evidence if not e.verified
            ]
        listed.append(entry)
    order = {c.key: position for position, c in enumerate(paper.candidates)}
    shown = sorted(passages.values(), key=lambda c: order.get(c.key, -1))
    payload = {"title": paper.title, "questions": listed, "passages": [_passage_json(c) for c in shown]}
    try:
        reply = llm.complete(
            step=DraftingStep.REPAIR,
            messages=_messages(prompt, payload),
            schema=AnswerRepairOutput,
            on_call=context.report(prompt),
            deadline=context.deadline,
        )
    except llm.LlmError as error:
        # What the answer call gave is kept; the flags say what is still missing, and why.
        context.notes.append(_("不足分を求める LLM の呼び出しが失敗しました: {error}").format(error=error.message))
        return []
    if reply.parsed is None:
        return []
    placement = place_answers([questions[i][0] for i in items], reply.parsed.answers, numbers=[i + 1 for i in items])
    searched = list(dict.fromkeys([*sent, *shown]))
    _fill(slots, placement, paper, searched, indexes=items, evidence_only=set(unverified))
    return _unplaced(placement.unplaced, paper, searched)


def _answer_plan(paper: PaperInput, questions) -> tuple[StepRequest, list[list[Candidate]], list[Candidate]]:
    """The answer call, with the passages retrieved per question and those sent (each once)."""
    prompt = system_prompt("answer")
    retrieved = retrieve(paper, questions)
    sent = _sent_passages(paper, retrieved)
    messages = _answer_messages(paper, questions, retrieved, sent, prompt)
    return StepRequest(DraftingStep.ANSWER, prompt, messages, AnswerOutput), retrieved, sent


def answer_request(paper: PaperInput, questions: Sequence[tuple[str, Sequence[str]]]) -> StepRequest:
    return _answer_plan(paper, questions)[0]


def answer_step(
    paper: PaperInput, questions: Sequence[tuple[str, Sequence[str]]], context: CallContext
) -> AnswerResult:
    """Answer every question from its retrieved passages, with evidence (one call, maybe a repair).

    Answers are placed under their questions however the model numbered them; one repair
    call asks only for what is missing (answers, quotes found in the paper); an answer that
    fits no question is returned as unplaced, to be kept as a suggestion.
    """
    if not questions:
        return AnswerResult(pairs=())
    request, retrieved, sent = _answer_plan(paper, questions)
    output, problems = _call_with_repair(
        step=request.step,
        messages=request.messages,
        schema=request.schema,
        context=context,
        prompt=request.prompt,
        check=_no_problems,
    )
    if output is None:
        raise DraftUnusable(
            "llm_invalid_output",
            _("LLM の出力を読み取れませんでした(回答): {problems}").format(
                problems=" / ".join(problem.model for problem in problems)[:300]
            ),
        )
    slots = [_Slot() for _question in questions]
    placement = place_answers([question for question, _terms in questions], output.answers)
    _fill(slots, placement, paper, sent, indexes=range(len(questions)), evidence_only=set())
    unplaced = _unplaced(placement.unplaced, paper, sent)
    unplaced += _repair_answers(paper, questions, retrieved, slots, sent, context)
    pairs = tuple(
        AnsweredPair(question, tuple(terms), slot.answer, slot.evidence)
        for (question, terms), slot in zip(questions, slots, strict=True)
    )
    flags, attention = _answer_flags(pairs, unplaced)
    flags += context.notes if attention else []
    return AnswerResult(pairs=pairs, flags=tuple(flags), unplaced=tuple(unplaced), needs_attention=attention)


def _answer_flags(pairs: Sequence[AnsweredPair], unplaced: Sequence[UnplacedAnswer]) -> tuple[list[str], bool]:
    """One flag per kind of problem, naming the questions; whether the draft needs attention."""
    missing = [n for n, pair in enumerate(pairs, start=1) if not pair.answer]
    no_evidence = [n for n, pair in enumerate(pairs, start=1) if pair.answer and not pair.evidence]
    not_found = [n for n, pair in enumerate(pairs, start=1) if pair.evidence and not pair.verified]
    partly = [
        n for n, pair in enumerate(pairs, start=1) if pair.verified and not all(e.verified for e in pair.evidence)
    ]
    flags = []
    if missing:
        flags.append(numbered(_("回答がない質問"), missing))
    if unplaced:
        flags.append(
            _("どの質問への回答か分からない回答: {count} 件(「下書きの状況」に提案として残しました)").format(
                count=len(unplaced)
            )
        )
    if no_evidence:
        flags.append(numbered(_("根拠が示されていない回答"), no_evidence))
    if not_found:
        flags.append(numbered(_("根拠の引用が本文に見つからない回答"), not_found))
    if partly:
        flags.append(numbered(_("根拠の引用の一部が本文に見つからない回答"), partly))
    return flags, bool(missing or unplaced or no_evidence or not_found)
