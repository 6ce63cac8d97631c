"""PostgreSQL: character-bigram and ``pg_trgm`` trigram GIN indexes on the texts readers see,
candidates gathered tier by tier, checked and scored in SQL.

Two-character words are common in Japanese (評価, 推論) and have no trigram, so each text
has an index of its distinct character bigrams (``search_bigrams()``):
``search_bigrams(text) @> ARRAY['評価']`` is exactly "contains 評価", from the index alone,
and for a longer term "holds every bigram of it", a superset checked on the rows found. The
trigram indexes narrow a rare word whose bigrams are all common, and find notes by their
Q&A. A term with no trigram (「C++」) is looked up by all its bigrams. The expressions below
must stay exactly those of the indexes.

What is searched is what readers see: a note's title as its issue shows it (frozen at
publication, ``Note.paper_as_shown_data``) with its one-liner (``HEAD``), its 概要, and its
Q&A pairs; the paper's live title only for a note that has no frozen copy (it shows the
live one).
"""

import functools
import re
from collections import OrderedDict

from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from ..query import Term
from ..ranking import FIELD_WEIGHTS, Tier

NOTE = '"papernotes_note"'
FROZEN_TITLE = f"({NOTE}.\"paper_as_shown_data\" ->> 'title')"
HEAD = f"(coalesce({FROZEN_TITLE}, '') || E'\\n' || {NOTE}.\"summary\")"
ABSTRACT = f'({NOTE}."abstract_ja")'
QA_TEXT = '("papernotes_questionanswer"."question" || E\'\\n\' || "papernotes_questionanswer"."answer")'
PAPER_TEXT = '("papernotes_paper"."title")'

INDEXES = {
    "search_note_head_trgm": ("papernotes_note", HEAD),
    "search_note_abstract_trgm": ("papernotes_note", ABSTRACT),
    "search_qa_text_trgm": ("papernotes_questionanswer", QA_TEXT),
    "search_paper_title_trgm": ("papernotes_paper", PAPER_TEXT),
}
BIGRAM_INDEXES = {
    "search_note_head_bigram": ("papernotes_note", HEAD),
    "search_note_abstract_bigram": ("papernotes_note", ABSTRACT),
    "search_qa_text_bigram": ("papernotes_questionanswer", QA_TEXT),
    "search_paper_title_bigram": ("papernotes_paper", PAPER_TEXT),
}

BIGRAM = 2
TRIGRAM = 3


def _has_case(text: str) -> bool:
    # ILIKE folds case for every row it reads, several times slower than LIKE on Japanese
    # text; a term without letters that have case needs no folding (the index serves both).
    return text.lower() != text.upper()


def bigrams(text: str) -> list[str]:
    return sorted({text[i : i + BIGRAM] for i in range(len(text) - 1)})


def _params(parts: list[tuple[str, list]]) -> list:
    return [param for _, params in parts for param in params]


# --- conditions ---------------------------------------------------------------------------
# Two kinds: "may contain" reads only a bigram index (every bigram of a spelling is in the
# text: exact for a two-character term); "contains" reads the text (strpos, which no index
# answers, so the planner never swaps it for a scan of a whole index). Statements find rows
# by the first, each in a subquery of its own so that the planner can only answer it from
# its index (computing ``search_bigrams()`` row by row is what an index is for: 4 s on ten
# years of notes), and check the second on the rows found, as few as a page needs.


def _may_contain_sql(table: str, column: str, expression: str, term: Term) -> tuple[str, list]:
    """Ids (``column`` of ``table``) whose ``expression`` may contain ``term``: from the bigram index."""
    selects = [f'SELECT {column} FROM "{table}" WHERE search_bigrams({expression}) @> %s::text[]'] * len(term.variants)
    return " UNION ".join(selects), [bigrams(variant) for variant in term.variants]


def may_contain_all(table: str, column: str, expressions: tuple[str, ...], terms: tuple[Term, ...]) -> tuple[str, list]:
    """Ids whose texts (any of ``expressions``, term by term) may contain every term."""
    per_term = []
    for term in terms:
        parts = [_may_contain_sql(table, column, expression, term) for expression in expressions]
        per_term.append(("(" + " UNION ".join(sql for sql, _ in parts) + ")", _params(parts)))
    return " INTERSECT ".join(f"SELECT * FROM {sql} AS t{i}" for i, (sql, _) in enumerate(per_term)), _params(per_term)


