"""The glossary moves here from ``editorial``: state only, the tables keep their names.
Its content types (so its permissions and admin log rows) follow it."""

import django.db.models.deletion
import django.db.models.functions.text
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def relabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("glossaryentry", "historicalglossaryentry"):
        old = content_type.objects.filter(app_label="editorial", model=model).first()
        if old is None:
            continue
        # A type made for the new label meanwhile has no rows of its own yet.
        content_type.objects.filter(app_label="papernotes", model=model).delete()
        old.app_label = "papernotes"
        old.save(update_fields=["app_label"])


def restore_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("glossaryentry", "historicalglossaryentry"):
        content_type.objects.filter(app_label="papernotes", model=model).update(app_label="editorial")


class Migration(migrations.Migration):

    dependencies = [
        ('papernotes', '0008_passage_is_table'),
        ('editorial', '0003_role_groups'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='GlossaryEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('term', models.CharField(help_text='例: fine-tuning', max_length=200, verbose_name='用語(英語)')),
                    ('preferred', models.CharField(help_text='日本語での推奨表記。英語のまま書く場合は用語と同じにします。', max_length=200, verbose_name='推奨訳')),
                    ('forbidden_variants', models.JSONField(blank=True, default=list, help_text='避ける訳語・表記の一覧', verbose_name='使わない表記')),
                    ('note', models.TextField(blank=True, default='', verbose_name='メモ')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='作成日時')),
                    ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新日時')),
                ],
                options={
                    'verbose_name': '用語集の項目',
                    'verbose_name_plural': '用語集',
                    'db_table': 'editorial_glossaryentry',
                    'ordering': [django.db.models.functions.text.Lower('term')],
                    'constraints': [models.UniqueConstraint(django.db.models.functions.text.Lower('term'), name='glossary_unique_term_ci', violation_error_message='この用語は用語集に既にあります。'), models.CheckConstraint(condition=models.Q(('term', ''), _negated=True), name='glossary_term_not_empty'), models.CheckConstraint(condition=models.Q(('preferred', ''), _negated=True), name='glossary_preferred_not_empty')],
                },
            ),
            migrations.CreateModel(
                name='HistoricalGlossaryEntry',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('term', models.CharField(help_text='例: fine-tuning', max_length=200, verbose_name='用語(英語)')),
                    ('preferred', models.CharField(help_text='日本語での推奨表記。英語のまま書く場合は用語と同じにします。', max_length=200, verbose_name='推奨訳')),
                    ('forbidden_variants', models.JSONField(blank=True, default=list, help_text='避ける訳語・表記の一覧', verbose_name='使わない表記')),
                    ('note', models.TextField(blank=True, default='', verbose_name='メモ')),
                    ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='作成日時')),
                    ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='更新日時')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'historical 用語集の項目',
                    'verbose_name_plural': 'historical 用語集',
                    'db_table': 'editorial_historicalglossaryentry',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
