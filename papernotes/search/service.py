"""Search over public notes, with highlighted snippets. Shared by the search page and the API."""

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Window
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


def _page_of_matches(query: SearchQuery, *, limit: int, offset: int) -> list[tuple[int, int]]:
    """(note id, total matches) of one page, in one query.

    The matches are collected first, then sorted: asked for the first rows in week order
    directly, PostgreSQL walks the issues by date and rescans the matches for each one
    (a nested loop that took 0.5 s on a ten-year archive).
    """
    matches = (
        selectors.public_notes()
        .filter(id__in=matched_note_ids_sql(query.terms))
        .order_by()
        .annotate(total=Window(Count("id")))
        .values_list("id", "issue__week_start", "position", "total")
    )
    sql, params = matches.query.sql_with_params()
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # The notes table is small enough that PostgreSQL prefers reading it whole to its
            # n-gram indexes, not knowing that LIKE on long Japanese texts costs far more
            # than the index (48 ms against 2 ms for a rare word on ten years of notes).
            cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(
                f"WITH matches (id, week, position, total) AS MATERIALIZED ({sql}) "
                "SELECT id, total FROM matches ORDER BY week DESC, position LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            return cursor.fetchall()
        finally:
            if postgresql:
                cursor.execute("RESET enable_seqscan")


def search_public_notes(query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of matching public notes with a snippet each (three queries; five on
    PostgreSQL, which sets and resets a planner setting around the first)."""
    rows = _page_of_matches(query, limit=limit, offset=offset)
    total = rows[0][1] if rows else (public_notes_matching(query).count() if offset else 0)
    ids = [note_id for note_id, _ in rows]
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
