"""``manage.py export_issue WEEK [-o FILE]``: write an issue in the blog's text format."""

import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.selectors import issue_for_export
from papernotes.textformat import render_issue


def _week(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(_("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=value)) from error


class Command(BaseCommand):
    help = _("週刊号をブログ形式のテキストで書き出します(-o がなければ標準出力へ)。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))
        parser.add_argument("-o", "--output", type=Path, help=_("書き出し先のファイル"))

    def handle(self, *args, week: str, output: Path | None, **options):
        week_start = _week(week)
        issue = issue_for_export(week_start=week_start)
        if issue is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        data = render_issue(issue).encode("utf-8")
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        try:
            output.write_bytes(data)
        except OSError as error:
            raise CommandError(
                _("{path} に書き込めません: {error}").format(path=output, error=error.strerror)
            ) from error
        self.stderr.write(_("{path} に書き出しました({size} バイト)").format(path=output, size=len(data)))
