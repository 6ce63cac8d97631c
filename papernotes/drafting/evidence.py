"""Checking that an evidence quote really occurs in the passage it names.

A model copying from a PDF's text may differ from it in ways that do not change the
words: line breaks and runs of spaces, ligatures (ﬁ), curly quotes and dashes, a word
hyphenated at a line end that extraction joined (or did not), a capital letter, the " | "
between a table passage's cells (a model may quote a row without them). Both sides
are normalised the same way before comparing; a quote cut with "..." matches when its
pieces occur in order.
"""

from __future__ import annotations

import re
import unicodedata

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
    haystack = normalise(passage)
    if _in_order(pieces, haystack):
        return True
    # Hyphenation may be joined in one text and not the other: compare without hyphens too.
    return _in_order([piece.replace("-", "") for piece in pieces], haystack.replace("-", ""))
