"""``manage.py draft_issue WEEK [--force]``: draft a week's notes with the LLM.

Notes already drafted (or being drafted) are left alone unless ``--force`` is given; an
editor's text is kept either way. The drafts are written by the Celery worker; follow
them with ``manage.py pipeline_status WEEK``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.drafting.services import DraftingError, issue_draft_start
from papernotes.management.commands.pipeline_status import week_argument
from papernotes.models import WeeklyIssue


class Command(BaseCommand):
    help = _("週刊号の論文ノートの下書きを LLM で作成します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))
        parser.add_argument(
            "--force", action="store_true", help=_("作成済みのノートも作り直します(編集者の文章は残ります)")
        )

    def handle(self, *args, week: str, force: bool, **options):
        week_start = week_argument(week)
        issue = WeeklyIssue.objects.filter(week_start=week_start).first()
        if issue is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        try:
            started = issue_draft_start(issue_id=issue.pk, force=force)
        except DraftingError as error:
            raise CommandError(str(error)) from error
        if started:
            self.stdout.write(
                self.style.SUCCESS(
                    _("{title}: {count} 本の論文の下書きを開始しました。").format(title=issue.title, count=len(started))
                )
            )
        else:
            self.stdout.write(
                _("{title}: 下書きを作る論文はありません(作成中または作成済み。作り直すには --force)。").format(
                    title=issue.title
                )
            )
        self.stdout.write(_("進み具合: python manage.py pipeline_status {week}").format(week=issue.week_start))
