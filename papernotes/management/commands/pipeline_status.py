"""``manage.py pipeline_status WEEK``: each paper's ingestion stage, progress and last error."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.ingestion.selectors import issue_pipeline


class Command(BaseCommand):
    help = _("週刊号の各論文の取り込み状況を表示します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))

    def handle(self, *args, week: str, **options):
        try:
            week_start = datetime.date.fromisoformat(week)
        except ValueError as error:
            raise CommandError(
                _("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=week)
            ) from error
        pipeline = issue_pipeline(week_start=week_start)
        if pipeline is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        self.stdout.write(
            f"{pipeline.issue.title}  {pipeline.progress}%  "
            + _("完了 {done} / 失敗 {failed} / 全 {total}").format(
                done=pipeline.done, failed=pipeline.failed, total=pipeline.total
            )
        )
        for row in pipeline.rows:
            bar = "#" * (row.progress // 10) + "." * (10 - row.progress // 10)
            self.stdout.write(
                f"  {row.position:>2}. {row.arxiv_id:<16} [{bar}] {row.progress:>3}%  "
                f"{row.stage_label} / {row.status_label}  "
                + _("試行 {attempts} 回").format(attempts=row.attempts)
                + (f"  {row.seconds:.1f}s" if row.seconds is not None else "")
            )
            if row.last_error:
                self.stdout.write(f"      {row.last_error}")