def _needs_check(term: Term) -> bool:
    return any(len(variant) != BIGRAM for variant in term.variants)


def _pattern(term: Term) -> str:
    """The term's spellings as one regular expression (for terms with letters that have case)."""
    return "|".join(re.escape(variant) for variant in term.variants)


def contains(expression: str, term: Term) -> tuple[str, list]:
    """``expression`` contains one of the term's spellings (read from the text). Letters
    with case are matched by a case-insensitive regular expression: lower() of a long
    Japanese text costs ten times a search through it."""
    if _has_case(term.text):
        return f"({expression} ~* %s)", [_pattern(term)]
    checks = [(f"strpos({expression}, %s) > 0", [variant]) for variant in term.variants]
    return "(" + " OR ".join(sql for sql, _ in checks) + ")", _params(checks)


def contains_all(expressions: tuple[str, ...], terms: tuple[Term, ...]) -> tuple[str, list]:
    """Every term in one of ``expressions`` (checked only for terms the bigram index does not settle)."""
    parts = []
    for term in terms:
        if not _needs_check(term):
            continue
        checks = [contains(expression, term) for expression in expressions]
        parts.append(("(" + " OR ".join(sql for sql, _ in checks) + ")", _params(checks)))
    if not parts:
        return "true", []
    return "(" + " AND ".join(sql for sql, _ in parts) + ")", _params(parts)


# --- scores -------------------------------------------------------------------------------


def _count(expression: str, variant: str) -> tuple[str, list]:
    """Occurrences of ``variant`` in ``expression`` (bytes removed by replace(), over its length)."""
    return f"((octet_length({expression}) - octet_length(replace({expression}, %s, ''))) / octet_length(%s))", [
        variant,
        variant,
    ]


def frequency(expression: str, term: Term) -> tuple[str, list]:
    """How many times the term (any spelling) occurs in ``expression``."""
    if _has_case(term.text):
        return f"regexp_count({expression}, %s, 1, 'i')", [_pattern(term)]
    counts = [_count(expression, variant) for variant in term.variants]
    return "(" + " + ".join(sql for sql, _ in counts) + ")", _params(counts)


def _weighted(expression: str, terms: tuple[Term, ...], weight: float) -> tuple[str, list]:
    parts = [frequency(expression, term) for term in terms]
    sql = " + ".join(f"{weight} * ln(1 + {frequency_sql})" for frequency_sql, _ in parts)
    return f"({sql})", _params(parts)


SHOWN_HEAD = (
    f'(coalesce({FROZEN_TITLE}, (SELECT "papernotes_paper"."title" FROM "papernotes_paper" '
    f'WHERE "papernotes_paper"."id" = {NOTE}."paper_id"), \'\') || E\'\\n\' || {NOTE}."summary")'
)


def note_score(terms: tuple[Term, ...], head: str = SHOWN_HEAD, abstract: str = ABSTRACT) -> tuple[str, list]:
    """The score of the note's own texts (see :mod:`papernotes.search.ranking`)."""
    head, head_params = _weighted(head, terms, FIELD_WEIGHTS["head"])
    abstract, abstract_params = _weighted(abstract, terms, FIELD_WEIGHTS["abstract"])
    return f"({head} + {abstract})", [*head_params, *abstract_params]


# --- candidates, tier by tier -------------------------------------------------------------

_WEEK = '(SELECT "week_start" FROM "papernotes_weeklyissue" WHERE "papernotes_weeklyissue"."id" = {note}."issue_id")'


def _raw(sql: str, params: list, boolean: bool = False) -> RawSQL:
    return RawSQL(sql, params, output_field=BooleanField()) if boolean else RawSQL(sql, params)


