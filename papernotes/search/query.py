"""Reading what a reader typed into search terms.

Terms are separated by spaces (ASCII or full-width) and every one is required. Text is
compared after NFKC (full-width Latin and digits, half-width kana) and case folding.

A Latin name is written several ways: 「GPT-4」「GPT 4」「GPT4」. A term that joins ASCII
letters and digits, or ASCII words by a hyphen, matches each of those spellings (its
*variants*); a one-character term of a Latin letter or digit (「Prometheus 2」の「2」) is
read as part of the term before it (or after it, when it comes first), so 「GPT 4」 is one
term with the same variants. A one-character term on its own would match nearly every
note, and a term without a letter, digit, kana or kanji (「...」, emoji) has nothing to look
up in an index: both are refused with a message.
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_TERMS = 5
MAX_QUERY_LENGTH = 100
# One kana or kanji matches nearly everything; one Latin letter or digit is joined to a term next to it.
MIN_TERM_LENGTH = 2
# A term splits into at most this many parts at hyphens and letter/digit boundaries
# (3**(parts-1) spellings); a longer chain is searched as typed.
MAX_PARTS = 3
# Spellings of the boundary between two parts of a Latin term: 「GPT4」「GPT-4」「GPT 4」.
JOINERS = ("", "-", " ")

# Hyphens between ASCII letters or digits, and a digit right after an ASCII letter (gpt4, h100).
_PARTS = re.compile(r"(?<=[a-z0-9])-(?=[a-z0-9])|(?<=[a-z])(?=[0-9])")


class InvalidQuery(ValueError):
    """A query that cannot be searched; the message is for the reader (Japanese)."""


@dataclass(frozen=True)
class Term:
    """One required term: any of its ``variants`` (normalised literal strings) counts."""

    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return "-".join(self.parts)

    @property
    def variants(self) -> tuple[str, ...]:
        if len(self.parts) == 1:
            return self.parts
        spellings = []
        for joiners in itertools.product(JOINERS, repeat=len(self.parts) - 1):
            spellings.append(self.parts[0] + "".join(j + p for j, p in zip(joiners, self.parts[1:], strict=True)))
        return tuple(spellings)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    terms: tuple[Term, ...]

    @property
    def key(self) -> str:
        """The normalised query: the same for every way of typing the same terms (cache keys)."""
        return " ".join(sorted(term.text for term in self.terms))


def normalise(text: str) -> str:
    """NFKC (full-width Latin and digits, half-width kana) and case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


def _is_latin_character(token: str) -> bool:
    return len(token) == 1 and token.isascii() and token.isalnum()


def _parts(token: str) -> tuple[str, ...]:
    parts = tuple(part for part in _PARTS.split(token) if part)
    return parts if 1 < len(parts) <= MAX_PARTS else (token,)


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def parse_query(text: str | None) -> SearchQuery:
    """The query's terms, every one required.

    Raises :class:`InvalidQuery` (with the reader's message) for an empty or too long
    query, too many terms, control characters (NUL), a one-character query, or a term
    without a letter, digit, kana or kanji.
    """
    text = text or ""
    if _has_control_characters(text):
        raise InvalidQuery(_("検索語に使えない文字(制御文字)が含まれています。"))
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise InvalidQuery(_("検索語を入力してください。"))
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(_("検索語は {n} 文字以内で入力してください。").format(n=MAX_QUERY_LENGTH))
    tokens = list(dict.fromkeys(normalise(token) for token in text.split()))
    if all(len(token) < MIN_TERM_LENGTH for token in tokens):
        raise InvalidQuery(
            _(
                "1 文字だけの語では探せません。2 文字以上の語を入れてください"
                "(「GPT 4」の「4」のような英数字 1 文字は、前の語と続けて探します)。"
            )
        )
    words: list[list[str]] = []
    pending: list[str] = []  # one-character Latin terms before the first longer term
    for token in tokens:
        if _is_latin_character(token):
            (words[-1] if words else pending).append(token)
        elif len(token) < MIN_TERM_LENGTH:
            raise InvalidQuery(
                _("1 文字の語(「{token}」)では探せません。2 文字以上の語にしてください。").format(token=token)
            )
        else:
            words.append([*pending, token])
            pending = []
    terms = []
    for word in words:
        parts = tuple(part for token in word for part in _parts(token))
        terms.append(Term(parts=parts if len(parts) <= MAX_PARTS else (" ".join(word),)))
    terms = list(dict.fromkeys(terms))
    if len(terms) > MAX_TERMS:
        raise InvalidQuery(_("検索語は {n} 個までにしてください。").format(n=MAX_TERMS))
    for term in terms:
        if not any(c.isalnum() for c in term.text):
            raise InvalidQuery(
                _("記号や絵文字だけの語(「{term}」)では探せません。文字か数字を含む語にしてください。").format(
                    term=term.text
                )
            )
    return SearchQuery(text=text, terms=tuple(terms))
