"""The two roles, 編集者 (editor) and 編集長 (chief editor), as groups with their permissions."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from editorial.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("papernotes", "0003_state_fields_fsm"),
        ("editorial", "0002_workflow_and_checks"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
