"""Drafting a ten-paper week against a local OpenAI-compatible server with a fixed latency.

Prints figures, not a verdict. In one run it measures:

* pipeline: ``issue_draft_start`` on a week of ten papers whose text was extracted from
  generated two-column PDFs, through a real Celery worker (in-process threads, kombu's
  in-memory broker), the ``openai`` client and the shared ``llm`` limiter capping calls in
  flight, until every note is drafted: read, answer (and repair when needed) per paper;
* its critical-path lower bound: each paper needs its calls one after another, and no
  more than the cap may be in flight, so the week takes at least
  max(calls per paper, ceil(all calls / cap)) x latency;
* a naive baseline against the same server with the same cap: per paper one call for the
  abstract, one for the summary and one per question, each carrying the whole paper text;

and, for both, calls, input and output tokens per paper (as the server counts them).

Usage: .venv/bin/python bench/drafting_week.py [--latency 0.3] [--cap 4] [--pages 12]
"""

import argparse
import datetime
import json
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import scratch_django

scratch_django.setup(CELERY_BROKER_URL="memory://")

import openai
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command

from papernotes.celery import app
from papernotes.drafting.services import issue_draft_start
from papernotes.ingestion.pdf_text import extract_pdf
from papernotes.ingestion.pipeline import paper_store_passages
from papernotes.models import DraftingStatus, LlmCall, Note, NoteDrafting, NoteState, Paper, Passage, WeeklyIssue
from tests.support.arxiv_server import FIXTURE
from tests.support.openai_server import OpenAIServer
from tests.support.pdfgen import make_paper_pdf

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


def run_pipeline(issue_id: int, count: int) -> float:
    started = time.perf_counter()
    issue_draft_start(issue_id=issue_id, force=True)
    while True:
        done = NoteDrafting.objects.filter(status__in=[DraftingStatus.SUCCEEDED, DraftingStatus.FAILED]).count()
        if done == count:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    failed = list(NoteDrafting.objects.filter(status=DraftingStatus.FAILED).values_list("last_error", flat=True))
    if failed:
        raise SystemExit(f"{len(failed)} drafts failed: {failed}")
    return elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server takes per call")
    parser.add_argument("--cap", type=int, default=4, help="LLM calls in flight at most (LLM_MAX_CONCURRENT)")
    parser.add_argument("--pages", type=int, default=12, help="pages per generated PDF")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    papers = make_week(options.pages)
    issue = WeeklyIssue.objects.get(week_start=WEEK)
    with OpenAIServer(latency=options.latency) as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.LLM_MAX_CONCURRENT = options.cap
        settings.LLM_BACKOFF_BASE = 0.01
        app.conf.broker_url = "memory://"
        app.conf.broker_transport_options = {"polling_interval": 0.01}
        times = []
        with start_worker(app, pool="threads", concurrency=len(papers), perform_ping_check=False, loglevel="WARNING"):
            run_pipeline(issue.pk, len(papers))  # warm-up: imports, first connections
            for _ in range(options.rounds):
                LlmCall.objects.all().delete()
                server.max_in_flight = 0
                times.append(run_pipeline(issue.pk, len(papers)))
        calls = list(LlmCall.objects.filter(note__issue=issue).values("note_id", "input_tokens", "output_tokens"))
        in_flight = server.max_in_flight
        naive_time, naive = run_naive(server, papers, options.cap, settings.DRAFTING_QA_MAX - 1)

    count = len(papers)
    per_paper = len(calls) / count
    bound = max(per_paper, math.ceil(len(calls) / options.cap)) * options.latency
    naive_bound = math.ceil(len(naive) / options.cap) * options.latency
    wall = statistics.median(times)
    print(
        f"ten-paper week, {options.pages}-page PDFs, {options.latency * 1000:.0f} ms per call, "
        f"at most {options.cap} calls in flight"
    )
    print(
        f"  pipeline: median {wall:.2f} s over {options.rounds} rounds after a warm-up "
        f"(min {min(times):.2f}, max {max(times):.2f}); "
        f"critical-path bound {bound:.2f} s; ratio {wall / bound:.2f}x; most calls in flight seen: {in_flight}"
    )
    print(
        f"    per paper: {per_paper:.1f} calls, {sum(c['input_tokens'] for c in calls) / count:,.0f} input tokens, "
        f"{sum(c['output_tokens'] for c in calls) / count:,.0f} output tokens"
    )
    print(f"  naive baseline: {naive_time:.2f} s (its own bound {naive_bound:.2f} s)")
    print(
        f"    per paper: {len(naive) / count:.1f} calls, {sum(u['input'] for u in naive) / count:,.0f} input tokens, "
        f"{sum(u['output'] for u in naive) / count:,.0f} output tokens"
    )
    print(
        f"  pipeline / naive: wall {wall / naive_time:.2f}x, calls {len(calls) / len(naive):.2f}x, "
        f"input tokens {sum(c['input_tokens'] for c in calls) / sum(u['input'] for u in naive):.2f}x"
    )


if __name__ == "__main__":
    main()
