"""Drafting a ten-paper week in batch mode (the OpenAI Batch API) against the synchronous run.

Prints figures, not a verdict. The same week (ten papers whose text was extracted from
generated two-column PDFs, as ``bench/drafting_week.py`` makes it) is drafted twice from
scratch, each time against a fresh local stand-in (so that its prompt cache starts cold
both times), through a real Celery worker (in-process, kombu's in-memory broker) with the
shipped drafting worker's pool type and concurrency:

* **sync**: ``issue_draft_start(batch=False)``, every call answered after ``--latency`` s;
* **batch**: ``issue_draft_start(batch=True)``: the read step as one batch, then the answer
  step as a second, each completed by the stand-in ``--batch-latency`` s after it was
  created, and a beat-like loop calling ``poll_drafting_batches_task`` every ``--poll`` s.

For each: wall time for the week, requests, input (cached) and output tokens, and the cost
recorded on the calls with the bench's price table (``LLM_PRICES``: the settings' default
gpt-4o-mini prices, and ``LLM_BATCH_PRICE_FACTOR``). Then the ratio of the two costs, the
ratio of their tokens (the same prompts, so the same tokens), and each run's tokens priced
the other way. Batch mode's wall time is bounded below by the two batches one after the
other (2 x batch latency) and a poll interval after each.

With ``--careless`` the model also misnumbers, skips and merges answers and quotes the
wrong passage, so part of the repairs go out as ordinary calls, at the full price.

Usage: .venv/bin/python bench/drafting_batch.py [--latency 0.3] [--batch-latency 2] [--poll 0.5] [--careless]
"""

import argparse
import threading
import time
from decimal import Decimal

import drafting_week  # sets Django up on a scratch database (kombu's in-memory broker)
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from papernotes.celery import app
from papernotes.drafting.pricing import call_cost
from papernotes.drafting.services import issue_draft_start
from papernotes.drafting.tasks import poll_drafting_batches_task
from papernotes.models import (
    DRAFTING_FINISHED,
    DraftingBatch,
    DraftingStatus,
    LlmCall,
    NoteDrafting,
    QuestionAnswer,
    WeeklyIssue,
)
from tests.support.openai_server import OpenAIServer


def _finished(count: int) -> bool:
    return NoteDrafting.objects.filter(status__in=[*DRAFTING_FINISHED, DraftingStatus.FAILED]).count() >= count


def run(issue: WeeklyIssue, count: int, *, batch: bool, poll: float) -> float:
    """The week drafted from scratch; returns the wall time."""
    QuestionAnswer.objects.all().delete()
    NoteDrafting.objects.update(unplaced_answers=[])
    LlmCall.objects.all().delete()
    DraftingBatch.objects.all().delete()
    started = time.perf_counter()
    run.started_at = timezone.now()
    issue_draft_start(issue_id=issue.pk, force=True, batch=batch)
    if not batch:
        while not _finished(count):
            time.sleep(0.01)
        return time.perf_counter() - started
    stop = threading.Event()

    def beat() -> None:  # what Celery beat does every DRAFTING_BATCH_POLL_INTERVAL seconds
        while not stop.wait(poll):
            poll_drafting_batches_task.delay()

    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    try:
        while not _finished(count):
            time.sleep(0.01)
    finally:
        stop.set()
        ticker.join()
    return time.perf_counter() - started


def phases(started_at) -> list[str]:
    """Where a batch run's time went: building and sending each batch, waiting for it (the
    provider's latency and the poll), and applying its results."""
    lines = []
    for batch in DraftingBatch.objects.order_by("created_at"):
        applied = NoteDrafting.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
        end = applied.finished_at if batch.step == "answer" and applied else None
        if batch.follow_up is not None:
            end = batch.follow_up.created_at
        seconds = [
            (batch.created_at - started_at).total_seconds(),
            (batch.submitted_at - batch.created_at).total_seconds(),
            (batch.finished_at - batch.submitted_at).total_seconds(),
            (end - batch.finished_at).total_seconds() if end else float("nan"),
        ]
        lines.append(
            f"{batch.step}: made at +{seconds[0]:.2f} s, built and sent in {seconds[1]:.2f} s, results after "
            f"{seconds[2]:.2f} s, applied in {seconds[3]:.2f} s"
        )
    return lines


