"""Index what readers see, field by field: a note's title as its issue shows it (frozen at
publication) with its one-liner, and its 概要, each on its own (the ranking weighs them
apart), instead of the one-liner and 概要 together and the paper's live title only.

PostgreSQL: trigram and bigram indexes on the new expressions, the old note-text indexes
dropped (the paper-title ones stay: a note without a frozen title shows the live one).
SQLite: the notes' FTS table is replaced by one holding the shown title too.
"""

from django.db import migrations

NOTE_TEXT = '("papernotes_note"."summary" || E\'\\n\' || "papernotes_note"."abstract_ja")'
LEGACY_POSTGRESQL_INDEXES = {
    "search_note_text_trgm": f'CREATE INDEX IF NOT EXISTS "search_note_text_trgm" ON "papernotes_note" '
    f"USING gin ({NOTE_TEXT} gin_trgm_ops)",
    "search_note_text_bigram": f'CREATE INDEX IF NOT EXISTS "search_note_text_bigram" ON "papernotes_note" '
    f"USING gin (search_bigrams({NOTE_TEXT}))",
}
NEW_POSTGRESQL_INDEXES = (
    "search_note_head_trgm",
    "search_note_abstract_trgm",
    "search_note_head_bigram",
    "search_note_abstract_bigram",
)


def forwards(apps, schema_editor):
    from papernotes.search.backends import postgresql, sqlite

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in postgresql.create_index_sql() + postgresql.create_bigram_index_sql():
            schema_editor.execute(statement)
        for name in LEGACY_POSTGRESQL_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    elif vendor == "sqlite":
        for statement in sqlite.drop_legacy_sql() + sqlite.create_index_sql():
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in LEGACY_POSTGRESQL_INDEXES.values():
            schema_editor.execute(statement)
        for name in NEW_POSTGRESQL_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # SQLite: the search app's post_migrate handler rebuilds what the code in use expects.


class Migration(migrations.Migration):
    dependencies = [("search", "0003_linear_bigram_function")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