def _checked(cursor, sql: str, params_before: list, params_after: list, ids: list[int], want: int) -> list[tuple]:
    """Rows of ``sql`` for ``ids`` (in their order), read chunk by chunk until ``want`` are found.

    ``sql`` takes the chunk of ids between ``params_before`` and ``params_after``, and returns
    (id, …) for the ids that really match; a chunk is as long as the rows still wanted (with
    a margin): a common word is settled in one chunk, a rare one reads only its candidates.
    """
    found: list[tuple] = []
    position = 0
    while True:  # one statement at least, even for no ids: as many queries for few notes as for many
        size = max(want - len(found), CHUNK_MIN)
        chunk = ids[position : position + size]
        position += size
        cursor.execute(sql, [*params_before, chunk, *params_after])
        by_id = {row[0]: row for row in cursor.fetchall()}
        found += [by_id[note_id] for note_id in chunk if note_id in by_id]
        if position >= len(ids) or len(found) >= want:
            return found[:want]


# Ids checked at least per statement (a chunk of fewer costs a round trip for little).
CHUNK_MIN = 50


# The chunk statements read each text once: the subquery (kept apart by OFFSET 0) copies it
# out of its compressed storage, and every check and count works on that copy (each use of
# the column itself would decompress it again).
_TEXT_CHUNK_SQL = (
    "SELECT c.id, c.week, c.position, %s, {score} FROM (SELECT s.id, s.week, s.position, {counts} FROM ("
    f'SELECT {NOTE}."id", {_WEEK.format(note=NOTE)} AS week, {NOTE}."position", {SHOWN_HEAD} AS h, '
    f'{ABSTRACT} || \'\' AS a FROM "papernotes_note" WHERE {NOTE}."id" = ANY(%s) OFFSET 0) AS s OFFSET 0) AS c '
    "WHERE {check}"
)


def _text_chunk_sql(terms: tuple[Term, ...], *, in_abstract: bool) -> tuple[str, list, list]:
    """The chunk statement of the note's own texts: each term counted once per field (the
    counts both decide whether the note matches and score it). Returns the statement and the
    parameters before and after the chunk of ids."""
    counts, count_params, score, check = [], [], [], []
    for number, term in enumerate(terms):
        for field, column in (("h", "s.h"), ("a", "s.a")):
            sql, params = frequency(column, term)
            counts.append(f"{sql} AS {field}{number}")
            count_params += params
        score.append(
            f"{FIELD_WEIGHTS['head']} * ln(1 + c.h{number}) + {FIELD_WEIGHTS['abstract']} * ln(1 + c.a{number})"
        )
        check.append(f"(c.h{number} > 0 OR c.a{number} > 0)" if in_abstract else f"c.h{number} > 0")
    sql = _TEXT_CHUNK_SQL.format(score=" + ".join(score), counts=", ".join(counts), check=" AND ".join(check))
    return sql, count_params, []


_QA_CHUNK_SQL = (
    f'SELECT {NOTE}."id", {_WEEK.format(note=NOTE)}, {NOTE}."position", %s, {{score}} + qa.score '
    'FROM "papernotes_note" JOIN (SELECT q.note_id, {qa_score} AS score FROM ('
    f'SELECT "note_id", {QA_TEXT} AS t FROM "papernotes_questionanswer" WHERE "note_id" = ANY(%s) OFFSET 0) AS q '
    f'WHERE {{check}} GROUP BY q.note_id) AS qa ON qa.note_id = {NOTE}."id"'
)


def _has_trigram(text: str) -> bool:
    """Whether ``pg_trgm`` finds a trigram in ``text``: a run of three letters, digits, kana or kanji."""
    run = 0
    for character in text:
        run = run + 1 if character.isalnum() else 0
        if run >= TRIGRAM:
            return True
    return False


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _found_by_index(expression: str, term: Term) -> tuple[str, list]:
    """``expression`` contains the term, through the index that narrows it most: trigrams
    (LIKE, checked on the rows the index gives), else the bigram index (exact for two
    characters; for a term like 「C++」 with every bigram, then checked on those rows)."""
    parts = []
    for variant in term.variants:
        if _has_trigram(variant) and _has_case(variant):
            # pg_trgm answers a case-insensitive regular expression from the index too, and
            # checks it on a row faster than ILIKE
            parts.append((f"{expression} ~* %s", [re.escape(variant)]))
        elif _has_trigram(variant):
            parts.append((f"{expression} LIKE %s", [_like_pattern(variant)]))
        elif len(variant) == BIGRAM:
            parts.append((f"search_bigrams({expression}) @> %s::text[]", [[variant]]))
        else:
            check = f"{expression} ~* %s" if _has_case(variant) else f"strpos({expression}, %s) > 0"
            pattern = re.escape(variant) if _has_case(variant) else variant
            parts.append((f"(search_bigrams({expression}) @> %s::text[] AND {check})", [bigrams(variant), pattern]))
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", _params(parts)


