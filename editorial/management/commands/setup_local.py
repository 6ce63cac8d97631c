"""``manage.py setup_local``: prepare a local site (used by ``make run``).

Migrates the database, imports the sample issue once, and creates a local admin login
whose password is generated once and kept under ``var/``.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from editorial.imports import issue_import
from papernotes.models import WeeklyIssue
from papernotes.textformat import decode_issue_bytes, parse_issue_text

SAMPLE_ISSUE = settings.BASE_DIR / "sample_data" / "weekly-issue-2024-04-29.txt"
ADMIN_USERNAME = "admin"


def local_admin_password_file():
    return settings.VAR_DIR / "local-admin-password.txt"


class Command(BaseCommand):
    help = _("ローカル環境を準備します(マイグレーション、サンプル号の取り込み、管理者ログインの作成)。")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(_("setup_local はローカル開発用です(DEBUG=true で実行してください)。"))
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(_("データベースを準備しました。"))
        document = parse_issue_text(decode_issue_bytes(SAMPLE_ISSUE.read_bytes()))
        if not WeeklyIssue.objects.filter(week_start=document.week_start).exists():
            issue_import(document=document)
            self.stdout.write(_("サンプル号 {week} を取り込みました。").format(week=document.week_start))
        self.ensure_admin()

    def ensure_admin(self) -> None:
        password_file = local_admin_password_file()
        user_model = get_user_model()
        if password_file.exists() and user_model.objects.filter(username=ADMIN_USERNAME).exists():
            return
        password = secrets.token_urlsafe(12)
        user, _created = user_model.objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        self.stdout.write(_("ローカル用の管理者ログインを作成しました。"))
