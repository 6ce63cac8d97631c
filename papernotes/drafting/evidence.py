"""Checking that an evidence quote really occurs in the passage it names.

A model copying from a PDF's text may differ from it in ways that do not change the
words: line breaks and runs of spaces, ligatures (ﬁ), curly quotes and dashes, a word
hyphenated at a line end that extraction joined (or did not), a capital letter. Both sides
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
    }
)
# A piece shorter than this proves nothing ("the", "a").
MIN_PIECE_CHARS = 12


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _HYPHEN_BREAK_RE.sub("", text)
    text = text.translate(_TRANSLATION)
    return _SPACES_RE.sub(" ", text).strip().lower()


def _pieces(quote: str) -> list[str]:
    stripped = quote.strip().strip("\"'“”‘’")
    return [normalise(piece) for piece in _ELLIPSIS_RE.split(stripped) if piece.strip()]


def quote_in_passage(quote: str, passage: str) -> bool:
    """True when ``quote`` (possibly cut with "...") occurs in ``passage``, after normalising both."""
    pieces = _pieces(quote)
    if not pieces or sum(len(piece) for piece in pieces) < MIN_PIECE_CHARS:
        return False
    haystack = normalise(passage)
    # Hyphenation may be joined in one text and not the other: compare without hyphens too.
    unhyphenated = haystack.replace("-", "")
    at = 0
    for piece in pieces:
        found = haystack.find(piece, at)
        if found < 0:
            return all(piece.replace("-", "") in unhyphenated for piece in pieces)
        at = found + len(piece)
    return True
