"""PostgreSQL: ``pg_trgm`` GIN indexes on the note, Q&A and paper-title texts, and bigram
GIN indexes for two-character terms.

``LIKE``/``ILIKE '%term%'`` uses a trigram index for terms of three characters or more.
Two-character words are common in Japanese (評価, 推論) and have no trigram, so each text
also has an index of its distinct character bigrams (``search_bigrams()``, migration 0002):
``search_bigrams(text) @> ARRAY['評価']`` is exactly "contains 評価", from the index alone.
The expressions below must stay exactly those of the indexes.
"""

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

NOTE_TEXT = '("papernotes_note"."summary" || E\'\\n\' || "papernotes_note"."abstract_ja")'
QA_TEXT = '("papernotes_questionanswer"."question" || E\'\\n\' || "papernotes_questionanswer"."answer")'
PAPER_TEXT = '("papernotes_paper"."title")'

INDEXES = {
    "search_note_text_trgm": ("papernotes_note", NOTE_TEXT),
    "search_qa_text_trgm": ("papernotes_questionanswer", QA_TEXT),
    "search_paper_title_trgm": ("papernotes_paper", PAPER_TEXT),
}


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _operator(term: str) -> str:
    # ILIKE folds case for every row it reads, several times slower than LIKE on Japanese
    # text; a term without letters that have case needs no folding (the index serves both).
    return "LIKE" if term.lower() == term.upper() else "ILIKE"


BIGRAM = 2


def _all_terms(expression: str, terms: tuple[str, ...]) -> tuple[str, list[str]]:
    """Every term in ``expression``: through the trigram index when a term has three
    characters or more (shorter ones are then checked with LIKE on the rows it found), else
    through the bigram index, which answers "contains all these two-character words" alone.
    The bigram function is never evaluated row by row: computing it is the index's job."""
    if all(len(term) == BIGRAM for term in terms):
        return f"search_bigrams({expression}) @> %s::text[]", [[term.lower() for term in terms]]
    return " AND ".join(f"{expression} {_operator(t)} %s" for t in terms), [like_pattern(t) for t in terms]


def _match_conditions(terms: tuple[str, ...]) -> tuple[tuple[str, list], tuple[str, list], tuple[str, list]]:
    """(where, params) on a note's own texts, on its Q&A pairs and on its paper's title."""
    return _all_terms(NOTE_TEXT, terms), _all_terms(QA_TEXT, terms), _all_terms(PAPER_TEXT, terms)


def matched_note_ids_sql(terms: tuple[str, ...]) -> RawSQL:
    """A subquery of the ids of notes (any state) whose texts contain every term."""
    (note_where, note_params), (qa_where, qa_params), (paper_where, paper_params) = _match_conditions(terms)
    sql = (
        f'SELECT "papernotes_note"."id" FROM "papernotes_note" WHERE {note_where} '
        f'UNION SELECT "papernotes_questionanswer"."note_id" FROM "papernotes_questionanswer" WHERE {qa_where} '
        f'UNION SELECT "papernotes_note"."id" FROM "papernotes_note" JOIN "papernotes_paper" '
        f'ON "papernotes_paper"."id" = "papernotes_note"."paper_id" WHERE {paper_where}'
    )
    return RawSQL(sql, [*note_params, *qa_params, *paper_params])


def _like_all(expression: str, terms: tuple[str, ...]) -> tuple[str, list[str]]:
    """Every term in ``expression``, checked on the row (no index): for rows already found."""
    return " AND ".join(f"{expression} {_operator(t)} %s" for t in terms), [like_pattern(t) for t in terms]


# The conditions below are on the rows of a ``Note`` queryset and name its table: they are
# for querysets of notes that do not join the notes table a second time.
NOTE_ROW = '"papernotes_note"'


def title_contains_sql(terms: tuple[str, ...]) -> RawSQL:
    """The note's paper title contains every term, checked for that one paper."""
    where, params = _like_all(PAPER_TEXT, terms)
    return RawSQL(
        f'COALESCE((SELECT true FROM "papernotes_paper" WHERE "papernotes_paper"."id" = {NOTE_ROW}."paper_id" '
        f"AND {where}), false)",
        params,
        output_field=BooleanField(),
    )


