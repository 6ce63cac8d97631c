"""PostgreSQL: ``pg_trgm`` GIN indexes and character-bigram GIN indexes on the texts readers
see, candidates gathered field by field, and the score computed in SQL.

``LIKE``/``ILIKE '%term%'`` uses a trigram index when the term has a run of three letters,
digits, kana or kanji. Two-character words are common in Japanese (評価, 推論) and have no
trigram, so each text also has an index of its distinct character bigrams
(``search_bigrams()``): ``search_bigrams(text) @> ARRAY['評価']`` is exactly "contains
評価", from the index alone. A term with no such run (「C++」) is looked up by all its
bigrams and then checked on the rows found (``strpos``, which no index answers, so the
planner cannot fall back on scanning a whole trigram index). The expressions below must
stay exactly those of the indexes.

What is searched is what readers see: a note's title as its issue shows it (frozen at
publication, ``Note.paper_as_shown_data``) with its one-liner (``HEAD``), its 概要, and its
Q&A pairs; the paper's live title only for a note that has no frozen copy (it shows the
live one).
"""

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


def contains(expression: str, term: Term) -> tuple[str, list]:
    """``expression`` contains one of the term's spellings (read from the text)."""
    checks = []
    for variant in term.variants:
        text = f"lower({expression})" if _has_case(variant) else expression
        checks.append((f"strpos({text}, %s) > 0", [variant]))
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
    text = f"lower({expression})" if _has_case(variant) else expression
    return f"((octet_length({text}) - octet_length(replace({text}, %s, ''))) / octet_length(%s))", [variant, variant]


def frequency(expression: str, term: Term) -> tuple[str, list]:
    """How many times the term (any spelling) occurs in ``expression``."""
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


def note_score(terms: tuple[Term, ...]) -> tuple[str, list]:
    """The score of the note's own texts (see :mod:`papernotes.search.ranking`)."""
    head, head_params = _weighted(SHOWN_HEAD, terms, FIELD_WEIGHTS["head"])
    abstract, abstract_params = _weighted(ABSTRACT, terms, FIELD_WEIGHTS["abstract"])
    return f"({head} + {abstract})", [*head_params, *abstract_params]


# --- candidates, tier by tier -------------------------------------------------------------

_WEEK = '(SELECT "week_start" FROM "papernotes_weeklyissue" WHERE "papernotes_weeklyissue"."id" = {note}."issue_id")'


def _raw(sql: str, params: list, boolean: bool = False) -> RawSQL:
    return RawSQL(sql, params, output_field=BooleanField()) if boolean else RawSQL(sql, params)


def _ordered_ids(notes: QuerySet, may_contain: tuple[str, list], exclude: set[int]) -> list[int]:
    """Ids of ``notes`` that may contain the terms, newest issue first (indexes only, no text read)."""
    rows = notes.filter(id__in=_raw(*may_contain)).order_by("-issue__week_start", "position")
    return [note_id for note_id in rows.values_list("id", flat=True) if note_id not in exclude]


def _checked(cursor, sql: str, params_before: list, params_after: list, ids: list[int], want: int) -> list[tuple]:
    """Rows of ``sql`` for ``ids`` (in their order), read chunk by chunk until ``want`` are found.

    ``sql`` takes the chunk of ids between ``params_before`` and ``params_after``, and returns
    (id, …) for the ids that really match; a chunk is as long as the rows still wanted (with
    a margin): a common word is settled in one chunk, a rare one reads only its candidates.
    """
    found: list[tuple] = []
    position = 0
    while position < len(ids) and len(found) < want:
        size = max(want - len(found), CHUNK_MIN)
        chunk = ids[position : position + size]
        position += size
        cursor.execute(sql, [*params_before, chunk, *params_after])
        by_id = {row[0]: row for row in cursor.fetchall()}
        found += [by_id[note_id] for note_id in chunk if note_id in by_id]
    return found[:want]


# Ids checked at least per statement (a chunk of fewer costs a round trip for little).
CHUNK_MIN = 50


