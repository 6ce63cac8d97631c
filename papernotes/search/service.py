"""Search over public notes, with highlighted snippets. Shared by the search page and the API."""

import hashlib
import html
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from papernotes import selectors
from papernotes.caching import public_version
from papernotes.models import Note, QuestionAnswer
from papernotes.stamps import Stamp

from .backends import ranked_candidates
from .query import SearchQuery, Term, normalise

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
        # JIT compilation would cost more than these statements (0.6 s): the bigram function's
        # high cost, which keeps the planner on its indexes, also passes jit_above_cost.
        cursor.execute("SET enable_seqscan = off; SET jit = off")
        try:
            yield
        finally:
            cursor.execute("RESET enable_seqscan; RESET jit")


def cache_key(query: SearchQuery, notes: QuerySet[Note], *, limit: int, offset: int, stamp: str) -> str | None:
    """The cache key of one page of matches: the normalised query, the notes searched (the
    API's other filters), the page and the version of public content. None when ``notes``
    is empty by construction (nothing to cache)."""
    try:
        sql, params = notes.order_by().query.sql_with_params()
    except EmptyResultSet:
        return None
    scope = "\x1f".join((query.key, sql, repr(params), str(limit), str(offset), stamp))
    return "search:" + hashlib.blake2b(scope.encode(), digest_size=16).hexdigest()


def page_of_matches(
    query: SearchQuery,
    *,
    notes: QuerySet[Note] | None = None,
    limit: int = 20,
    offset: int = 0,
    version: Stamp | None = None,
) -> MatchPage:
    """One page of the notes of ``notes`` (public notes by default) that match ``query``,
    most relevant first (:mod:`papernotes.search.ranking`); the total is counted up to
    ``SEARCH_COUNT_LIMIT``, and above it the ranking is of that many.

    One query (on PostgreSQL two more set and reset a planner setting), whatever the number
    of matches: the candidates are gathered and scored in the database, sorted here. The
    page is kept ``SEARCH_CACHE_TIMEOUT`` seconds under the version of public content
    (``version``, else read: one more query).
    """
    notes = selectors.public_notes() if notes is None else notes
    version = version or public_version()
    key = cache_key(query, notes, limit=limit, offset=offset, stamp=version.stamp)
    page = cache.get(key) if key else None
    if page is None:
        page = _page_of_matches(query, notes, limit=limit, offset=offset, stamp=version.stamp)
        if key:
            cache.set(key, page, settings.SEARCH_CACHE_TIMEOUT)
    return page


def _page_of_matches(query: SearchQuery, notes: QuerySet[Note], *, limit: int, offset: int, stamp: str) -> MatchPage:
    cap = settings.SEARCH_COUNT_LIMIT
    with _planner_on_indexes():
        rows = ranked_candidates(notes, query.terms, cap=cap + 1, stamp=stamp)
    # Scores are rounded so that equal ones compare equal whichever backend computed them.
    rows = sorted(rows, key=lambda row: (-round(row[4], 6), -row[1].toordinal(), row[2]))
    capped = len(rows) > cap
    rows = rows[:cap]
    ids = [row[0] for row in rows[offset : offset + limit]]
    return MatchPage(ids=ids, total=len(rows), total_is_capped=capped, has_next=offset + limit < len(rows))


def search_public_notes(
    query: SearchQuery, *, limit: int = 20, offset: int = 0, version: Stamp | None = None
) -> SearchPage:
    """One page of matching public notes with a snippet each.

    Two to five queries: the page (see :func:`page_of_matches`), the notes, and the Q&A of
    those notes on the page that are matched by a Q&A pair, if any (for the snippet).
    """
    page = page_of_matches(query, limit=limit, offset=offset, version=version)
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


def _contains_all(text: str, terms: tuple[Term, ...]) -> bool:
    folded = normalise(text)
    return all(any(variant in folded for variant in term.variants) for term in terms)


def _hit(note: Note, terms: tuple[Term, ...], qas: list[QuestionAnswer]) -> SearchHit:
    """Which text of the note matched, as a highlighted snippet (same rule as the backends).

    ``qas`` are the note's Q&A pairs by position, needed only when its own texts do not match."""
    body = _body(note)
    if _contains_all(body, terms):
        return SearchHit(note=note, qa=None, snippet=highlight(body, terms))
    for qa in qas:
        if _contains_all(f"{qa.question}\n{qa.answer}", terms):
            return SearchHit(note=note, qa=qa, snippet=highlight(f"Q: {qa.question}\nA: {qa.answer}", terms))
    return SearchHit(note=note, qa=None, snippet=highlight(body, terms))  # matched on the title


def highlight(text: str, terms: tuple[Term, ...]) -> SafeString:
    """An escaped excerpt of ``text`` around the first match, every match in ``<mark>``.

    Matching is on the NFKC, case-folded text; both have the same length for the Japanese
    and ASCII texts we hold, and where they do not, the excerpt is simply not highlighted.
    """
    text = re.sub(r"\s+", " ", text).strip()
    folded = normalise(text)
    aligned = len(folded) == len(text)
    spans = []
    if aligned:
        for variant in {variant for term in terms for variant in term.variants}:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(variant), folded)]
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
