"""End-to-end ingestion of a ten-paper week against the local arXiv stand-in.

Prints figures, not a verdict. In one run it measures:

* pipeline: ``issue_create_from_list`` with the sample week's ten ids, through a real
  Celery worker (in-process thread, kombu's in-memory broker), the arXiv client, the
  shared rate limiter, the PDF download and PyMuPDF extraction, into a scratch SQLite
  database, until every paper has settled;
* baseline: the least any ingester must do for the same week: one metadata request,
  ten plain PDF GETs and a bare ``page.get_text()`` over each PDF;

and the ratio pipeline / baseline. The rate limiter's interval is set to 0 for this
ratio (it measures our overhead); the time arXiv's terms add in production is printed
separately: (1 + 10 requests - 1) x ARXIV_MIN_INTERVAL at least.

Usage: .venv/bin/python bench/ingestion_week.py [--rounds 3] [--pages 12]
"""

import argparse
import datetime
import statistics
import time

import scratch_django

scratch_django.setup(CELERY_BROKER_URL="memory://")

import pymupdf
import requests
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command

from papernotes.celery import app
from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import IngestionStatus, Paper, PaperIngestion, Passage, WeeklyIssue
from tests.support.arxiv_server import ArxivServer
from tests.support.pdfgen import make_paper_pdf

WEEK = datetime.date(2024, 4, 29)


def reset_database() -> None:
    Passage.objects.all().delete()
    WeeklyIssue.objects.all().delete()
    Paper.objects.all().delete()


def run_pipeline(ids: list[str]) -> float:
    reset_database()
    started = time.perf_counter()
    issue_create_from_list(text="\n".join(ids), week_start=WEEK)
    while True:
        states = list(PaperIngestion.objects.values_list("status", flat=True))
        if len(states) == len(ids) and all(s in (IngestionStatus.SUCCEEDED, IngestionStatus.FAILED) for s in states):
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    failed = PaperIngestion.objects.filter(status=IngestionStatus.FAILED).count()
    if failed:
        raise SystemExit(f"{failed} papers failed: {list(PaperIngestion.objects.values_list('last_error', flat=True))}")
    return elapsed


def run_baseline(server: ArxivServer, ids: list[str], versions: dict[str, str]) -> float:
    started = time.perf_counter()
    with requests.Session() as session:
        session.get(
            server.api_url, params={"id_list": ",".join(ids), "max_results": len(ids)}, timeout=30
        ).raise_for_status()
        for arxiv_id in ids:
            data = session.get(server.pdf_url(arxiv_id, int(versions[arxiv_id].rsplit("v", 1)[1])), timeout=30).content
            with pymupdf.open(stream=data, filetype="pdf") as document:
                for page in document:
                    page.get_text()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=12, help="pages per generated PDF")
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    with ArxivServer() as server:
        server.local_pdf_links = True
        ids = list(server.papers)
        versions = {arxiv_id: f"{arxiv_id}v{server.papers[arxiv_id].version}" for arxiv_id in ids}
        for seed, arxiv_id in enumerate(ids):
            server.pdfs[versions[arxiv_id]] = make_paper_pdf(title=f"Paper {arxiv_id}", pages=options.pages, seed=seed)
        settings.ARXIV_API_URL = server.api_url
        settings.ARXIV_MIN_INTERVAL = 0.0
        settings.PDF_ALLOWED_HOSTS = ["127.0.0.1"]
        app.conf.broker_url = "memory://"
        # The in-memory transport polls; Redis (production) blocks on BRPOP instead.
        app.conf.broker_transport_options = {"polling_interval": 0.01}

        pipeline_times, baseline_times = [], []
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
            run_pipeline(ids)  # warm-up
            run_baseline(server, ids, versions)
            for _ in range(options.rounds):
                baseline_times.append(run_baseline(server, ids, versions))
                pipeline_times.append(run_pipeline(ids))
        passages = Passage.objects.count()

    ratios = [p / b for p, b in zip(pipeline_times, baseline_times, strict=True)]
    print(f"ten-paper week, {options.pages}-page two-column PDFs, {options.rounds} rounds after a warm-up")
    print(
        f"  pipeline (worker, 2 threads): median {statistics.median(pipeline_times):.3f} s "
        f"(min {min(pipeline_times):.3f}, max {max(pipeline_times):.3f}); {passages} passages stored"
    )
    print(f"  baseline (1 query, 10 GETs, bare get_text): median {statistics.median(baseline_times):.3f} s")
    print(
        f"  ratio pipeline/baseline: median {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    polite = (1 + len(ids) - 1) * 3.0
    print(
        f"  in production arXiv's 3 s spacing adds at least {polite:.0f} s for 11 requests (1 metadata query + 10 PDFs)"
    )


if __name__ == "__main__":
    main()
