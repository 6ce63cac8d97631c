"""``manage.py new_issue --week 2024-04-29 ID_OR_FILE...``: start a week's issue from a list.

Each argument is an arXiv id or URL, or a file holding ids or a pasted section of the
"ML Papers of the Week" list. An argument that looks like a path (a ``.md``/``.txt`` name, a
directory, or a path that is not an arXiv id or URL) but is not a readable file is an error
naming it, never an id. Ingestion runs in the Celery worker; follow it with
``manage.py pipeline_status WEEK``.
"""

import datetime
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from papernotes.ingestion.ids import InvalidArxivId, parse_arxiv_id
from papernotes.ingestion.services import IssueListError, issue_create_from_list

_LIST_SUFFIXES = (".md", ".markdown", ".txt")


def _week(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(_("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=value)) from error


def _is_file_argument(item: str) -> bool:
    """Whether ``item`` names a file; raise when it looks like a path but is no readable file.

    Old-style ids ("hep-th/9901001") and URLs contain "/" too, so a path separator alone does
    not make a path: only what is not an arXiv id or URL either.
    """
    path = Path(item)
    if path.is_file():
        return True
    if path.is_dir():
        raise CommandError(_("{path} はディレクトリです。論文リストのファイルを指定してください。").format(path=item))
    separators = {os.sep, "/", *([os.altsep] if os.altsep else [])}
    if item.lower().endswith(_LIST_SUFFIXES) or (any(sep in item for sep in separators) and not _is_arxiv(item)):
        raise CommandError(
            _("ファイル {path} が見つかりません(arXiv の ID や URL としても読めません)。").format(path=item)
        )
    return False


def _is_arxiv(item: str) -> bool:
    if "://" in item:
        return True  # a URL: the list reports it back if it is not an arXiv paper
    try:
        parse_arxiv_id(item)
    except InvalidArxivId:
        return False
    return True


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
        is_file = {item: _is_file_argument(item) for item in items}
        ids = [item for item in items if not is_file[item]]
        texts = [_read(Path(item)) for item in items if is_file[item]]
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
