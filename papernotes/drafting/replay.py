"""Replay: draft a note again from its stored inputs with another prompt version, writing nothing.

The inputs are what drafting reads from the database (:func:`selectors.paper_input`: the
paper's metadata, its stored body passages, the glossary entries that occur in it); the
read and answer steps run as in a draft (validation, matching, evidence, one repair per
step), through the prompts of the version asked for, against the configured
OpenAI-compatible endpoint. Nothing is stored: no text, no state, no ``LlmCall``; each
call's tokens and cost (``LLM_PRICES``) come back with the result, for the caller to report.

A prompt version is a folder of prompt files in the format of ``prompts/`` (``read.md``,
``answer.md``…, each starting ``version: N``); a file it lacks is the shipped one. It is
named by its folder under ``prompts/versions/<name>/``, or by a path; ``current`` is the
shipped prompts. The tags recorded are those the files declare (``read@3+house_style_blog@2``).
"""

from __future__ import annotations

import contextvars
import datetime
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from papernotes.drafting import llm, selectors, steps
from papernotes.drafting.pricing import call_cost
from papernotes.drafting.prompts import PROMPT_DIR, prompts_from
from papernotes.models import Note

VERSIONS_DIR = PROMPT_DIR / "versions"
CURRENT = "current"


class ReplayError(ValueError):
    """The replay cannot start as asked; ``str()`` says why, in Japanese."""


@dataclass(frozen=True)
class PromptSet:
    name: str
    directory: Path | None  # None: the shipped prompts


def prompt_set(version: str) -> PromptSet:
    """The prompt files of ``version``: ``current``, a folder under ``prompts/versions/``, or a path."""
    if version in ("", CURRENT):
        return PromptSet(CURRENT, None)
    for candidate in (VERSIONS_DIR / version, Path(version)):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return PromptSet(version, candidate.resolve())
    known = sorted(path.name for path in VERSIONS_DIR.iterdir() if path.is_dir()) if VERSIONS_DIR.is_dir() else []
    raise ReplayError(
        _(
            "プロンプトの版 {version} が見つかりません"
            "(current、{folder} の下のフォルダ、またはプロンプトのフォルダのパス)。{known}"
        ).format(
            version=version,
            folder=VERSIONS_DIR,
            known=_("ある版: {names}").format(names=", ".join(known)) if known else "",
        )
    )


@dataclass
class ReplayedNote:
    """What one note's replay drafted, and what its calls used and cost (nothing stored)."""

    note_id: int
    week: datetime.date
    summary: str = ""
    abstract_ja: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) by position
    prompt_tags: dict[str, str] = field(default_factory=dict)  # step → prompt tag
    calls: list[llm.CallRecord] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def cost_usd(self) -> Decimal:
        return sum(
            (
                call_cost(
                    model=call.model,
                    input_tokens=call.input_tokens,
                    cached_input_tokens=call.cached_input_tokens,
                    output_tokens=call.output_tokens,
                )
                for call in self.calls
            ),
            Decimal("0"),
        )

    @property
    def input_tokens(self) -> int:
        return sum(call.input_tokens for call in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(call.output_tokens for call in self.calls)


def _replay_one(
    note_id: int, week: datetime.date, paper: steps.PaperInput, prompts: PromptSet, model: str
) -> ReplayedNote:
    replayed = ReplayedNote(note_id=note_id, week=week)
    tags: list[str] = []

    def on_call(tag: str, record: llm.CallRecord) -> None:
        replayed.calls.append(record)
        tags.append(tag)

    context = steps.CallContext(on_call=on_call, deadline=time.time() + settings.DRAFTING_PAPER_DEADLINE)
    started = time.monotonic()
    with prompts_from(prompts.directory), llm.model_override(model):
        try:
            read = steps.read_step(paper, context)
            result = steps.answer_step(paper, read.questions, context)
        except llm.LlmError as error:
            replayed.error = error.message
        else:
            replayed.summary, replayed.abstract_ja = read.summary_ja, read.abstract_ja
            replayed.pairs = [(pair.question, pair.answer) for pair in result.pairs]
    replayed.seconds = time.monotonic() - started
    for tag in context.prompt_tags:
        replayed.prompt_tags.setdefault(tag.split("@", 1)[0], tag)
    return replayed


def replay_notes(
    notes: Sequence[Note],
    *,
    prompts: PromptSet,
    model: str = "",
    concurrency: int | None = None,
    on_done: Callable[[ReplayedNote], None] | None = None,
) -> list[ReplayedNote]:
    """Replay ``notes`` (papers in parallel, ``LLM_MAX_CONCURRENT`` at most), in their order.

    The inputs are read here, in the caller's thread; the calls run in threads of their own
    and touch no database."""
    inputs = [(note.pk, note.issue.week_start, selectors.paper_input(note)) for note in notes]
    workers = max(1, concurrency or settings.LLM_MAX_CONCURRENT)

    def run(item) -> ReplayedNote:
        replayed = _replay_one(*item, prompts, model)
        if on_done is not None:
            on_done(replayed)
        return replayed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Each thread starts from the caller's context (its prompt and model choice included).
        futures = [pool.submit(contextvars.copy_context().run, run, item) for item in inputs]
        return [future.result() for future in futures]
