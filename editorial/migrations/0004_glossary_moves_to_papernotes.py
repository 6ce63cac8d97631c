"""The glossary moves to the content core (``papernotes``): state only, tables kept."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('editorial', '0003_role_groups'),
        ('papernotes', '0009_glossary_moves_from_editorial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.DeleteModel(
            name='GlossaryEntry',
        ),
        migrations.DeleteModel(
            name='HistoricalGlossaryEntry',
        ),
            ],
            database_operations=[],
        ),
    ]