def capped_candidates_sql(notes_sql: str, notes_params, *, terms: tuple[str, ...], cap: int) -> tuple[str, list]:
    """Up to ``cap`` rows of ``notes_sql`` (a query of notes' id, week, position and paper id)
    whose note matches, in three parts read one after the other, so that a common word stops
    within the first: notes whose own texts match, then notes matched by their paper's title
    only, then notes matched by a Q&A pair only. Each index is read once (the CTEs)."""
    (note_where, note_params), (qa_where, qa_params), (paper_where, paper_params) = _match_conditions(terms)
    sql = (
        f'WITH by_text AS MATERIALIZED (SELECT "papernotes_note"."id" FROM "papernotes_note" WHERE {note_where}), '
        f'by_title AS MATERIALIZED (SELECT "papernotes_paper"."id" FROM "papernotes_paper" WHERE {paper_where}), '
        f'by_qa AS MATERIALIZED (SELECT "papernotes_questionanswer"."note_id" AS id FROM "papernotes_questionanswer" '
        f"WHERE {qa_where}), "
        f"notes (id, week, position, paper_id) AS NOT MATERIALIZED ({notes_sql}) "
        "SELECT id, week, position FROM notes WHERE id IN (SELECT id FROM by_text) "
        "UNION ALL SELECT id, week, position FROM notes WHERE paper_id IN (SELECT id FROM by_title) "
        "AND id NOT IN (SELECT id FROM by_text) "
        "UNION ALL SELECT id, week, position FROM notes WHERE id IN (SELECT id FROM by_qa) "
        "AND id NOT IN (SELECT id FROM by_text) AND paper_id NOT IN (SELECT id FROM by_title) "
        "LIMIT %s"
    )
    return sql, [*note_params, *paper_params, *qa_params, *notes_params, cap]


def row_matches_sql(terms: tuple[str, ...]) -> RawSQL:
    """The note matches (its texts, its paper's title or one of its Q&A pairs), checked on
    the note's row: for walking notes in week order, where a common word is found within a
    few notes. The title and Q&A are scalar subqueries, evaluated only for a note whose own
    texts do not match (an ``EXISTS`` here may be planned as a hash of every matching Q&A)."""
    note_where, note_params = _like_all(NOTE_TEXT, terms)
    title = title_contains_sql(terms)
    qa_where, qa_params = _like_all(QA_TEXT, terms)
    return RawSQL(
        f'(({note_where}) OR {title.sql} OR COALESCE((SELECT true FROM "papernotes_questionanswer" '
        f'WHERE "papernotes_questionanswer"."note_id" = {NOTE_ROW}."id" AND {qa_where} LIMIT 1), false))',
        [*note_params, *title.params, *qa_params],
        output_field=BooleanField(),
    )


def create_index_sql() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    for name, (table, expression) in INDEXES.items():
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ({expression} gin_trgm_ops)')
    return statements


def drop_index_sql() -> list[str]:
    return [f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES]


# Distinct bigrams of the lower-cased text. IMMUTABLE as an index needs (lower() follows
# the database's fixed collation).
BIGRAM_FUNCTION = """
CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
  FROM generate_series(1, char_length(t) - 1) AS i
$$
"""
BIGRAM_INDEXES = {
    "search_note_text_bigram": ("papernotes_note", NOTE_TEXT),
    "search_qa_text_bigram": ("papernotes_questionanswer", QA_TEXT),
    "search_paper_title_bigram": ("papernotes_paper", PAPER_TEXT),
}


def create_bigram_index_sql() -> list[str]:
    statements = [BIGRAM_FUNCTION]
    for name, (table, expression) in BIGRAM_INDEXES.items():
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (search_bigrams({expression}))')
    return statements


def drop_bigram_index_sql() -> list[str]:
    return [f'DROP INDEX IF EXISTS "{name}"' for name in BIGRAM_INDEXES] + [
        "DROP FUNCTION IF EXISTS search_bigrams(text)"
    ]