def figures(issue: WeeklyIssue) -> dict:
    calls = LlmCall.objects.filter(note__issue=issue)
    totals = calls.aggregate(
        input=Sum("input_tokens"), cached=Sum("cached_input_tokens"), output=Sum("output_tokens"), cost=Sum("cost_usd")
    )
    by_kind = {
        "batch": calls.exclude(batch_id="").count(),
        "ordinary": calls.filter(batch_id="").count(),
    }
    statuses = dict(NoteDrafting.objects.values_list("status").annotate(n=Count("id")))
    return {
        "calls": calls.count(),
        **by_kind,
        "input": totals["input"] or 0,
        "cached": totals["cached"] or 0,
        "output": totals["output"] or 0,
        "cost": totals["cost"] or Decimal("0"),
        "repriced": {
            mode: sum(
                (
                    call_cost(
                        model=c.model,
                        input_tokens=c.input_tokens,
                        cached_input_tokens=c.cached_input_tokens,
                        output_tokens=c.output_tokens,
                        batch=mode == "batch",
                    )
                    for c in calls
                ),
                Decimal("0"),
            )
            for mode in ("sync", "batch")
        },
        "answered": QuestionAnswer.objects.filter(note__issue=issue).exclude(answer="").count(),
        "statuses": {str(DraftingStatus(k).label): v for k, v in statuses.items()},
    }


def report(label: str, wall: float, found: dict, count: int) -> None:
    print(f"  {label}")
    print(f"    wall: {wall:.2f} s for the week; notes {found['statuses']}; {found['answered']} answers")
    print(
        f"    requests: {found['calls']} ({found['batch']} in batches, {found['ordinary']} ordinary calls), "
        f"{found['calls'] / count:.1f} per paper"
    )
    print(
        f"    tokens: input {found['input']:,} (cached {found['cached']:,}), output {found['output']:,}; "
        f"cost recorded {found['cost']:.6f} USD ({found['cost'] / count:.6f} per paper)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per ordinary call")
    parser.add_argument("--batch-latency", type=float, default=2.0, help="seconds from a batch's creation to its end")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between two polls (beat's interval)")
    parser.add_argument("--cap", type=int, default=4, help="LLM calls in flight at most (LLM_MAX_CONCURRENT)")
    parser.add_argument("--pages", type=int, default=12, help="pages per generated PDF")
    parser.add_argument("--careless", action="store_true", help="a careless model (repairs by ordinary calls)")
    options = parser.parse_args()

    papers, issue, shipped = drafting_week.prepare_week(options.pages, options.cap)
    count = len(papers)
    price = settings.LLM_PRICES[settings.LLM_MODEL]
    print(
        f"ten-paper week, {options.pages}-page PDFs, {'careless' if options.careless else 'cooperative'} model; "
        f"prices ({settings.LLM_MODEL}, USD per million tokens): input {price['input']}, cached input "
        f"{price.get('cached_input', price['input'])}, output {price['output']}; "
        f"batch: x{settings.LLM_BATCH_PRICE_FACTOR}"
    )
    results = {}
    with start_worker(
        app,
        pool=shipped.pool,
        concurrency=shipped.concurrency,
        queues=list(shipped.queues),
        perform_ping_check=False,
        loglevel="WARNING",
    ):
        for mode in ("sync", "batch"):
            with OpenAIServer(
                latency=options.latency, batch_latency=options.batch_latency, careless=options.careless
            ) as server:
                settings.OPENAI_BASE_URL = server.base_url
                wall = run(issue, count, batch=mode == "batch", poll=options.poll)
                results[mode] = (wall, {**figures(issue), "phases": phases(run.started_at)})
    sync_wall, sync = results["sync"]
    batch_wall, batch = results["batch"]
    report(f"sync: {options.latency * 1000:.0f} ms per call, at most {options.cap} in flight", sync_wall, sync, count)
    report(
        f"batch: {options.batch_latency:g} s per batch, polled every {options.poll:g} s "
        f"(bound: 2 batches one after the other, {2 * options.batch_latency:.2f} s)",
        batch_wall,
        batch,
        count,
    )
    for line in batch["phases"]:
        print(f"    {line}")
    print("  batch / sync")
    print(
        f"    cost {batch['cost']:.6f} / {sync['cost']:.6f} USD = {batch['cost'] / sync['cost']:.3f}; "
        f"tokens: input {batch['input'] / sync['input']:.3f}, cached {batch['cached'] / max(sync['cached'], 1):.3f}, "
        f"output {batch['output'] / sync['output']:.3f}"
    )
    print(
        f"    the sync run's tokens at the batch price: {sync['repriced']['batch']:.6f} USD; "
        f"the batch run's tokens at the sync price: {batch['repriced']['sync']:.6f} USD"
    )
    print(f"    wall {batch_wall:.2f} / {sync_wall:.2f} s = {batch_wall / sync_wall:.2f}")


if __name__ == "__main__":
    main()
