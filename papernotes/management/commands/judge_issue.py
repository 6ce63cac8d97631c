"""``manage.py judge_issue WEEK``: score every answer of a week's notes on the rubric, now.

One call per note (``papernotes/drafting/judge.py``), made here, not by the worker, whether
or not ``DRAFTING_JUDGE_ENABLED`` is on (the setting decides only the automatic judging
after a draft). Prints, per note, the answers scored, the lowest score and the call's cost.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min, Sum
from django.utils.translation import gettext as _

from papernotes.drafting import judge
from papernotes.drafting.llm import LlmError, llm_configured, not_configured_reason
from papernotes.management.commands.pipeline_status import week_argument
from papernotes.models import AnswerJudgement, LlmCall, WeeklyIssue


class Command(BaseCommand):
    help = _("週刊号の各ノートの回答を、ルーブリック(根拠への忠実さ・質問への答え・日本語・表記)で評価します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(月曜日)、例: 2024-04-29"))

    def handle(self, *args, week: str, **options):
        if not llm_configured():
            raise CommandError(not_configured_reason())
        week_start = week_argument(week)
        issue = WeeklyIssue.objects.filter(week_start=week_start).first()
        if issue is None:
            raise CommandError(_("{week} の週刊号はありません").format(week=week_start.isoformat()))
        total, failures = Decimal("0"), 0
        for note in issue.notes.select_related("paper").order_by("position"):
            last_call = LlmCall.objects.aggregate(last=Max("id"))["last"] or 0
            try:
                result = judge.judge_note(note_id=note.pk)
            except LlmError as error:
                failures += 1
                self.stderr.write(_("#{position} {arxiv_id}: {error}").format(
                    position=note.position, arxiv_id=note.paper.arxiv_id, error=error.message
                ))  # fmt: skip
                continue
            finally:
                cost = LlmCall.objects.filter(note=note, target=judge.TARGET, id__gt=last_call).aggregate(
                    cost=Sum("cost_usd")
                )["cost"] or Decimal("0")
                total += cost
            lowest = AnswerJudgement.objects.filter(qa__note=note).aggregate(lowest=Min("lowest"))["lowest"]
            self.stdout.write(
                _("#{position} {arxiv_id}: 回答 {scored}/{sent} 件を評価、最低点 {lowest}、費用 {cost} USD").format(
                    position=note.position,
                    arxiv_id=note.paper.arxiv_id,
                    scored=result.scored,
                    sent=result.sent,
                    lowest=lowest if lowest is not None else "—",
                    cost=cost,
                )
            )
        self.stdout.write(
            _("{title}: 評価の費用 {total} USD(失敗 {failures} 件)").format(
                title=issue.title, total=total, failures=failures
            )
        )
