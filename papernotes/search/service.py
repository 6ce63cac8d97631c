"""Search over public notes, with highlighted snippets. Shared by the search page and the API."""

import html
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from papernotes import selectors
from papernotes.models import Note, QuestionAnswer

from .backends import matched_note_ids_sql, postgresql
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
class MatchPage:
    """Ids of one page of matching notes, in order, and how many match in all."""

    ids: list[int]
    # The exact number of matches, or SEARCH_COUNT_LIMIT when there are more (total_is_capped).
    total: int
    total_is_capped: bool
    has_next: bool


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    hits: list[SearchHit]
    # The exact number of matches, or SEARCH_COUNT_LIMIT when there are more (total_is_capped).
    total: int
    total_is_capped: bool = False
    has_next: bool = False


def public_notes_matching(query: SearchQuery):
    """Public notes matching ``query``, newest issue first (a queryset: count it, slice it)."""
    return (
        selectors.public_notes()
        .filter(id__in=matched_note_ids_sql(query.terms))
        .order_by("-issue__week_start", "position")
    )


@contextmanager
def _planner_on_indexes():
    """On PostgreSQL, keep the planner on the n-gram indexes for the statements inside.

    The notes table is small enough that PostgreSQL prefers reading it whole, not knowing
    that LIKE on long Japanese texts costs far more than the index (48 ms against 2 ms for a
    rare word on ten years of notes), or that the bigram function is costly row by row (an
    API search for 評価 took 10 s that way).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            yield
        finally:
            cursor.execute("RESET enable_seqscan")


def _candidates(notes: QuerySet[Note], terms: tuple[str, ...], cap: int) -> list[tuple[int, object, int]]:
    """Up to ``cap`` matching notes of ``notes`` as (id, week, position), in no order.

    On PostgreSQL in three parts read one after the other (see
    :func:`postgresql.capped_candidates_sql`), so that a common word stops within the first.
    """
    fields = ("id", "issue__week_start", "position")
    if connection.vendor != "postgresql":
        matches = notes.filter(id__in=matched_note_ids_sql(terms)).order_by()
        return list(matches.values_list(*fields)[:cap])
    rows = notes.order_by().values_list(*fields, "paper_id")
    try:
        notes_sql, notes_params = rows.query.sql_with_params()
    except EmptyResultSet:  # notes.none(), e.g. an API filter that matches nothing
        return []
    sql, params = postgresql.capped_candidates_sql(notes_sql, notes_params, terms=terms, cap=cap)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _page_in_week_order(notes: QuerySet[Note], terms: tuple[str, ...], *, limit: int, offset: int) -> list[int]:
    """Ids of matching notes, newest issue first, from ``offset``, for many matches.

    PostgreSQL walks the notes in week order and checks each one on its row, stopping once
    the page is full: for a word in most notes, a few dozen rows rather than every match.
    """
    if connection.vendor == "postgresql":
        matches = notes.filter(postgresql.row_matches_sql(terms))
    else:
        matches = notes.filter(id__in=matched_note_ids_sql(terms))
    ordered = matches.order_by("-issue__week_start", "position").values_list("id", flat=True)
    return list(ordered[offset : offset + limit])


def page_of_matches(
    query: SearchQuery, *, notes: QuerySet[Note] | None = None, limit: int = 20, offset: int = 0
) -> MatchPage:
    """One page of the notes of ``notes`` (public notes by default) that match ``query``,
    newest issue first, then by position; the total is counted up to ``SEARCH_COUNT_LIMIT``.

    One query when at most SEARCH_COUNT_LIMIT notes match (they are sorted here), two above (the
    page is then read in week order); on PostgreSQL two more set and reset a planner setting.
    """
    notes = selectors.public_notes() if notes is None else notes
    with _planner_on_indexes():
        cap = settings.SEARCH_COUNT_LIMIT
        candidates = _candidates(notes, query.terms, cap + 1)
        if len(candidates) <= cap:
            candidates.sort(key=lambda row: (-row[1].toordinal(), row[2]))
            ids = [row[0] for row in candidates[offset : offset + limit]]
            return MatchPage(
                ids=ids, total=len(candidates), total_is_capped=False, has_next=offset + limit < len(candidates)
            )
        ids = _page_in_week_order(notes, query.terms, limit=limit + 1, offset=offset)
    return MatchPage(ids=ids[:limit], total=cap, total_is_capped=True, has_next=len(ids) > limit)


def search_public_notes(query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of matching public notes with a snippet each.

    Two to five queries: the page (see :func:`page_of_matches`), the notes, and the Q&A of
    those notes on the page that are matched by a Q&A pair, if any (for the snippet).
    """
    page = page_of_matches(query, limit=limit, offset=offset)
    notes = selectors.public_notes_by_ids(ids=page.ids, with_qas=False)
    ordered = [notes[note_id] for note_id in page.ids if note_id in notes]
    by_qa = [note.id for note in ordered if not _contains_all(_body(note), query.terms)]
    qas: dict[int, list[QuestionAnswer]] = {}
    for qa in selectors.public_qas_of_notes(note_ids=by_qa) if by_qa else ():
        qas.setdefault(qa.note_id, []).append(qa)
    hits = [_hit(note, query.terms, qas.get(note.id, [])) for note in ordered]
    return SearchPage(
        query=query, hits=hits, total=page.total, total_is_capped=page.total_is_capped, has_next=page.has_next
    )


def _body(note: Note) -> str:
    return f"{note.summary}\n{note.abstract_ja}"


def _contains_all(text: str, terms: tuple[str, ...]) -> bool:
    folded = normalise(text)
    return all(term in folded for term in terms)


def _hit(note: Note, terms: tuple[str, ...], qas: list[QuestionAnswer]) -> SearchHit:
    """Which text of the note matched, as a highlighted snippet (same rule as the backends).

    ``qas`` are the note's Q&A pairs by position, needed only when its own texts do not match."""
    body = _body(note)
    if _contains_all(body, terms):
        return SearchHit(note=note, qa=None, snippet=highlight(body, terms))
    for qa in qas:
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
