"""Existing DRF tokens (stored in plain text by rest_framework.authtoken) become hashed tokens.

Each key keeps working, now checked against its SHA-256 digest, and expires after
API_TOKEN_TTL_DAYS; the plain-text rows are deleted. The authtoken app is no longer
installed: its table, if any, is read with SQL and left empty.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

TABLE = "authtoken_token"


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("api", "ApiToken")
    quote = connection.ops.quote_name
    expires = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('user_id')}, {quote('created')} FROM {quote(TABLE)}")
        rows = cursor.fetchall()
        for key, user_id, created in rows:
            ApiToken.objects.create(
                user_id=user_id,
                name="移行したトークン",
                prefix=key[:10],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                created_at=created,
                expires_at=expires,
            )
        cursor.execute(f"DELETE FROM {quote(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_tokens")]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
