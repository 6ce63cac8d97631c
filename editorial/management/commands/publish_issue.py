"""``manage.py publish_issue WEEK --user NAME [--at TIME] [--override REASON]``.

Publishes an issue now, or schedules it (``--at``, Japan time), through the same workflow
service as the admin's button: the user's role is checked, the guard applies (every note
approved, no blocking finding, unless ``--override`` gives a reason) and the action is
logged under that user. ``publish_issue --due`` publishes scheduled issues whose time has
come, as Celery beat does every minute.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.workflow import WorkflowError, issue_publish, issue_schedule, publish_due_issues
from papernotes.models import WeeklyIssue


class Command(BaseCommand):
    help = _("週刊号を今すぐ公開するか、公開を予約します(管理画面のボタンと同じ手続き)。")

    def add_arguments(self, parser):
        parser.add_argument("week", nargs="?", help=_("週の開始日(月曜日)、例: 2024-04-29"))
        parser.add_argument("--user", help=_("操作する編集長のユーザー名"))
        parser.add_argument("--at", help=_("公開予定日時(日本時間)、例: 2024-05-06T09:00"))
        parser.add_argument("--override", default="", help=_("未承認や要修正の指摘があっても公開する理由"))
        parser.add_argument("--due", action="store_true", help=_("予約の時刻を過ぎた号をすべて公開します"))

    def handle(self, *args, week, user, at, override, due, **options):
        if due:
            published = publish_due_issues()
            self.stdout.write(_("{count} 号を公開しました。").format(count=len(published)))
            return
        if not week or not user:
            raise CommandError(_("WEEK と --user を指定してください(または --due)。"))
        try:
            issue = WeeklyIssue.objects.get(week_start=datetime.date.fromisoformat(week))
        except (ValueError, WeeklyIssue.DoesNotExist) as error:
            raise CommandError(_("{week} の週刊号はありません").format(week=week)) from error
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(_("ユーザー {user} はいません").format(user=user))
        try:
            if at:
                publish_at = timezone.make_aware(datetime.datetime.fromisoformat(at))
                issue = issue_schedule(issue=issue, actor=actor, publish_at=publish_at, override_reason=override)
                self.stdout.write(_("{title} の公開を {at} に予約しました。").format(title=issue.title, at=at))
            else:
                issue = issue_publish(issue=issue, actor=actor, override_reason=override)
                self.stdout.write(_("{title} を公開しました。").format(title=issue.title))
        except ValueError as error:
            raise CommandError(_("--at は 2024-05-06T09:00 の形で指定してください")) from error
        except WorkflowError as error:
            raise CommandError(str(error)) from error
