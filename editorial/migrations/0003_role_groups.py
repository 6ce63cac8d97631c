"""The two roles, 編集者 (editor) and 編集長 (chief editor), as groups.

The groups and their permissions are kept in step with ``editorial.roles`` after every
``migrate`` (a ``post_migrate`` handler, ``EditorialConfig.ready``), so this migration,
which once created them, does nothing any more: its permission list would have gone
stale as models moved between apps.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("papernotes", "0003_state_fields_fsm"),
        ("editorial", "0002_workflow_and_checks"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
