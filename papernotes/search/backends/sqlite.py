"""SQLite (``make run``): FTS5 tables with the ``trigram`` tokenizer, kept current by triggers.

``search_notetext_fts`` holds each note's title as its issue shows it (frozen at
publication), one-liner and 概要 (its own copy, written by the triggers);
``search_qa_fts`` and ``search_paper_fts`` are *external content* tables over the Q&A and
paper tables (they store only the index). Terms of three characters or more go to
``MATCH``; shorter ones to ``LIKE`` on the same rows. Matching follows the PostgreSQL
backend; the score (:mod:`papernotes.search.ranking`) is computed here, in Python, over the
candidates (a local database holds a few issues).
"""

from django.db import connection, connections
from django.db.models import QuerySet

from ..query import Term
from ..ranking import Tier, field_score

TRIGRAM = 3
NOTE_FTS = "search_notetext_fts"
NOTE_COLUMNS = ("title", "summary", "abstract_ja")
NOTE_VALUES = "coalesce(json_extract({row}.paper_as_shown_data, '$.title'), ''), {row}.summary, {row}.abstract_ja"

# External-content FTS table → (content table, indexed columns)
TABLES = {
    "search_qa_fts": ("papernotes_questionanswer", ("question", "answer")),
    "search_paper_fts": ("papernotes_paper", ("title",)),
}
# Tables of earlier versions, dropped by migrations.
LEGACY_TABLES = ("search_note_fts",)


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


def _note_table_sql() -> list[str]:
    """The notes' own FTS table (a copy of the shown title, one-liner and 概要) and its triggers."""
    cols = ", ".join(NOTE_COLUMNS)
    insert = f'INSERT INTO "{NOTE_FTS}"(rowid, {cols}) VALUES (new.id, {NOTE_VALUES.format(row="new")});'
    delete = f'DELETE FROM "{NOTE_FTS}" WHERE rowid = old.id;'
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS \"{NOTE_FTS}\" USING fts5({cols}, tokenize='trigram')",
        f'CREATE TRIGGER IF NOT EXISTS "{NOTE_FTS}_ai" AFTER INSERT ON "papernotes_note" BEGIN {insert} END',
        f'CREATE TRIGGER IF NOT EXISTS "{NOTE_FTS}_ad" AFTER DELETE ON "papernotes_note" BEGIN {delete} END',
        f'CREATE TRIGGER IF NOT EXISTS "{NOTE_FTS}_au" AFTER UPDATE OF summary, abstract_ja, paper_as_shown_data '
        f'ON "papernotes_note" BEGIN {delete} {insert} END',
        f'DELETE FROM "{NOTE_FTS}"',
        f'INSERT INTO "{NOTE_FTS}"(rowid, {cols}) SELECT n.id, {NOTE_VALUES.format(row="n")} FROM "papernotes_note" n',
    ]


def create_index_sql() -> list[str]:
    statements = _note_table_sql()
    for fts, (table, columns) in TABLES.items():
        statements.append(_create_table(fts, table, columns))
        statements.extend(_triggers(fts, table, columns))
        statements.append(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')
    return statements


def _drop_table_sql(fts: str) -> list[str]:
    return [f'DROP TRIGGER IF EXISTS "{fts}_{suffix}"' for suffix in ("ai", "ad", "au")] + [
        f'DROP TABLE IF EXISTS "{fts}"'
    ]


def drop_index_sql() -> list[str]:
    return [statement for fts in (NOTE_FTS, *TABLES) for statement in _drop_table_sql(fts)]


def drop_legacy_sql() -> list[str]:
    return [statement for fts in LEGACY_TABLES for statement in _drop_table_sql(fts)]


def ensure_index(sender=None, using: str = "default", **kwargs) -> None:
    """After ``migrate``: create missing FTS tables and triggers, then rebuild the index."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names(include_views=False))
    if not all(table in tables for table in ("papernotes_note", *(table for table, _ in TABLES.values()))):
        return  # the content tables are not migrated yet
    with connection.cursor() as cursor:
        for statement in create_index_sql():
            cursor.execute(statement)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(fts: str, columns: tuple[str, ...], terms: tuple[Term, ...]) -> tuple[str, list[str]]:
    """Every term in the FTS row (any of its columns)."""
    long_terms = [t for t in terms if all(len(v) >= TRIGRAM for v in t.variants)]
    short_terms = [t for t in terms if t not in long_terms]
    clauses, params = [], []
    if long_terms:
        clauses.append(f'"{fts}" MATCH %s')
        params.append(" AND ".join("(" + " OR ".join(_phrase(v) for v in t.variants) + ")" for t in long_terms))
    for term in short_terms:
        likes = [f"\"{fts}\".{c} LIKE %s ESCAPE '\\'" for c in columns for _ in term.variants]
        clauses.append("(" + " OR ".join(likes) + ")")
        params.extend(_like_pattern(v) for _ in columns for v in term.variants)
    return " AND ".join(clauses), params


def _ids(sql: str, params: list) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _lower(text: str) -> str:
    return text.lower()


def ranked_candidates(notes: QuerySet, terms: tuple[Term, ...], *, cap: int) -> list[tuple]:
    """Up to ``cap`` notes of ``notes`` that match, as (id, week, position, tier, score),
    gathered in the PostgreSQL backend's tier order."""
    where, params = _where(NOTE_FTS, NOTE_COLUMNS, terms)
    by_text = _ids(f'SELECT rowid FROM "{NOTE_FTS}" WHERE {where}', params)
    where, params = _where("search_paper_fts", TABLES["search_paper_fts"][1], terms)
    by_live_title = _ids(
        f'SELECT n."id" FROM "search_paper_fts" JOIN "papernotes_note" n ON n."paper_id" = "search_paper_fts".rowid '
        f"WHERE json_extract(n.paper_as_shown_data, '$.title') IS NULL AND {where}",
        params,
    )
    where, params = _where("search_qa_fts", TABLES["search_qa_fts"][1], terms)
    qa_rows = (
        'SELECT q."id" FROM "search_qa_fts" JOIN "papernotes_questionanswer" q '
        f'ON q."id" = "search_qa_fts".rowid WHERE {where}'
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "note_id", "question", "answer" FROM "papernotes_questionanswer" WHERE "id" IN ({qa_rows})', params
        )
        qa_texts: dict[int, list[str]] = {}
        for note_id, question, answer in cursor.fetchall():
            qa_texts.setdefault(note_id, []).append(_lower(f"{question}\n{answer}"))
    rows = notes.order_by().filter(id__in=by_text | by_live_title | set(qa_texts))
    found = []
    for note in rows:
        head = _lower(f"{note.paper_as_shown.title}\n{note.summary}")
        if note.id in by_text:
            tier = Tier.HEAD if all(any(v in head for v in t.variants) for t in terms) else Tier.TEXT
        else:
            tier = Tier.LIVE_TITLE if note.id in by_live_title else Tier.QA
        score = field_score(head, terms, "head") + field_score(_lower(note.abstract_ja), terms, "abstract")
        if tier == Tier.QA:
            score += field_score("\n".join(qa_texts[note.id]), terms, "qa")
        found.append((note.id, note.issue.week_start, note.position, int(tier), score))
    found.sort(key=lambda row: row[3])
    return found[:cap]
