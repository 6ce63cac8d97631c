"""Drafting a ten-paper week against a local OpenAI-compatible server with a fixed latency.

Prints figures, not a verdict. In one run it measures, for a cooperative model and for a
careless one (every answer numbered 1, bare passage ids, half the quotes from another
passage than the one cited, two questions merged, one skipped, JSON in code fences):

* pipeline: ``issue_draft_start`` on a week of ten papers whose text was extracted from
  generated two-column PDFs, through a real Celery worker (in-process, kombu's in-memory
  broker) with the shipped drafting worker's pool type and concurrency, read from the
  Procfile, and, for comparison, two tasks at a time (the former prefork worker of two
  processes); the ``openai`` client and the shared ``llm`` limiter cap calls in flight;
* what is kept: questions answered, answers the model gave that were kept (placed under
  their question, or kept as suggestions), quotes verified (and where they were found),
  notes 完了 / 要確認 / 失敗;
* calls per paper, input tokens and the cached input tokens the server reported for the week;
* its critical-path lower bound: each paper needs its calls one after another, and no
  more than the cap may be in flight, so the week takes at least
  max(calls per paper, ceil(all calls / cap)) x latency;
* a naive baseline against the same server with the same cap (cooperative model only): per
  paper one call for the abstract, one for the summary and one per question, each carrying
  the whole paper text.

At 0.3 s per call the in-process parts (SQLite, the stand-in server in the same process)
weigh on the ratio to the bound; ``--latency 2`` is closer to a real provider.

Usage: .venv/bin/python bench/drafting_week.py [--latency 0.3] [--cap 4] [--pages 12] [--rounds 3]
"""

import argparse
import datetime
import json
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import scratch_django

scratch_django.setup(CELERY_BROKER_URL="memory://")

import openai
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Sum

from papernotes.celery import app
from papernotes.drafting.services import issue_draft_start
from papernotes.ingestion.pdf_text import extract_pdf
from papernotes.ingestion.pipeline import paper_store_passages
from papernotes.models import (
    DRAFTING_FINISHED,
    AnswerEvidence,
    DraftingStatus,
    LlmCall,
    Note,
    NoteDrafting,
    NoteState,
    Paper,
    Passage,
    QuestionAnswer,
    WeeklyIssue,
)
from tests.support.arxiv_server import FIXTURE
from tests.support.openai_server import OpenAIServer
from tests.support.pdfgen import make_paper_pdf
from tests.support.procfile import drafting_worker

WEEK = datetime.date(2024, 4, 29)


def make_week(pages: int) -> list[Paper]:
    """Ten papers with the fixture's real titles and abstracts, and passages from generated PDFs."""
    WeeklyIssue.objects.all().delete()
    Paper.objects.all().delete()
    issue = WeeklyIssue.objects.create(week_start=WEEK)
    papers = []
    for position, record in enumerate(json.loads(FIXTURE.read_text(encoding="utf-8"))["papers"], start=1):
        paper = Paper.objects.create(
            arxiv_id=record["arxiv_id"],
            title=record["title"],
            authors=record["authors"],
            abstract_en=record["abstract_en"],
            pdf_url=f"https://arxiv.org/pdf/{record['arxiv_id']}",
            abs_url=f"https://arxiv.org/abs/{record['arxiv_id']}",
        )
        extracted = extract_pdf(
            make_paper_pdf(title=record["title"], pages=pages, seed=position), max_pages=200, time_limit=60
        )
        paper_store_passages(paper_id=paper.pk, extracted=extracted)
        Note.objects.create(issue=issue, paper=paper, position=position, state=NoteState.AWAITING_DRAFT)
        papers.append(paper)
    return papers


def prepare_week(pages: int, cap: int):
    """The week on a fresh database, the shipped drafting worker's configuration, and the
    settings of a run against the stand-in: (papers, issue, worker command)."""
    call_command("migrate", verbosity=0)
    papers = make_week(pages)
    settings.LLM_MAX_CONCURRENT = cap
    settings.LLM_BACKOFF_BASE = 0.01
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {"polling_interval": 0.01}
    return papers, WeeklyIssue.objects.get(week_start=WEEK), drafting_worker()