def _note_ids_by_trigrams(cursor, terms: tuple[Term, ...], *, limit: int) -> set[int]:
    """Notes whose own texts hold every term, from the trigram indexes (at most ``limit``)."""
    conditions = []
    for term in terms:
        head, head_params = _found_by_index(HEAD, term)
        abstract, abstract_params = _found_by_index(ABSTRACT, term)
        conditions.append((f"({head} OR {abstract})", [*head_params, *abstract_params]))
    where = " AND ".join(sql for sql, _ in conditions)
    cursor.execute(f'SELECT {NOTE}."id" FROM "papernotes_note" WHERE {where} LIMIT %s', [*_params(conditions), limit])
    return {row[0] for row in cursor.fetchall()}


def _qa_note_ids(cursor, terms: tuple[Term, ...], limit: int) -> list[int]:
    """Notes with a Q&A pair holding every term, from the Q&A indexes (at most ``limit`` pairs read)."""
    conditions = [_found_by_index(QA_TEXT, term) for term in terms]
    where = " AND ".join(sql for sql, _ in conditions)
    cursor.execute(
        f'SELECT "note_id" FROM "papernotes_questionanswer" WHERE {where} LIMIT %s', [*_params(conditions), limit]
    )
    return list(dict.fromkeys(row[0] for row in cursor.fetchall()))


# Candidates checked first; when fewer than one in RARE_SHARE of them hold the terms, the
# rest are narrowed by the trigram indexes.
PROBE = 50
RARE_SHARE = 4

# Q&A pairs read to find notes by their Q&A, per note wanted (a note may have several), and
# beyond that, as many as there are notes not searched (drafts, the API's other filters).
QA_PAIRS_PER_NOTE = 3


# The ids of the notes searched, newest first, per version of public content: the same
# for every search until something public changes (a few recent scopes per process).
_orders: OrderedDict[tuple, list[int]] = OrderedDict()
ORDERS_KEPT = 8


def _order(notes: QuerySet, stamp: str | None) -> list[int]:
    ordered = notes.order_by("-issue__week_start", "position").values_list("id", flat=True)
    if stamp is None:
        return list(ordered)
    try:
        sql, params = ordered.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (an arXiv id no paper has)
        return []
    key = (stamp, sql, repr(params))
    order = _orders.get(key)
    if order is None:
        order = _orders[key] = list(ordered)
        while len(_orders) > ORDERS_KEPT:
            _orders.popitem(last=False)
    return order


