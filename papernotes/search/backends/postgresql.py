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
TRIGRAM = 3


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _has_case(text: str) -> bool:
    # ILIKE folds case for every row it reads, several times slower than LIKE on Japanese
    # text; a term without letters that have case needs no folding (the index serves both).
    return text.lower() != text.upper()


def has_trigram(text: str) -> bool:
    """Whether ``pg_trgm`` finds a trigram in ``text``: a run of three word characters."""
    run = 0
    for character in text:
        run = run + 1 if character.isalnum() else 0
        if run >= TRIGRAM:
            return True
    return False


def bigrams(text: str) -> list[str]:
    return sorted({text[i : i + BIGRAM] for i in range(len(text) - 1)})


def _variant(expression: str, variant: str) -> tuple[str, list]:
    if has_trigram(variant):
        return f"{expression} {'ILIKE' if _has_case(variant) else 'LIKE'} %s", [like_pattern(variant)]
    if len(variant) == BIGRAM:
        return f"search_bigrams({expression}) @> %s::text[]", [[variant]]
    return (
        f"(search_bigrams({expression}) @> %s::text[] AND strpos(lower({expression}), %s) > 0)",
        [bigrams(variant), variant],
    )


def term_in(expression: str, term: Term) -> tuple[str, list]:
    """``expression`` contains one of the term's spellings."""
    conditions = [_variant(expression, variant) for variant in term.variants]
    sql = " OR ".join(condition for condition, _ in conditions)
    return f"({sql})", [param for _, params in conditions for param in params]


def _all(conditions: list[tuple[str, list]]) -> tuple[str, list]:
    return "(" + " AND ".join(sql for sql, _ in conditions) + ")", [p for _, params in conditions for p in params]


def all_in(expression: str, terms: tuple[Term, ...]) -> tuple[str, list]:
    """``expression`` contains every term."""
    return _all([term_in(expression, term) for term in terms])


def note_texts_match(terms: tuple[Term, ...]) -> tuple[str, list]:
    """Every term in the note's own texts: its shown title and one-liner, or its 概要."""
    conditions = []
    for term in terms:
        head, head_params = term_in(HEAD, term)
        abstract, abstract_params = term_in(ABSTRACT, term)
        conditions.append((f"({head} OR {abstract})", [*head_params, *abstract_params]))
    return _all(conditions)


def live_title_match(terms: tuple[Term, ...]) -> tuple[str, list]:
    """A note without a frozen title, whose paper's live title contains every term."""
    where, params = all_in(PAPER_TEXT, terms)
    return (
        f'({FROZEN_TITLE} IS NULL AND EXISTS (SELECT 1 FROM "papernotes_paper" '
        f'WHERE "papernotes_paper"."id" = {NOTE}."paper_id" AND {where}))',
        params,
    )


def qa_match(terms: tuple[Term, ...]) -> tuple[str, list]:
    """One of the note's Q&A pairs contains every term."""
    where, params = all_in(QA_TEXT, terms)
    return (
        f'({NOTE}."id" IN (SELECT "papernotes_questionanswer"."note_id" FROM "papernotes_questionanswer" '
        f"WHERE {where}))",
        params,
    )


def _boolean(sql: str, params: list) -> RawSQL:
    return RawSQL(sql, params, output_field=BooleanField())


def _count(expression: str, variant: str) -> tuple[str, list]:
    """Occurrences of ``variant`` in ``expression`` (bytes removed by replace(), over its length)."""
    text = f"lower({expression})" if _has_case(variant) else expression
    return f"((octet_length({text}) - octet_length(replace({text}, %s, ''))) / octet_length(%s))", [variant, variant]


def frequency(expression: str, term: Term) -> tuple[str, list]:
    """How many times the term (any spelling) occurs in ``expression``."""
    counts = [_count(expression, variant) for variant in term.variants]
    return "(" + " + ".join(sql for sql, _ in counts) + ")", [p for _, params in counts for p in params]