def _note_rows(tier_sql: str) -> str:
    return (
        f'SELECT {NOTE}."id", {_WEEK.format(note=NOTE)}, {NOTE}."position", {tier_sql}, {{score}} '
        f'FROM "papernotes_note" WHERE {NOTE}."id" = ANY(%s) AND {{where}}'
    )


def ranked_candidates(notes: QuerySet, terms: tuple[Term, ...], *, cap: int, cursor) -> list[tuple]:
    """Up to ``cap`` notes of ``notes`` that match, as (id, week, position, tier, score).

    Gathered tier by tier (:class:`~papernotes.search.ranking.Tier`): notes whose shown
    title and one-liner hold every term; then, newest first, notes whose own texts do (the
    title, one-liner or 概要, term by term); notes shown with their paper's live title; notes
    with a Q&A pair holding every term (scored with those pairs too). Each tier stops at the
    cap, so a word in most notes reads about ``cap`` notes' texts, not every match.
    """
    score_sql, score_params = note_score(terms)
    found: dict[int, tuple] = {}

    def add(rows) -> None:
        for row in rows:
            if len(found) < cap:
                found.setdefault(row[0], row)

    # 1. title and one-liner (short texts: checked in the statement that finds them)
    head_check, head_params = contains_all((HEAD,), terms)
    may_head = may_contain_all("papernotes_note", "id", (HEAD,), terms)
    rows = (
        notes.filter(id__in=_raw(*may_head))
        .filter(_raw(head_check, head_params, boolean=True))
        .order_by()
        .annotate(search_tier=_raw("%s", [int(Tier.HEAD)]), search_score=_raw(score_sql, score_params))
        .values_list("id", "issue__week_start", "position", "search_tier", "search_score")
    )
    add(rows[:cap])
    # 2. the note's own texts, newest first
    if len(found) < cap:
        may_text = may_contain_all("papernotes_note", "id", (HEAD, ABSTRACT), terms)
        ids = _ordered_ids(notes, may_text, set(found))
        text_check, text_params = contains_all((HEAD, ABSTRACT), terms)
        sql = _note_rows("%s").format(score=score_sql, where=text_check)
        add(_checked(cursor, sql, [int(Tier.TEXT), *score_params], text_params, ids, cap - len(found)))
    # 3. notes without a frozen title, by their paper's live title
    if len(found) < cap:
        title_check, title_params = contains_all((PAPER_TEXT,), terms)
        may_title = may_contain_all("papernotes_paper", "id", (PAPER_TEXT,), terms)
        papers = _raw(
            f'SELECT "id" FROM "papernotes_paper" WHERE "id" IN ({may_title[0]}) AND {title_check}',
            [
                *may_title[1],
                *title_params,
            ],
        )
        rows = (
            notes.filter(paper_id__in=papers, **{"paper_as_shown_data__title__isnull": True})
            .exclude(id__in=list(found))
            .order_by()
            .annotate(search_tier=_raw("%s", [int(Tier.LIVE_TITLE)]), search_score=_raw(score_sql, score_params))
            .values_list("id", "issue__week_start", "position", "search_tier", "search_score")
        )
        add(rows[: cap - len(found)])
    # 4. one Q&A pair, newest first
    if len(found) < cap:
        may_qa = may_contain_all("papernotes_questionanswer", "note_id", (QA_TEXT,), terms)
        ids = _ordered_ids(notes, may_qa, set(found))
        qa_check, qa_params = contains_all((QA_TEXT,), terms)
        sums = [frequency(QA_TEXT, term) for term in terms]
        qa_score = " + ".join(f"{FIELD_WEIGHTS['qa']} * ln(1 + sum({sql}))" for sql, _ in sums)
        sql = (
            f'SELECT {NOTE}."id", {_WEEK.format(note=NOTE)}, {NOTE}."position", %s, {score_sql} + qa.score '
            f'FROM "papernotes_note" JOIN (SELECT "note_id", {qa_score} AS score FROM "papernotes_questionanswer" '
            f'WHERE "note_id" = ANY(%s) AND {qa_check} GROUP BY "note_id") AS qa ON qa."note_id" = {NOTE}."id"'
        )
        add(_checked(cursor, sql, [int(Tier.QA), *score_params, *_params(sums)], qa_params, ids, cap - len(found)))
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
