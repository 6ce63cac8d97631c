"""``manage.py run_checks WEEK [--json]``: run the quality checks over an issue.

Prints one finding per line (with ``--json``: one JSON object per line with
``arxiv_id``, ``field``, ``qa_position``, ``code``, ``severity``, ``message``,
``excerpt``). Findings an editor dismissed (for the same text) are left out and counted
on stderr. Exits 0 even when there are findings; ``--store`` also saves them for the
admin's lists, as saving a note does.
"""

import datetime
import json
import os
import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from editorial.checks.base import FIELD_LABELS
from editorial.checks.services import note_findings, note_refresh_findings
from editorial.models import FindingDismissal
from papernotes.models import WeeklyIssue


class Command(BaseCommand):
    help = _("週刊号の論文ノートに品質チェックをかけ、指摘を 1 行に 1 件ずつ出力します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))
        parser.add_argument("--json", action="store_true", help=_("1 行に 1 つの JSON オブジェクトで出力します"))
        parser.add_argument("--store", action="store_true", help=_("指摘を保存し、管理画面の件数にも反映します"))

    def handle(self, *args, week: str, json: bool, store: bool, **options):
        try:
            week_start = datetime.date.fromisoformat(week)
        except ValueError as error:
            raise CommandError(
                _("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=week)
            ) from error
        issue = WeeklyIssue.objects.filter(week_start=week_start).first()
        if issue is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))

        try:
            counts, dismissed = self._check(issue, as_json=json, store=store)
        except BrokenPipeError:
            # The reader (`| head`) stopped reading: stop quietly, as command-line tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        summary = ", ".join(f"{code} {count}" for code, count in sorted(counts.items())) or _("なし")
        self.stderr.write(
            _("{title}: 指摘 {total} 件({summary})、却下済み {dismissed} 件").format(
                title=issue.title, total=sum(counts.values()), summary=summary, dismissed=dismissed
            )
        )

    def _check(self, issue: WeeklyIssue, *, as_json: bool, store: bool) -> tuple[Counter[str], int]:
        counts: Counter[str] = Counter()
        dismissed = 0
        for note in issue.notes.select_related("paper").order_by("position"):
            dismissed_prints = set(FindingDismissal.objects.filter(note=note).values_list("fingerprint", flat=True))
            _note_text, findings = note_findings(note)
            for found, fingerprint in findings:
                if fingerprint in dismissed_prints:
                    dismissed += 1
                    continue
                counts[found.code] += 1
                self.stdout.write(self._line(found, note.paper.arxiv_id, as_json=as_json))
            if store:
                note_refresh_findings(note_id=note.pk)
        return counts, dismissed

    def _line(self, found, arxiv_id: str, *, as_json: bool) -> str:
        if as_json:
            return json.dumps(found.to_json(arxiv_id=arxiv_id), ensure_ascii=False)
        where = FIELD_LABELS.get(found.field, found.field)
        if found.qa_position is not None:
            where = f"Q{found.qa_position} {where}"
        severity = _("要修正") if found.severity == "blocking" else _("注意")
        return f"{arxiv_id}\t{severity}\t{where}\t{found.code}\t{found.message}\t{found.excerpt}"
