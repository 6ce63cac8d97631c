"""``manage.py pipeline_status WEEK``: each paper's progress through ingestion and drafting."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.drafting.selectors import issue_call_totals
from papernotes.ingestion.selectors import issue_pipeline


def week_argument(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(_("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=value)) from error


class Command(BaseCommand):
    help = _("週刊号の各論文の取り込みと下書きの状況を表示します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))

    def handle(self, *args, week: str, **options):
        week_start = week_argument(week)
        pipeline = issue_pipeline(week_start=week_start)
        if pipeline is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        self.stdout.write(f"{pipeline.issue.title}  {pipeline.progress}%  {pipeline.counts_label}")
        totals = issue_call_totals(issue_id=pipeline.issue.pk)
        if totals.calls:
            self.stdout.write(
                "  "
                + _(
                    "LLM: 呼び出し {calls} 回、入力 {input} トークン(うちキャッシュ {cached})、"
                    "出力 {output} トークン、{cost} USD"
                ).format(
                    calls=totals.calls,
                    input=totals.input_tokens,
                    cached=totals.cached_input_tokens,
                    output=totals.output_tokens,
                    cost=f"{totals.cost_usd:.4f}",
                )
            )
        for row in pipeline.rows:
            bar = "#" * (row.progress // 10) + "." * (10 - row.progress // 10)
            line = (
                f"  {row.position:>2}. {row.arxiv_id:<16} [{bar}] {row.progress:>3}%  "
                f"{row.stage_label} / {row.state_label}  " + _("試行 {attempts} 回").format(attempts=row.attempts)
            )
            if row.calls:
                line += "  " + _("LLM {calls} 回 {cost} USD").format(calls=row.calls, cost=f"{row.cost_usd:.4f}")
            if row.seconds is not None:
                line += f"  {row.seconds:.1f}s"
            self.stdout.write(line)
            if row.retry_note:
                self.stdout.write(f"      {row.retry_note}")
            if row.last_error:
                self.stdout.write(f"      {row.last_error}")
