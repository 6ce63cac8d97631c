"""``manage.py edit_analytics [--json] [--since WEEK]``: how much editors changed the machine drafts.

For every published note, each machine field (一行要約, 概要, questions, answers) is compared
with its published text (``editorial/analytics.py``): the share accepted unchanged, the mean
normalised edit distance, answers rewritten and questions replaced, per prompt version ×
model × field and per issue week. ``--json`` prints one JSON document.
"""

import json as jsonlib

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from editorial.analytics import REWRITE_THRESHOLD, EditStats, edit_analytics
from papernotes.management.commands.pipeline_status import week_argument


def stats_line(stats: EditStats, *, label: str) -> str:
    return _("{label}\t{field}\t件数 {count}\t無修正 {share:.0%}\t平均距離 {mean:.3f}\t書き換え {rewritten}").format(
        label=label,
        field=stats.field_label,
        count=stats.count,
        share=stats.share_unchanged,
        mean=stats.mean_distance,
        rewritten=stats.rewritten,
    )


class Command(BaseCommand):
    help = _("公開済みのノートで、編集者が機械下書きをどれだけ直したかをプロンプトの版・モデル・欄ごとに集計します。")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help=_("JSON で出力します"))
        parser.add_argument("--since", help=_("この週(月曜日、例: 2024-04-29)以降の号だけを集計します"))

    def handle(self, *args, json: bool, since: str | None = None, **options):
        analytics = edit_analytics(since=week_argument(since) if since else None)
        if json:
            self.stdout.write(jsonlib.dumps(analytics.to_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _("公開済みのノート {notes} 件、比べた機械の欄 {fields} 件(書き換え = 距離 {threshold} 以上)").format(
                notes=analytics.notes, fields=len(analytics.edits), threshold=REWRITE_THRESHOLD
            )
        )
        if not analytics.edits:
            self.stdout.write(_("機械下書きのある公開済みノートはありません。"))
            return
        self.stdout.write(_("== 全体"))
        for stats in analytics.totals:
            self.stdout.write(stats_line(stats, label=_("全体")))
        self.stdout.write(_("== プロンプトの版 × モデル"))
        for stats in analytics.versions:
            self.stdout.write(stats_line(stats, label=" / ".join(stats.key)))
        self.stdout.write(_("== 週ごと"))
        for stats in analytics.weeks:
            self.stdout.write(stats_line(stats, label=stats.key[0]))
