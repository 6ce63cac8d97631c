"""Reading what a reader typed into search terms."""

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_TERMS = 5
MAX_QUERY_LENGTH = 100
# One kana or kanji matches nearly everything; one Latin letter certainly does.
MIN_TERM_LENGTH = 2


class InvalidQuery(ValueError):
    """A query that cannot be searched; the message is for the reader (Japanese)."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    terms: tuple[str, ...]


def normalise(text: str) -> str:
    """NFKC (full-width Latin and digits, half-width kana) and case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


def parse_query(text: str | None) -> SearchQuery:
    """Terms separated by spaces (ASCII or full-width), every one required.

    Raises :class:`InvalidQuery` for an empty, too long or too short query.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        raise InvalidQuery(_("検索語を入力してください。"))
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(_("検索語は {n} 文字以内で入力してください。").format(n=MAX_QUERY_LENGTH))
    terms = tuple(dict.fromkeys(normalise(term) for term in text.split()))
    if len(terms) > MAX_TERMS:
        raise InvalidQuery(_("検索語は {n} 個までにしてください。").format(n=MAX_TERMS))
    if any(len(term) < MIN_TERM_LENGTH for term in terms):
        raise InvalidQuery(_("検索語はそれぞれ {n} 文字以上にしてください。").format(n=MIN_TERM_LENGTH))
    return SearchQuery(text=text, terms=terms)