def ranked_candidates(
    notes: QuerySet, terms: tuple[Term, ...], *, cap: int, cursor, stamp: str | None = None
) -> list[tuple]:
    """Up to ``cap`` notes of ``notes`` that match, as (id, week, position, tier, score).

    Gathered tier by tier (:class:`~papernotes.search.ranking.Tier`): notes whose shown
    title and one-liner hold every term; then notes whose own texts do (the title, one-liner
    or 概要, term by term); notes shown with their paper's live title; notes with a Q&A pair
    holding every term (scored with those pairs too). Candidates come from the bigram
    indexes alone; their texts are checked and scored newest first, chunk by chunk, and each
    tier stops at the cap, so a word in most notes reads about ``cap`` notes' texts.
    """
    order = _order(notes, stamp)
    found: dict[int, tuple] = {}

    def add(rows) -> None:
        for row in rows:
            if len(found) < cap:
                found.setdefault(row[0], row)

    @functools.cache
    def hidden() -> int:
        """Notes not searched (drafts, other weeks of an API filter): rows an index may give besides."""
        return notes.model.objects.count() - len(order)

    def candidates(may_contain: tuple[str, list]) -> list[int]:
        """``order``'s ids that may contain the terms (read from the indexes only), not yet found."""
        cursor.execute(*may_contain)
        ids = {row[0] for row in cursor.fetchall()}
        return [note_id for note_id in order if note_id in ids and note_id not in found]

    # 1. title and one-liner, 2. the note's own texts
    for tier, expressions in ((Tier.HEAD, (HEAD,)), (Tier.TEXT, (HEAD, ABSTRACT))):
        if len(found) >= cap:
            break
        ids = candidates(may_contain_all("papernotes_note", "id", expressions, terms))
        sql, count_params, check_params = _text_chunk_sql(terms, in_abstract=tier == Tier.TEXT)
        params = [int(tier), *count_params]
        probe = _checked(cursor, sql, params, check_params, ids[:PROBE], cap - len(found))
        add(probe)
        rest = ids[PROBE:]
        if rest and len(probe) * RARE_SHARE < PROBE and all(_has_trigram(v) for t in terms for v in t.variants):
            # Few of the candidates hold the term: a rare word whose bigrams are all common
            # (エージェント評価). The notes with its trigrams are few: check only those, when
            # there are no more than the cap.
            exact = _note_ids_by_trigrams(cursor, terms, limit=cap + hidden() + 1)
            if len(exact) <= cap + hidden():
                rest = [note_id for note_id in rest if note_id in exact]
        add(_checked(cursor, sql, params, check_params, rest, cap - len(found)))
    score_sql, score_params = note_score(terms)
    # 3. notes without a frozen title, by their paper's live title
    if len(found) < cap:
        title_check, title_params = contains_all((PAPER_TEXT,), terms)
        may_title = may_contain_all("papernotes_paper", "id", (PAPER_TEXT,), terms)
        papers = _raw(
            f'SELECT "id" FROM "papernotes_paper" WHERE "id" IN ({may_title[0]}) AND {title_check}',
            [*may_title[1], *title_params],
        )
        rows = (
            notes.filter(paper_id__in=papers, **{"paper_as_shown_data__title__isnull": True})
            .exclude(id__in=list(found))
            .order_by()
            .annotate(search_tier=_raw("%s", [int(Tier.LIVE_TITLE)]), search_score=_raw(score_sql, score_params))
            .values_list("id", "issue__week_start", "position", "search_tier", "search_score")
        )
        add(rows[: cap - len(found)])
    # 4. one Q&A pair
    if len(found) < cap:
        by_qa = set(_qa_note_ids(cursor, terms, (cap - len(found) + hidden()) * QA_PAIRS_PER_NOTE))
        ids = [note_id for note_id in order if note_id in by_qa and note_id not in found]
        check, check_params = contains_all(("q.t",), terms)
        sums = [frequency("q.t", term) for term in terms]
        qa_score = " + ".join(f"{FIELD_WEIGHTS['qa']} * ln(1 + sum({sql}))" for sql, _ in sums)
        sql = _QA_CHUNK_SQL.format(score=score_sql, qa_score=qa_score, check=check)
        params = [int(Tier.QA), *score_params, *_params(sums)]
        add(_checked(cursor, sql, params, check_params, ids, cap - len(found)))
    return list(found.values())


def create_index_sql() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    for name, (table, expression) in INDEXES.items():
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ({expression} gin_trgm_ops)')
    return statements


def drop_index_sql() -> list[str]:
    return [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES]


# Distinct bigrams of the lower-cased text. IMMUTABLE as an index needs (lower() follows
# the database's fixed collation). Linear in the text's length: the characters are split
# once and zipped with themselves shifted by one (``substr(t, i, 2)`` for every ``i`` walks
# the multibyte text from its start each time, and was quadratic: 5 s for 22,000 characters).
# Its cost tells the planner to read the bigram indexes rather than compute it row by row.
BIGRAM_FUNCTION = """
CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 100000 AS $$
  SELECT coalesce(array_agg(DISTINCT x || y) FILTER (WHERE y IS NOT NULL), '{}')
  FROM (SELECT string_to_array(lower(t), NULL) AS a) AS s, unnest(s.a, s.a[2:]) AS u(x, y)
$$
"""


def create_bigram_index_sql() -> list[str]:
    statements = [BIGRAM_FUNCTION]
    for name, (table, expression) in BIGRAM_INDEXES.items():
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (search_bigrams({expression}))')
    return statements


def drop_bigram_index_sql() -> list[str]:
    return [f'DROP INDEX IF EXISTS "{name}"' for name in BIGRAM_INDEXES] + [
        "DROP FUNCTION IF EXISTS search_bigrams(text)"
    ]
