"""SQLite: FTS5 tables with the ``trigram`` tokenizer over the note, Q&A and paper tables.

The FTS tables are *external content* tables (they store only the index and read the
text from the content tables), kept current by triggers on those tables. Terms of three
characters or more go to ``MATCH``; shorter ones to ``LIKE`` on the same rows.
"""

from django.db import connections
from django.db.models.expressions import RawSQL

# FTS table → (content table, indexed columns)
TABLES = {
    "search_note_fts": ("papernotes_note", ("summary", "abstract_ja")),
    "search_qa_fts": ("papernotes_questionanswer", ("question", "answer")),
    "search_paper_fts": ("papernotes_paper", ("title",)),
}
TRIGRAM = 3


def _create_table(fts: str, table: str, columns: tuple[str, ...]) -> str:
    return (
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5({", ".join(columns)}, '
        f"content='{table}', content_rowid='id', tokenize='trigram')"
    )


def _triggers(fts: str, table: str, columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f'INSERT INTO "{fts}"("{fts}", rowid, {cols}) VALUES (\'delete\', old.id, {old});'
    insert = f'INSERT INTO "{fts}"(rowid, {cols}) VALUES (new.id, {new});'
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ai" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ad" AFTER DELETE ON "{table}" BEGIN {delete} END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_au" AFTER UPDATE OF {cols} ON "{table}" BEGIN {delete} {insert} END',
    ]


def create_index_sql() -> list[str]:
    statements = []
    for fts, (table, columns) in TABLES.items():
        statements.append(_create_table(fts, table, columns))
        statements.extend(_triggers(fts, table, columns))
        statements.append(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')
    return statements


def drop_index_sql() -> list[str]:
    statements = []
    for fts in TABLES:
        statements += [f'DROP TRIGGER IF EXISTS "{fts}_{suffix}"' for suffix in ("ai", "ad", "au")]
        statements.append(f'DROP TABLE IF EXISTS "{fts}"')
    return statements


def ensure_index(sender=None, using: str = "default", **kwargs) -> None:
    """After ``migrate``: create missing FTS tables and triggers, then rebuild the index."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names(include_views=False))
    if not all(table in tables for table, _ in TABLES.values()):
        return  # the content tables are not migrated yet
    with connection.cursor() as cursor:
        for statement in create_index_sql():
            cursor.execute(statement)


def _match_expression(terms: tuple[str, ...]) -> str:
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(fts: str, columns: tuple[str, ...], terms: tuple[str, ...]) -> tuple[str, list[str]]:
    long_terms = tuple(t for t in terms if len(t) >= TRIGRAM)
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    clauses, params = [], []
    if long_terms:
        clauses.append(f'"{fts}" MATCH %s')
        params.append(_match_expression(long_terms))
    for term in short_terms:
        clauses.append("(" + " OR ".join(f"\"{fts}\".{c} LIKE %s ESCAPE '\\'" for c in columns) + ")")
        params.extend([_like_pattern(term)] * len(columns))
    return " AND ".join(clauses), params


def matched_note_ids_sql(terms: tuple[str, ...]) -> RawSQL:
    """A subquery of the ids of notes (any state) whose texts contain every term."""
    note_where, note_params = _where("search_note_fts", TABLES["search_note_fts"][1], terms)
    qa_where, qa_params = _where("search_qa_fts", TABLES["search_qa_fts"][1], terms)
    paper_where, paper_params = _where("search_paper_fts", TABLES["search_paper_fts"][1], terms)
    sql = (
        f'SELECT "search_note_fts".rowid FROM "search_note_fts" WHERE {note_where} '
        f'UNION SELECT q."note_id" FROM "search_qa_fts" JOIN "papernotes_questionanswer" q '
        f'ON q."id" = "search_qa_fts".rowid WHERE {qa_where} '
        f'UNION SELECT n."id" FROM "search_paper_fts" JOIN "papernotes_note" n '
        f'ON n."paper_id" = "search_paper_fts".rowid WHERE {paper_where}'
    )
    return RawSQL(sql, [*note_params, *qa_params, *paper_params])
