"""PostgreSQL: bigram GIN indexes, so that two-character terms are found from an index too."""

from django.db import migrations


def create(apps, schema_editor):
    from papernotes.search.backends import postgresql

    if schema_editor.connection.vendor == "postgresql":
        for statement in postgresql.create_bigram_index_sql():
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    from papernotes.search.backends import postgresql

    if schema_editor.connection.vendor == "postgresql":
        for statement in postgresql.drop_bigram_index_sql():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_trigram_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
