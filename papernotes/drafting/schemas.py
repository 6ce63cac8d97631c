"""The shapes of the LLM's answers, as pydantic models, and their strict JSON schemas.

The schema sent with ``response_format`` (type ``json_schema``, strict) has only what
strict mode and OpenAI-compatible servers accept: objects with every property required and
no others, strings, integers, arrays. Counts and cross-references (9 to 11 questions, a
passage id that exists) are checked after parsing (``steps``), and a failure there is
what a repair call is for.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftQuestion(_Strict):
    question: str = Field(description="A question a reader would ask, in Japanese")
    search_terms: list[str] = Field(description="English words and phrases to find the answer in the paper")


class ReadOutput(_Strict):
    """The read step: translation, summary, questions."""

    abstract_ja: str = Field(description="Faithful Japanese translation of the whole English abstract")
    summary_ja: str = Field(description="One Japanese sentence for the table of contents")
    questions: list[DraftQuestion]


class EvidenceQuote(_Strict):
    passage_id: str = Field(description="The id of the passage, e.g. P12")
    quote: str = Field(description="A short English quote copied exactly from that passage")


class DraftAnswer(_Strict):
    """One answer. Models misnumber, skip and merge items: the echoed question text is what
    places an answer when its number cannot (see :mod:`papernotes.drafting.matching`)."""

    question_number: int = Field(description="The number of the question answered, from 1")
    question: str = Field(description="The question answered, copied exactly as given")
    answer: str = Field(description="The answer in Japanese, based only on the given passages")
    evidence: list[EvidenceQuote]


class AnswerOutput(_Strict):
    """The answer step: one answer per question, with evidence."""

    answers: list[DraftAnswer]


class AnswerRepairOutput(_Strict):
    """The answer step's repair: answers for the questions left without one, and new evidence
    for the answers whose quotes were not found in the paper (same items as ``AnswerOutput``)."""

    answers: list[DraftAnswer]


# Keywords strict mode rejects or servers ignore; the constraints they express are checked
# after parsing instead.
_DROPPED_KEYWORDS = frozenset({"title", "default", "minItems", "maxItems", "minLength", "maxLength", "pattern"})


def _strict(node: Any) -> Any:
    """A schema node made strict; ``properties`` and ``$defs`` map names (kept) to nodes."""
    if isinstance(node, dict):
        node = {
            key: value if key in ("properties", "$defs") else _strict(value)
            for key, value in node.items()
            if key not in _DROPPED_KEYWORDS
        }
        for mapping in ("properties", "$defs"):
            if mapping in node:
                node[mapping] = {name: _strict(child) for name, child in node[mapping].items()}
        if node.get("type") == "object":
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def response_format(model: type[BaseModel]) -> dict:
    """The ``response_format`` parameter for ``model``: a strict ``json_schema``."""
    schema = _strict(copy.deepcopy(model.model_json_schema()))
    return {
        "type": "json_schema",
        "json_schema": {"name": model.__name__, "strict": True, "schema": schema},
    }


class JudgeScore(_Strict):
    """The judge's scores of one answer, 1 (poor) to 5 (good), each with a short Japanese reason."""

    question_number: int = Field(description="The number of the answer judged, as given")
    faithful: int = Field(description="1-5: every claim is supported by the given evidence quotes")
    faithful_reason: str = Field(description="One short Japanese sentence")
    answers_question: int = Field(description="1-5: the answer answers the question asked")
    answers_question_reason: str = Field(description="One short Japanese sentence")
    japanese: int = Field(description="1-5: natural, correct Japanese in です・ます調")
    japanese_reason: str = Field(description="One short Japanese sentence")
    house_style: int = Field(description="1-5: follows the house style")
    house_style_reason: str = Field(description="One short Japanese sentence")


class JudgeOutput(_Strict):
    """The judge step: one item per answer given."""

    scores: list[JudgeScore]
