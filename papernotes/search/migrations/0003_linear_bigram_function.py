"""PostgreSQL: the bigram function becomes linear in the text's length (it was quadratic).

It returns exactly what the old one did (the same distinct bigrams, in the same order), so
the bigram indexes stay valid and are not rebuilt.
"""

from django.db import migrations


def replace_function(apps, schema_editor):
    from papernotes.search.backends import postgresql

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql.BIGRAM_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_bigram_index")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop, elidable=False)]
