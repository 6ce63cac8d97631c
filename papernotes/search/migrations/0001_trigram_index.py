"""The search index: pg_trgm GIN indexes on PostgreSQL, FTS5 trigram tables on SQLite."""

from django.db import migrations


def create(apps, schema_editor):
    from papernotes.search.backends import postgresql, sqlite

    vendor = schema_editor.connection.vendor
    backend = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor)
    if backend is None:
        return
    for statement in backend.create_index_sql():
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    from papernotes.search.backends import postgresql, sqlite

    backend = {"postgresql": postgresql, "sqlite": sqlite}.get(schema_editor.connection.vendor)
    if backend is None:
        return
    for statement in backend.drop_index_sql():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("papernotes", "0002_workflow_states")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