def run_pipeline(issue_id: int, count: int) -> float:
    """One week drafted from scratch; returns the wall time."""
    QuestionAnswer.objects.all().delete()
    NoteDrafting.objects.update(unplaced_answers=[])
    LlmCall.objects.all().delete()
    started = time.perf_counter()
    issue_draft_start(issue_id=issue_id, force=True)
    while NoteDrafting.objects.filter(status__in=[*DRAFTING_FINISHED, DraftingStatus.FAILED]).count() < count:
        time.sleep(0.01)
    return time.perf_counter() - started


@dataclass
class Round:
    wall: float
    in_flight: int
    answers_given: int
    figures: dict


def measure(issue: WeeklyIssue) -> dict:
    """What the week's drafts hold, and what the calls cost."""
    qas = QuestionAnswer.objects.filter(note__issue=issue)
    unplaced = sum(len(d.unplaced_answers) for d in NoteDrafting.objects.filter(note__issue=issue))
    evidence = AnswerEvidence.objects.filter(qa__note__issue=issue)
    calls = LlmCall.objects.filter(note__issue=issue)
    statuses = dict(NoteDrafting.objects.values_list("status").annotate(n=Count("id")))
    per_paper = calls.values("note_id").annotate(n=Count("id")).values_list("n", flat=True)
    return {
        "questions": qas.count(),
        "answered": qas.exclude(answer="").count(),
        "unplaced": unplaced,
        "quotes": evidence.count(),
        "verified": evidence.filter(verified=True).count(),
        "found_in": dict(evidence.filter(verified=True).values_list("found_in").annotate(n=Count("id"))),
        "qas_verified": qas.filter(evidence__verified=True).distinct().count(),
        "calls": calls.count(),
        "max_calls_per_paper": max(per_paper, default=0),
        "input": calls.aggregate(n=Sum("input_tokens"))["n"] or 0,
        "cached": calls.aggregate(n=Sum("cached_input_tokens"))["n"] or 0,
        "output": calls.aggregate(n=Sum("output_tokens"))["n"] or 0,
        "statuses": {str(DraftingStatus(k).label): v for k, v in statuses.items()},
    }


def run_rounds(
    server: OpenAIServer, issue: WeeklyIssue, count: int, *, pool: str, concurrency: int, queues, rounds: int
):
    results = []
    with start_worker(
        app, pool=pool, concurrency=concurrency, queues=list(queues), perform_ping_check=False, loglevel="WARNING"
    ):
        run_pipeline(issue.pk, count)  # warm-up: imports, first connections
        for _ in range(rounds):
            server.max_in_flight = 0
            given = server.answers_given
            wall = run_pipeline(issue.pk, count)
            results.append(Round(wall, server.max_in_flight, server.answers_given - given, measure(issue)))
    return results


def run_naive(server: OpenAIServer, papers: list[Paper], cap: int, questions: int) -> tuple[float, list[dict]]:
    """One call for the abstract, one for the summary, one per question: whole text each time."""
    client = openai.OpenAI(api_key="bench", base_url=server.base_url, max_retries=0, timeout=60)
    jobs = []
    for paper in papers:
        text = "\n\n".join(Passage.objects.filter(paper=paper).order_by("position").values_list("text", flat=True))
        document = f"Title: {paper.title}\n\nAbstract: {paper.abstract_en}\n\n{text}"
        jobs.append((paper.pk, f"次の論文の概要を日本語に翻訳してください。\n\n{document}"))
        jobs.append((paper.pk, f"次の論文を日本語で一行に要約してください。\n\n{document}"))
        jobs.extend(
            (paper.pk, f"次の論文について、質問 {n} に日本語で答えてください。\n\n{document}")
            for n in range(1, questions + 1)
        )
    usage = []

    def call(job: tuple[int, str]) -> None:
        paper_id, prompt = job
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
        usage.append({"paper": paper_id, "input": reply.usage.prompt_tokens, "output": reply.usage.completion_tokens})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=cap) as pool:
        list(pool.map(call, jobs))
    return time.perf_counter() - started, usage


