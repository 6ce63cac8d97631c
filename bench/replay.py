"""Replaying a published week with a prompt version (``replay_prompts``) against the stored run.

Prints figures, not a verdict. In one run:

1. the stored run: a ten-paper week (text extracted from generated two-column PDFs, as
   ``bench/drafting_week.py`` makes it) drafted through a real Celery worker (in-process,
   kombu's in-memory broker, the shipped drafting worker's pool) against the local
   stand-in, every call answered after ``--latency`` s; its calls' cost and its time (first
   note started to last note finished) are the baseline;
2. editors' edits, seeded: a share of the answers rewritten, of the questions replaced and
   of the one-line summaries touched; the week is then published;
3. replays of the week (``editorial.replay.replay_published``, ``--rounds`` times each, on a
   fresh stand-in each time so that its prompt cache starts cold as the stored run's did):
   ``current`` (the shipped prompts: the same texts, so the same metrics as the stored
   drafts), and a candidate version whose answer prompt is the shipped one cut to its
   first paragraph (shorter, so under the 1,024 tokens the prompt cache needs);
4. the judge step on the published week (one call per note, ``judge_issue``'s work): its
   cost per note, and against the stored drafting run's cost.

For each replay: wall time and cost for the week, and their ratios to the stored run's;
the edit metrics (share unchanged, mean distance) beside the stored drafts'. Replays write
nothing, so their time is the calls' alone (no task queue, no database writes).

Usage: .venv/bin/python bench/replay.py [--latency 0.3] [--cap 4] [--pages 12] [--rounds 3]
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import drafting_week  # sets Django up on a scratch database (kombu's in-memory broker)
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from editorial.replay import replay_published
from papernotes.celery import app
from papernotes.drafting import judge
from papernotes.drafting.prompts import PROMPT_DIR
from papernotes.drafting.replay import prompt_set
from papernotes.models import IssueState, LlmCall, Note, NoteState, QuestionAnswer, TextSource, WeeklyIssue
from tests.support.openai_server import OpenAIServer


def stored_run(issue: WeeklyIssue, count: int, *, latency: float, shipped) -> float:
    with start_worker(
        app,
        pool=shipped.pool,
        concurrency=shipped.concurrency,
        queues=list(shipped.queues),
        perform_ping_check=False,
        loglevel="WARNING",
    ), OpenAIServer(latency=latency) as server:
        settings.OPENAI_BASE_URL = server.base_url
        return drafting_week.run_pipeline(issue.pk, count)


def edit_and_publish(issue: WeeklyIssue, *, seed: int, answers: float, questions: float, summaries: float) -> dict:
    """What editors do before publishing, seeded: rewrite, replace, touch."""
    rng = random.Random(seed)
    counts = {"answers": 0, "questions": 0, "summaries": 0}
    for qa in QuestionAnswer.objects.filter(note__issue=issue):
        if rng.random() < answers:
            qa.answer, qa.answer_source = "編集者が書き直した回答です.根拠は本文の表2にあります.", TextSource.EDITOR
            counts["answers"] += 1
        if rng.random() < questions:
            qa.question, qa.question_source = "この手法の限界は何ですか?", TextSource.EDITOR
            counts["questions"] += 1
        qa.save()
    for note in Note.objects.filter(issue=issue):
        if rng.random() < summaries:
            note.summary, note.summary_source = note.summary.replace("提案し", "新たに提案し"), TextSource.EDITOR
            Note.objects.filter(pk=note.pk).update(summary=note.summary, summary_source=note.summary_source)
            counts["summaries"] += 1
    Note.objects.filter(issue=issue).update(state=NoteState.APPROVED)
    WeeklyIssue.objects.filter(pk=issue.pk).update(state=IssueState.PUBLISHED, published_at=timezone.now())
    return counts


def candidate_prompts() -> Path:
    """A candidate version: the answer prompt cut to its first paragraph (version 99)."""
    folder = Path(tempfile.mkdtemp(prefix="prompts-terse-"))
    shipped = (PROMPT_DIR / "answer.md").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    (folder / "answer.md").write_text(f"version: 99\n---\n{shipped.strip().split(chr(10) * 2)[0]}\n", encoding="utf-8")
    return folder


def replay(name: str, *, latency: float, rounds: int):
    reports, walls = [], []
    for _ in range(rounds):
        with OpenAIServer(latency=latency) as server:
            settings.OPENAI_BASE_URL = server.base_url
            started = time.perf_counter()
            reports.append(replay_published(prompts=prompt_set(name)))
            walls.append(time.perf_counter() - started)
    return reports, walls


def line(stats) -> str:
    if stats is None:
        return "—"
    return f"n {stats.count:3d}, unchanged {stats.share_unchanged:5.1%}, mean distance {stats.mean_distance:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per call")
    parser.add_argument("--cap", type=int, default=4, help="LLM calls in flight at most (LLM_MAX_CONCURRENT)")
    parser.add_argument("--pages", type=int, default=12, help="pages per generated PDF")
    parser.add_argument("--rounds", type=int, default=3, help="replays of each version")
    options = parser.parse_args()

    papers, issue, shipped = drafting_week.prepare_week(options.pages, options.cap)
    count = len(papers)
    stored_wall = stored_run(issue, count, latency=options.latency, shipped=shipped)
    edits = edit_and_publish(issue, seed=16, answers=0.3, questions=0.1, summaries=0.5)
    print(
        f"ten-paper week, {options.pages}-page PDFs, {options.latency * 1000:.0f} ms per call, at most "
        f"{options.cap} in flight; {settings.LLM_MODEL} prices; editors rewrote {edits['answers']} answers, "
        f"replaced {edits['questions']} questions, touched {edits['summaries']} summaries; "
        f"stored run drafted in {stored_wall:.2f} s (task queue and writes included)"
    )
    for name in ("current", str(candidate_prompts())):
        reports, walls = replay(name, latency=options.latency, rounds=options.rounds)
        report = reports[-1]
        [week] = report.weeks
        label = "current" if name == "current" else "candidate (answer prompt cut to its first paragraph)"
        seconds = statistics.median(w.replay_seconds for r in reports for w in r.weeks)
        costs = {w.replay_cost_usd for r in reports for w in r.weeks}
        print(f"  {label}: {options.rounds} rounds, failed notes {len(report.failed)}")
        print(
            f"    week: replay {seconds:.2f} s (median; rounds {', '.join(f'{w:.2f}' for w in walls)} s with reads) "
            f"vs stored {week.stored_seconds:.2f} s = {seconds / week.stored_seconds:.2f}"
        )
        print(
            f"    cost: replay {min(costs):.6f} USD (rounds: {min(costs):.6f}-{max(costs):.6f}), "
            f"{week.replay_calls} calls "
            f"vs stored {week.stored_cost_usd:.6f} USD, {week.stored_calls} calls = "
            f"{float(min(costs) / week.stored_cost_usd):.3f}; per paper {min(costs) / count:.6f} USD"
        )
        for field_name, stored, replayed in report.side_by_side():
            print(f"    {field_name:12s} stored: {line(stored)} | replay: {line(replayed)}")
    judge_week(issue, latency=options.latency)


def judge_week(issue: WeeklyIssue, *, latency: float) -> None:
    """The judge step on the published week: one call per note, its cost and time."""
    with OpenAIServer(latency=latency) as server:
        settings.OPENAI_BASE_URL = server.base_url
        started = time.perf_counter()
        runs = [judge.judge_note(note_id=note.pk) for note in issue.notes.order_by("position")]
        wall = time.perf_counter() - started
    calls = LlmCall.objects.filter(note__issue=issue, step="judge")
    totals = calls.aggregate(cost=Sum("cost_usd"), input=Sum("input_tokens"), output=Sum("output_tokens"))
    count = len(runs)
    print(
        f"  judge ({settings.DRAFTING_JUDGE_MODEL or settings.LLM_MODEL}): {calls.count()} calls, "
        f"{sum(r.scored for r in runs)}/{sum(r.sent for r in runs)} answers scored in {wall:.2f} s, "
        "one note after another; "
        f"cost {totals['cost']:.6f} USD for the week, {totals['cost'] / count:.6f} per note "
        f"(input {totals['input'] // count:,} and output {totals['output'] // count:,} tokens per note); "
        f"against the stored drafting run: {float(totals['cost'] / stored_cost(issue)):.3f}"
    )


def stored_cost(issue: WeeklyIssue):
    return LlmCall.objects.filter(note__issue=issue, target="").aggregate(cost=Sum("cost_usd"))["cost"]


if __name__ == "__main__":
    main()
