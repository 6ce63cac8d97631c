"""``manage.py draft_issue WEEK [--force] [--batch | --sync]``: draft a week's notes with the LLM.

Notes already drafted (or being drafted) are left alone unless ``--force`` is given; an
editor's text is kept either way. The drafts are written by the Celery worker; follow
them with ``manage.py pipeline_status WEEK``. ``--batch`` sends the week through the
OpenAI Batch API (about half the price, results within 24 hours, moved on by Celery
beat); ``--sync`` makes ordinary calls; without either, ``DRAFTING_MODE`` decides.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.drafting.batch import batch_mode_default
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
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--batch",
            action="store_const",
            const=True,
            dest="batch",
            help=_("OpenAI のバッチ API で作成します(約半額、結果は 24 時間以内。Celery beat が進めます)"),
        )
        mode.add_argument(
            "--sync", action="store_const", const=False, dest="batch", help=_("通常の API 呼び出しで作成します")
        )

    def handle(self, *args, week: str, force: bool, batch: bool | None = None, **options):
        week_start = week_argument(week)
        issue = WeeklyIssue.objects.filter(week_start=week_start).first()
        if issue is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        try:
            started = issue_draft_start(issue_id=issue.pk, force=force, batch=batch)
        except DraftingError as error:
            raise CommandError(str(error)) from error
        if started and (batch_mode_default() if batch is None else batch):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "{title}: {count} 本の論文の下書きを開始しました(バッチ API: 結果は 24 時間以内に届き、"
                        "Celery beat が反映します)。"
                    ).format(title=issue.title, count=len(started))
                )
            )
        elif started:
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
