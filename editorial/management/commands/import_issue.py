"""``manage.py import_issue FILE... [--published-at 2024-05-06T09:00]``: import back issues in
the blog's text format, each with its real publication date (see ``editorial.imports``)."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.checks.base import FIELD_LABELS
from editorial.checks.selectors import undismissed_findings
from editorial.imports import ImportConflict, InvalidPublicationTime, issue_import
from papernotes.textformat import IssueFormatError, decode_issue_bytes, parse_issue_text

REPORTED_FINDINGS = 20


def publication_time(value: str) -> datetime.datetime:
    """``2024-05-06T09:00`` (the site's time zone unless an offset is given) or ``2024-05-06``."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            _("--published-at「{value}」を日時として読めません(例: 2024-05-06T09:00)").format(value=value)
        ) from error
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = _("ブログ形式のテキストから過去の週刊号を公開済みとして取り込みます(再取り込みは上書き更新)。")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--published-at",
            metavar="DATETIME",
            help=_(
                "公開日時(例: 2024-05-06T09:00、タイムゾーンは TIME_ZONE)。省略すると、新しい号は"
                "その週の日曜日 9:00、再取り込みの号はこれまでの公開日時のままです。"
            ),
        )

    def handle(self, *args, files: list[Path], published_at: str | None = None, **options):
        moment = publication_time(published_at) if published_at else None
        if moment and len(files) > 1:
            raise CommandError(_("--published-at は 1 つのファイルを取り込むときにだけ指定できます"))
        failures = 0
        for path in files:
            try:
                result = self.import_file(path, published_at=moment)
            except (OSError, IssueFormatError, ImportConflict, InvalidPublicationTime) as error:
                failures += 1
                reason = error.strerror if isinstance(error, OSError) and error.strerror else error
                self.stderr.write(_("{path}: 取り込めませんでした: {error}").format(path=path, error=reason))
                continue
            issue = result.issue
            self.stdout.write(
                self.style.SUCCESS(
                    _("{path}: {title} を取り込みました(論文 {count} 本、新規 {new} 本、公開 {at})").format(
                        path=path,
                        title=issue.title,
                        count=len(issue.notes.all()),
                        new=result.papers_created,
                        at=timezone.localtime(issue.published_at).strftime("%Y-%m-%d %H:%M"),
                    )
                )
            )
            if result.published_at_changed_from:
                self.stdout.write(
                    _("  公開日時を {before} から変更しました").format(
                        before=timezone.localtime(result.published_at_changed_from).strftime("%Y-%m-%d %H:%M")
                    )
                )
            for kept in result.kept_editor_fields:
                self.stdout.write(_("  編集者の文章を保持しました: {field}").format(field=kept))
            self.report_blocking_findings(issue)
        if failures:
            raise CommandError(
                _("{failed} 件のファイルを取り込めませんでした(データベースは変更されていません)").format(
                    failed=failures
                )
            )

    def report_blocking_findings(self, issue) -> None:
        """What the checks found that blocks (debris such as 「rel=”nofollow”>」 left by the
        blog): imported as published, so an editor should fix it after publication."""
        findings = undismissed_findings(notes=issue.notes.all(), blocking_only=True)
        if not findings:
            return
        papers = {note.pk: note.paper.arxiv_id for note in issue.notes.all()}
        self.stdout.write(
            self.style.WARNING(
                _("  要修正の指摘が {count} 件あります(管理画面の各ノートで確認・訂正してください):").format(
                    count=len(findings)
                )
            )
        )
        for finding in findings[:REPORTED_FINDINGS]:
            field = FIELD_LABELS.get(finding.field, finding.field)
            where = f"{field} Q{finding.qa.position}" if finding.qa else field
            self.stdout.write(f"    {papers.get(finding.note_id, '')} {where}: {finding.message} {finding.excerpt}")
        if len(findings) > REPORTED_FINDINGS:
            self.stdout.write(_("    ほか {count} 件").format(count=len(findings) - REPORTED_FINDINGS))

    def import_file(self, path: Path, *, published_at: datetime.datetime | None):
        document = parse_issue_text(decode_issue_bytes(path.read_bytes()))
        return issue_import(document=document, published_at=published_at)
