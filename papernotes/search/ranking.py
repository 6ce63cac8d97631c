"""How search results are ordered: relevance, then recency.

A note's score adds, for every term, ``weight × ln(1 + occurrences)`` over its fields: its
title as shown and one-liner (``head``), its 概要 (``abstract``) and, for a note found by
a Q&A pair, the pairs that hold every term (``qa``). The weights are far apart, so one
occurrence in the title or one-liner outweighs any number in the 概要, and one in the 概要
any number in the answers; within a field, more occurrences rank higher (with diminishing
returns: 49 mentions are not 49 times one). Equal scores go newest issue first, then by
position in the issue.

When more notes match than ``SEARCH_COUNT_LIMIT``, the ranking is of the first that many
found tier by tier (:class:`Tier`): every note whose title or one-liner holds the terms is
among them before any found by its 概要 or Q&A.
"""

import enum
import math

from .query import Term

FIELD_WEIGHTS = {"head": 100.0, "abstract": 10.0, "qa": 1.0}


class Tier(enum.IntEnum):
    """Where a note was found, in the order candidates are gathered."""

    HEAD = 0  # every term in the shown title and one-liner
    TEXT = 1  # every term in the title, one-liner or 概要
    LIVE_TITLE = 2  # a note without a frozen title: every term in its paper's live title
    QA = 3  # every term in one Q&A pair


def occurrences(text: str, term: Term) -> int:
    """Non-overlapping occurrences of the term's spellings in ``text`` (already normalised)."""
    return sum(text.count(variant) for variant in term.variants)


def field_score(text: str, terms: tuple[Term, ...], field: str) -> float:
    return sum(FIELD_WEIGHTS[field] * math.log1p(occurrences(text, term)) for term in terms)