def _weighted(expression: str, terms: tuple[Term, ...], weight: float) -> tuple[str, list]:
    parts = [frequency(expression, term) for term in terms]
    sql = " + ".join(f"{weight} * ln(1 + {frequency_sql})" for frequency_sql, _ in parts)
    return f"({sql})", [p for _, params in parts for p in params]


SHOWN_HEAD = (
    f'(coalesce({FROZEN_TITLE}, (SELECT "papernotes_paper"."title" FROM "papernotes_paper" '
    f'WHERE "papernotes_paper"."id" = {NOTE}."paper_id"), \'\') || E\'\\n\' || {NOTE}."summary")'
)


def note_score(terms: tuple[Term, ...]) -> tuple[str, list]:
    """The score of the note's own texts (see :mod:`papernotes.search.ranking`)."""
    head, head_params = _weighted(SHOWN_HEAD, terms, FIELD_WEIGHTS["head"])
    abstract, abstract_params = _weighted(ABSTRACT, terms, FIELD_WEIGHTS["abstract"])
    return f"({head} + {abstract})", [*head_params, *abstract_params]


def qa_score(terms: tuple[Term, ...]) -> tuple[str, list]:
    """The score of the note's Q&A pairs that contain every term (read only for notes found by one)."""
    where, where_params = all_in(QA_TEXT, terms)
    parts = [frequency(QA_TEXT, term) for term in terms]
    sums = " + ".join(f"{FIELD_WEIGHTS['qa']} * ln(1 + coalesce(sum({sql}), 0))" for sql, _ in parts)
    params = [p for _, ps in parts for p in ps]
    return (
        f'(SELECT {sums} FROM "papernotes_questionanswer" '
        f'WHERE "papernotes_questionanswer"."note_id" = {NOTE}."id" AND {where})',
        [*params, *where_params],
    )


def ranked_candidates_sql(notes: QuerySet, terms: tuple[Term, ...], *, cap: int) -> tuple[str, list]:
    """Up to ``cap`` notes of ``notes`` that match, as (id, week, position, tier, score).

    Gathered tier by tier (:class:`~papernotes.search.ranking.Tier`), each stopping as
    soon as ``cap`` rows are found, so that a word in most notes reads a thousand rows, not
    every match: notes whose shown title and one-liner hold every term, then notes whose own
    texts do, then notes shown with their paper's live title, then notes found by one Q&A
    pair. The score is computed in the same statement, for those rows only.
    """
    text, text_params = note_texts_match(terms)
    head, head_params = all_in(HEAD, terms)
    live, live_params = live_title_match(terms)
    qa, qa_params = qa_match(terms)
    branches = [
        (Tier.HEAD, [(head, head_params)]),
        (Tier.TEXT, [(text, text_params), (f"NOT {head}", head_params)]),
        (Tier.LIVE_TITLE, [(live, live_params), (f"NOT {text}", text_params)]),
        (Tier.QA, [(qa, qa_params), (f"NOT {text}", text_params), (f"NOT {live}", live_params)]),
    ]
    note_sql, note_params = note_score(terms)
    qa_sql, qa_score_params = qa_score(terms)
    selects, params = [], []
    for tier, conditions in branches:
        rows = notes.order_by()
        for sql, condition_params in conditions:
            rows = rows.filter(_boolean(sql, condition_params))
        score = note_sql if tier != Tier.QA else f"{note_sql} + {qa_sql}"
        score_params = note_params if tier != Tier.QA else [*note_params, *qa_score_params]
        rows = rows.annotate(
            search_tier=RawSQL("%s", [int(tier)]), search_score=RawSQL(score, score_params)
        ).values_list("id", "issue__week_start", "position", "search_tier", "search_score")
        branch_sql, branch_params = rows.query.sql_with_params()
        selects.append(f"({branch_sql} LIMIT %s)")
        params += [*branch_params, cap]
    return " UNION ALL ".join(selects) + " LIMIT %s", [*params, cap]


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
BIGRAM_FUNCTION = """
CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
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
