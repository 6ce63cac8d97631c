"""``manage.py import_issue FILE...``: import back issues in the blog's text format."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from editorial.imports import ImportConflict, issue_import
from papernotes.textformat import IssueFormatError, decode_issue_bytes, parse_issue_text


class Command(BaseCommand):
    help = _("ブログ形式のテキストから過去の週刊号を公開済みとして取り込みます(再取り込みは上書き更新)。")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, files: list[Path], **options):
        failures = 0
        for path in files:
            try:
                result = self.import_file(path)
            except (OSError, IssueFormatError, ImportConflict) as error:
                failures += 1
                reason = error.strerror if isinstance(error, OSError) and error.strerror else error
                self.stderr.write(_("{path}: 取り込めませんでした: {error}").format(path=path, error=reason))
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    _("{path}: {title} を取り込みました(論文 {count} 本、新規 {new} 本)").format(
                        path=path,
                        title=result.issue.title,
                        count=len(result.issue.notes.all()),
                        new=result.papers_created,
                    )
                )
            )
            for kept in result.kept_editor_fields:
                self.stdout.write(_("  編集者の文章を保持しました: {field}").format(field=kept))
        if failures:
            raise CommandError(
                _("{failed} 件のファイルを取り込めませんでした(データベースは変更されていません)").format(
                    failed=failures
                )
            )

    def import_file(self, path: Path):
        document = parse_issue_text(decode_issue_bytes(path.read_bytes()))
        return issue_import(document=document)
