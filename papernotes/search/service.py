"""Search over public notes, with highlighted snippets. Shared by the search page and the API."""

import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from papernotes import selectors
from papernotes.models import Note, QuestionAnswer

from .backends import matched_note_ids_sql
from .query import SearchQuery, normalise

SNIPPET_CONTEXT = 40  # characters shown before the first match
SNIPPET_LENGTH = 140


@dataclass(frozen=True)
class SearchHit:
    note: Note
    # The Q&A pair that matched, when the match is in one (the page links to it).
    qa: QuestionAnswer | None
    snippet: SafeString


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[SearchHit]
    total: int


def public_notes_matching(query: SearchQuery):
    """Public notes matching ``query``, newest issue first (a queryset: count it, slice it)."""
    return (
        selectors.public_notes()
        .filter(id__in=matched_note_ids_sql(query.terms))
        .order_by("-issue__week_start", "position")
    )


def search_public_notes(query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of matching public notes with a snippet each (four queries)."""
    matching = public_notes_matching(query)
    total = matching.count()
    ids = list(matching.values_list("id", flat=True)[offset : offset + limit])
    notes = selectors.public_notes_by_ids(ids=ids)
    hits = [_hit(notes[note_id], query.terms) for note_id in ids if note_id in notes]
    return SearchPage(query=query, hits=hits, total=total)


def _contains_all(text: str, terms: tuple[str, ...]) -> bool:
    folded = normalise(text)
    return all(term in folded for term in terms)


def _hit(note: Note, terms: tuple[str, ...]) -> SearchHit:
    """Which text of the note matched, as a highlighted snippet (same rule as the backends)."""
    body = f"{note.summary}\n{note.abstract_ja}"
    if _contains_all(body, terms):
        return SearchHit(note=note, qa=None, snippet=highlight(body, terms))
    for qa in note.qas.all():
        if _contains_all(f"{qa.question}\n{qa.answer}", terms):
            return SearchHit(note=note, qa=qa, snippet=highlight(f"Q: {qa.question}\nA: {qa.answer}", terms))
    return SearchHit(note=note, qa=None, snippet=highlight(body, terms))  # matched on the title


def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """An escaped excerpt of ``text`` around the first match, every match in ``<mark>``.

    Matching is on the NFKC, case-folded text; both have the same length for the Japanese
    and ASCII texts we hold, and where they do not, the excerpt is simply not highlighted.
    """
    text = re.sub(r"\s+", " ", text).strip()
    folded = normalise(text)
    aligned = len(folded) == len(text)
    spans = []
    if aligned:
        for term in terms:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(term), folded)]
    spans.sort()
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_CONTEXT)
    end = min(len(text), start + SNIPPET_LENGTH)
    out, position = [], start
    for span_start, span_end in spans:
        if span_start < position or span_end > end:
            continue
        out.append(html.escape(text[position:span_start]))
        out.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(html.escape(text[position:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)
