"""``manage.py new_issue --week 2024-04-29 ID_OR_FILE...``: start a week's issue from a list.

Each argument is an arXiv id or URL, or a file holding ids or a pasted section of the
"ML Papers of the Week" list. Ingestion runs in the Celery worker; follow it with
``manage.py pipeline_status WEEK``.
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from papernotes.ingestion.services import IssueListError, issue_create_from_list


def _week(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(_("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=value)) from error


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(_("{path} を UTF-8 のテキストとして読めません").format(path=path)) from error


class Command(BaseCommand):
    help = _("arXiv ID や論文リストから週刊号の下書きを作り、取り込みを開始します。")

    def add_arguments(self, parser):
        parser.add_argument("--week", type=str, help=_("週の開始日(月曜日)。リストの見出しから分かる場合は省略可"))
        parser.add_argument("items", nargs="+", metavar="ID_OR_FILE")

    def handle(self, *args, week: str | None, items: list[str], **options):
        week_start = _week(week) if week else None
        # Each file is its own list (it may hold several weeks' sections); the ids given
        # on the command line together make one more. All of them, or none, are applied.
        ids = [item for item in items if not Path(item).is_file()]
        texts = [_read(Path(item)) for item in items if Path(item).is_file()]
        if ids:
            texts.append("\n".join(ids))
        try:
            with transaction.atomic():
                results = [issue_create_from_list(text=text, week_start=week_start) for text in texts]
        except IssueListError as error:
            raise CommandError(str(error)) from error
        for result in results:
            self.report(result)

    def report(self, result) -> None:
        issue = result.issue
        self.stdout.write(
            self.style.SUCCESS(
                _("{title}: {count} 本の論文を追加しました。").format(title=issue.title, count=len(result.added))
            )
        )
        for notice in result.notices:
            self.stdout.write(self.style.WARNING("  " + notice))
        for arxiv_id in result.already_in_issue:
            self.stdout.write(_("  既にこの号にあります: {id}").format(id=arxiv_id))
        for duplicate in result.duplicates:
            self.stdout.write(
                _("  重複をまとめました: {line} 行目 {id}").format(line=duplicate["line_no"], id=duplicate["arxiv_id"])
            )
        for rejected in result.rejected:
            self.stderr.write(
                _("  使えなかった行: {line} 行目 {title} — {reason}").format(
                    line=rejected["line_no"],
                    title=rejected.get("title") or rejected.get("text"),
                    reason=rejected["reason"],
                )
            )
        self.stdout.write(_("進み具合: python manage.py pipeline_status {week}").format(week=issue.week_start))