def report(label: str, rounds: list[Round], *, count: int, cap: int, latency: float) -> None:
    walls = [r.wall for r in rounds]
    wall = statistics.median(walls)
    last = rounds[-1].figures
    per_paper = last["calls"] / count
    bound = max(last["max_calls_per_paper"], math.ceil(last["calls"] / cap)) * latency
    kept = last["answered"] + last["unplaced"]
    found = ", ".join(f"{(name or 'nowhere')}: {n}" for name, n in sorted(last["found_in"].items()))
    print(f"  {label}")
    print(
        f"    wall: median {wall:.2f} s over {len(rounds)} rounds (min {min(walls):.2f}, max {max(walls):.2f}); "
        f"critical-path bound {bound:.2f} s; ratio {wall / bound:.2f}x; most calls in flight: "
        f"{max(r.in_flight for r in rounds)} (cap {cap})"
    )
    print(
        f"    answers: {last['answered']}/{last['questions']} questions answered; "
        f"{kept}/{rounds[-1].answers_given} answers the model gave kept "
        f"({kept - last['unplaced']} placed, {last['unplaced']} kept as suggestions); "
        f"notes {last['statuses']}"
    )
    print(
        f"    quotes: {last['verified']}/{last['quotes']} verified ({found}); "
        f"{last['qas_verified']}/{last['questions']} answers with a verified quote"
    )
    print(
        f"    calls: {per_paper:.1f} per paper (at most {last['max_calls_per_paper']}); "
        f"input {last['input'] / count:,.0f} tokens per paper, cached input {last['cached']:,} of "
        f"{last['input']:,} tokens in the week ({100 * last['cached'] / max(last['input'], 1):.0f}%); "
        f"output {last['output'] / count:,.0f} per paper"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server takes per call")
    parser.add_argument("--cap", type=int, default=4, help="LLM calls in flight at most (LLM_MAX_CONCURRENT)")
    parser.add_argument("--pages", type=int, default=12, help="pages per generated PDF")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    papers, issue, shipped = prepare_week(options.pages, options.cap)
    count = len(papers)
    print(
        f"ten-paper week, {options.pages}-page PDFs, {options.latency * 1000:.0f} ms per call, "
        f"at most {options.cap} calls in flight"
    )
    for model, careless in (("cooperative model", False), ("careless model", True)):
        with OpenAIServer(latency=options.latency, careless=careless) as server:
            settings.OPENAI_BASE_URL = server.base_url
            print(f"{model}:")
            configs = [
                (f"shipped worker (Procfile: --pool {shipped.pool} --concurrency {shipped.concurrency})", shipped.pool,
                 shipped.concurrency),
                ("two tasks at a time (the former prefork worker, 2 processes)", "threads", 2),
            ]  # fmt: skip
            for label, pool, concurrency in configs:
                rounds = run_rounds(
                    server, issue, count, pool=pool, concurrency=concurrency, queues=shipped.queues,
                    rounds=options.rounds,
                )  # fmt: skip
                report(label, rounds, count=count, cap=options.cap, latency=options.latency)
            if careless:
                continue
            naive_time, naive = run_naive(server, papers, options.cap, settings.DRAFTING_QA_MAX - 1)
            calls = rounds[-1].figures["calls"]
            pipeline_input = rounds[-1].figures["input"]
            naive_bound = math.ceil(len(naive) / options.cap) * options.latency
            print(f"  naive baseline: {naive_time:.2f} s (its own bound {naive_bound:.2f} s)")
            print(
                f"    per paper: {len(naive) / count:.1f} calls, {sum(u['input'] for u in naive) / count:,.0f} input "
                f"tokens, {sum(u['output'] for u in naive) / count:,.0f} output tokens"
            )
            print(
                f"    pipeline / naive: calls {calls / len(naive):.2f}x, "
                f"input tokens {pipeline_input / sum(u['input'] for u in naive):.2f}x"
            )


if __name__ == "__main__":
    main()
