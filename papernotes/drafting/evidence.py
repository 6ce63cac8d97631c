"""Checking that an evidence quote really occurs in the paper, and where.

Models cite passages in many ways ("P12", "12", "[P12]", "passage 12"): :func:`passage_key`
reads them all. A quote is looked up in the passage cited, then in every passage sent with
the call, then in the whole body of the paper (:func:`locate`): a true quote from the wrong
passage is still a true quote, and the passage where it was found is the one recorded.

A model copying from a PDF's text may differ from it in ways that do not change the
words: line breaks and runs of spaces, ligatures (ﬁ), curly quotes and dashes, a word
hyphenated at a line end that extraction joined (or did not), a capital letter, the " | "
between a table passage's cells (a model may quote a row without them). Both sides
are normalised the same way before comparing; a quote cut with "..." matches when its
pieces occur in order. :func:`quote_spans` finds where, in the passage as stored, so the
review screen can highlight the quote inside its passage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

_HYPHEN_BREAK_RE = re.compile(r"(?<=\w)[-\u2010\u00ad]\s+(?=\w)")
_SPACES_RE = re.compile(r"\s+")
_ELLIPSIS_RE = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\])\s*")
_TRANSLATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2010": "-",
        "\u00ad": "",
        "|": " ",
    }
)
# A piece shorter than this proves nothing ("the", "a").
MIN_PIECE_CHARS = 12


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _HYPHEN_BREAK_RE.sub("", text)
    text = text.translate(_TRANSLATION)
    return _SPACES_RE.sub(" ", text).strip().lower()


_QUOTE_MARKS = "\"'“”‘’"


def _pieces(quote: str) -> list[str]:
    # Each piece of a quote cut with "..." may carry its own quotation marks.
    pieces = (piece.strip().strip(_QUOTE_MARKS) for piece in _ELLIPSIS_RE.split(quote))
    return [normalise(piece) for piece in pieces if piece.strip()]


def _in_order(pieces: list[str], haystack: str) -> bool:
    at = 0
    for piece in pieces:
        found = haystack.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def quote_in_passage(quote: str, passage: str) -> bool:
    """True when ``quote`` (possibly cut with "...") occurs in ``passage``, after normalising both."""
    pieces = _pieces(quote)
    if not pieces or sum(len(piece) for piece in pieces) < MIN_PIECE_CHARS:
        return False
    return _found(pieces, _normalised(passage))


def _found(pieces: list[str], haystack: str) -> bool:
    if _in_order(pieces, haystack):
        return True
    # Hyphenation may be joined in one text and not the other: compare without hyphens too.
    return _in_order([piece.replace("-", "") for piece in pieces], haystack.replace("-", ""))


def _normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`normalise`, with the offset in ``text`` each character of the result comes from."""
    chars: list[tuple[str, int]] = [
        (piece, index) for index, char in enumerate(text) for piece in unicodedata.normalize("NFKC", char)
    ]
    joined = "".join(char for char, _index in chars)
    dropped = {i for match in _HYPHEN_BREAK_RE.finditer(joined) for i in range(match.start(), match.end())}
    translated = [(char.translate(_TRANSLATION), index) for i, (char, index) in enumerate(chars) if i not in dropped]
    spaced: list[tuple[str, int]] = []
    for piece, index in translated:
        for char in piece:
            if char.isspace():
                if spaced and spaced[-1][0] != " ":
                    spaced.append((" ", index))
            else:
                spaced.extend((lowered, index) for lowered in char.lower())
    if spaced and spaced[-1][0] == " ":
        spaced.pop()
    return "".join(char for char, _index in spaced), [index for _char, index in spaced]


def _spans_in_order(pieces: list[str], haystack: str, offsets: list[int]) -> list[tuple[int, int]] | None:
    spans, at = [], 0
    for piece in pieces:
        found = haystack.find(piece, at)
        if found < 0:
            return None
        at = found + len(piece)
        spans.append((offsets[found], offsets[at - 1] + 1))
    return spans


def quote_spans(quote: str, passage: str) -> list[tuple[int, int]]:
    """Where ``quote`` occurs in ``passage`` as (start, end) offsets of the stored passage text,
    one span per piece of a quote cut with "...", found as :func:`quote_in_passage` finds them;
    empty when it does not occur."""
    pieces = _pieces(quote)
    if not pieces or sum(len(piece) for piece in pieces) < MIN_PIECE_CHARS:
        return []
    haystack, offsets = _normalise_with_offsets(passage)
    spans = _spans_in_order(pieces, haystack, offsets)
    if spans is None:
        kept = [i for i, char in enumerate(haystack) if char != "-"]
        spans = _spans_in_order(
            [piece.replace("-", "") for piece in pieces],
            "".join(haystack[i] for i in kept),
            [offsets[i] for i in kept],
        )
    return spans or []


@lru_cache(maxsize=2048)
def _normalised(text: str) -> str:
    # A paper's passages are searched again for every quote of every answer.
    return normalise(text)


# "P12", "p12", "P 12", "[P12]", "(P12)", "12", "passage 12", "Passage P12", "P12 (p. 3)".
_KEY_RE = re.compile(r"^\W*(?:passage\s*)?(?:p\s*)?(\d{1,5})\b", re.IGNORECASE)
_ABSTRACT_KEY_RE = re.compile(r"^\W*(?:a|abstract)\W*$", re.IGNORECASE)


def passage_key(cited: str) -> str:
    """The passage id in the form the prompts use ("P12"; "A" for the abstract), from however
    the model wrote it; the text itself when it names no passage."""
    match = _KEY_RE.match(cited)
    if match:
        return f"P{int(match.group(1))}"
    if _ABSTRACT_KEY_RE.match(cited):
        return "A"
    return cited.strip()


class HasText(Protocol):
    key: str
    text: str


C = TypeVar("C", bound=HasText)


@dataclass(frozen=True)
class Located(Generic[C]):
    """Where a quote was found: the passage and how far from the citation ("cited", "sent",
    "body"), or no passage and ``found_in`` "" when it occurs nowhere."""

    passage: C | None
    found_in: str

    @property
    def verified(self) -> bool:
        return bool(self.found_in)


def locate(quote: str, cited: C | None, sent: Sequence[C], body: Iterable[C]) -> Located[C]:
    """Find ``quote`` in the cited passage, else in the passages sent, else in the body."""
    pieces = _pieces(quote)
    if not pieces or sum(len(piece) for piece in pieces) < MIN_PIECE_CHARS:
        return Located(cited, "")
    if cited is not None and _found(pieces, _normalised(cited.text)):
        return Located(cited, "cited")
    sent_keys = set()
    for passage in sent:
        sent_keys.add(passage.key)
        if _found(pieces, _normalised(passage.text)):
            return Located(passage, "sent")
    for passage in body:
        if passage.key not in sent_keys and _found(pieces, _normalised(passage.text)):
            return Located(passage, "body")
    return Located(cited, "")
