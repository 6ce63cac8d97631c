"""``manage.py replay_prompts --prompt-version V [--model M] [--limit N] [--since WEEK] [--json]``.

Drafts the published notes again from their stored inputs (the paper's passages and the
glossary) with prompt version ``V`` (``current``, a folder under
``papernotes/drafting/prompts/versions/``, or a folder's path) against the configured
OpenAI-compatible endpoint, writing nothing to the notes, and compares the result with the
published texts by the metrics of ``edit_analytics``, side by side with the stored machine
drafts of the same notes; then the replay's calls, cost and time per week beside the stored
run's. The replay's calls are not recorded as ``LlmCall`` rows (they belong to no draft):
they are reported here.
"""

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from editorial.analytics import FIELD_LABELS
from editorial.replay import replay_published
from papernotes.drafting.llm import llm_configured, not_configured_reason
from papernotes.drafting.replay import ReplayError, prompt_set
from papernotes.management.commands.pipeline_status import week_argument


def _stats(stats) -> str:
    if stats is None:
        return "—"
    return _("{count} 件 無修正 {share:.0%} 平均距離 {mean:.3f} 書き換え {rewritten}").format(
        count=stats.count, share=stats.share_unchanged, mean=stats.mean_distance, rewritten=stats.rewritten
    )


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


class Command(BaseCommand):
    help = _(
        "公開済みのノートを保存済みの入力から別のプロンプトの版で下書きし直し(ノートには書きません)、"
        "公開された文章との差を保存済みの機械下書きと並べて表示します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--prompt-version",
            required=True,
            help=_("プロンプトの版: current、prompts/versions/ の下のフォルダ名、またはフォルダのパス"),
        )
        parser.add_argument("--model", default="", help=_("すべての段階で使うモデル(省略時は設定のモデル)"))
        parser.add_argument("--limit", type=int, default=None, help=_("新しい週から N 件のノートだけ"))
        parser.add_argument("--since", help=_("この週(月曜日)以降の号だけ"))
        parser.add_argument("--json", action="store_true", help=_("JSON で出力します"))

    def handle(self, *args, prompt_version: str, model: str, limit: int | None, json: bool, **options):
        if not llm_configured():
            raise CommandError(not_configured_reason())
        if limit is not None and limit < 1:
            raise CommandError(_("--limit は 1 以上にしてください。"))
        try:
            prompts = prompt_set(prompt_version)
        except ReplayError as error:
            raise CommandError(str(error)) from error
        since = week_argument(options["since"]) if options.get("since") else None
        report = replay_published(prompts=prompts, model=model, limit=limit, since=since)
        if json:
            self.stdout.write(jsonlib.dumps(report.to_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            _(
                "プロンプトの版 {version}、モデル {model}: 公開済みのノート {notes} 件を下書きし直しました"
                "(失敗 {failed} 件)。"
            ).format(
                version=prompts.name,
                model=model or _("設定のとおり"),
                notes=len(report.replayed),
                failed=len(report.failed),
            )
        )
        if not report.replayed:
            return
        self.stdout.write(_("== 公開された文章との差(左: 保存済みの機械下書き、右: 再実行)"))
        for name, stored, replay in report.side_by_side():
            self.stdout.write(f"{FIELD_LABELS.get(name, name)}\t{_stats(stored)}\t|\t{_stats(replay)}")
        self.stdout.write(_("== 週ごとの費用と時間(保存済みの実行との比)"))
        for week in report.weeks:
            self.stdout.write(
                _(
                    "{week}\tノート {notes}\t呼び出し {calls}(保存済み {stored_calls})\t"
                    "費用 {cost} USD(保存済み {stored_cost} USD、比 {cost_ratio})\t"
                    "時間 {seconds:.1f} 秒(保存済み {stored_seconds}、比 {time_ratio})"
                ).format(
                    week=week.week.isoformat(),
                    notes=week.notes,
                    calls=week.replay_calls,
                    stored_calls=week.stored_calls,
                    cost=week.replay_cost_usd,
                    stored_cost=week.stored_cost_usd,
                    cost_ratio=_ratio(week.cost_ratio),
                    seconds=week.replay_seconds,
                    stored_seconds=f"{week.stored_seconds:.1f} 秒" if week.stored_seconds is not None else "—",
                    time_ratio=_ratio(week.time_ratio),
                )
            )
        for note in report.failed:
            self.stderr.write(_("ノート {id}: {error}").format(id=note.note_id, error=note.error))
