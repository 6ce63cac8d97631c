"""End to end: a list of papers becomes papers with metadata and passages, through a real
Celery worker on Redis, against the local arXiv stand-in (real HTTP, real Atom, real PDFs)."""

import datetime
import time

import pytest

from papernotes.ingestion.pipeline import ingestion_queue
from papernotes.ingestion.selectors import issue_pipeline
from papernotes.ingestion.services import issue_create_from_list, issue_retry_failed
from papernotes.ingestion.tasks import ingest_issue_task
from papernotes.models import IngestionStatus, Note, Paper, PaperIngestion, Passage
from tests.support.pdfgen import make_paper_pdf

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WEEK = datetime.date(2024, 4, 29)
PAPERS = {"2405.01535": 1, "2405.00675": 4, "2404.19756": 4}


def _wait_until_settled(paper_ids, timeout: float = 90.0) -> list[PaperIngestion]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(PaperIngestion.objects.filter(paper_id__in=paper_ids))
        settled = [s for s in states if s.status in (IngestionStatus.SUCCEEDED, IngestionStatus.FAILED)]
        if len(states) == len(paper_ids) and len(settled) == len(states):
            return states
        time.sleep(0.2)
    pytest.fail(f"pipeline did not settle in {timeout}s: {[(s.paper_id, s.stage, s.status) for s in states]}")


def _serve_pdfs(server) -> None:
    for seed, (arxiv_id, version) in enumerate(PAPERS.items()):
        server.pdfs[f"{arxiv_id}v{version}"] = make_paper_pdf(title=f"Paper {arxiv_id}", pages=3, seed=seed)


def test_three_paper_issue_goes_through_the_worker(celery_worker_on_redis, arxiv_stand_in):
    # Given the stand-in serves three papers' metadata and PDFs, and one id arXiv does not know
    _serve_pdfs(arxiv_stand_in)
    text = "\n".join([*PAPERS, "2405.99999"])

    # When an editor creates the week's issue from the list
    result = issue_create_from_list(text=text, week_start=WEEK)
    paper_ids = list(Paper.objects.values_list("pk", flat=True))
    states = {s.paper.arxiv_id: s for s in _wait_until_settled(paper_ids)}

    # Then the three papers are complete, and only the unknown one failed, with a message
    assert len(result.added) == 4
    for arxiv_id, version in PAPERS.items():
        state = states[arxiv_id]
        assert state.status == IngestionStatus.SUCCEEDED, state.last_error
        paper = Paper.objects.get(arxiv_id=arxiv_id)
        assert paper.latest_version == version
        assert paper.title and paper.authors and paper.abstract_en
        assert paper.pdf.sha256 and paper.pdf.page_count == 3
        assert paper.passages.filter(is_reference=False).count() >= 2
        assert paper.passages.filter(is_reference=True).exists()
        assert set(state.timings) >= {"metadata", "pdf", "extraction"}
    unknown = states["2405.99999"]
    assert unknown.status == IngestionStatus.FAILED and unknown.error_code == "unknown"
    assert "2405.99999" in unknown.last_error

    # And the metadata of all four came in one request to arXiv
    assert len(arxiv_stand_in.requests_to("/api/query")) == 1
    # And the notes are ordered by 発行日, newest first (as the blog orders them)
    assert [n.paper.arxiv_id for n in Note.objects.order_by("position")][:3] == [
        "2405.01535",
        "2405.00675",
        "2404.19756",
    ]
    # And with no LLM configured, the three wait for a manual draft: done as far as the
    # pipeline goes; the failed one counts only for what it did, never as done.
    pipeline = issue_pipeline(week_start=WEEK)
    assert (pipeline.done, pipeline.failed, pipeline.total, pipeline.progress) == (3, 1, 4, 75)
    assert {row.state_label for row in pipeline.rows} == {"手動で下書き", "失敗"}


def test_a_failed_pdf_is_retried_and_an_unchanged_pdf_is_not_downloaded_again(celery_worker_on_redis, arxiv_stand_in):
    # Given one paper whose PDF is not a PDF (a permanent failure)
    _serve_pdfs(arxiv_stand_in)
    arxiv_stand_in.behave("/pdf/2405.01535v1", content_type="text/html", body=b"<html>captcha</html>")
    issue_create_from_list(text="\n".join(PAPERS), week_start=WEEK)
    paper_ids = list(Paper.objects.values_list("pk", flat=True))
    states = {s.paper.arxiv_id: s for s in _wait_until_settled(paper_ids)}
    failed = states["2405.01535"]
    assert failed.status == IngestionStatus.FAILED and failed.error_code == "not_pdf"
    assert "PDF" in failed.last_error

    # When arXiv serves the right file again and the editor retries the failed papers
    arxiv_stand_in.reset()
    issue = Note.objects.first().issue
    retried = issue_retry_failed(issue=issue)
    assert retried == [failed.paper_id]
    states = {s.paper.arxiv_id: s for s in _wait_until_settled(paper_ids)}

    # Then every paper is done
    assert all(s.status == IngestionStatus.SUCCEEDED for s in states.values())
    assert Paper.objects.get(arxiv_id="2405.01535").passages.exists()
    assert [r.path for r in arxiv_stand_in.requests if r.path.startswith("/pdf/")] == ["/pdf/2405.01535v1"]

    # And when the whole issue runs again (a duplicate delivery, a refresh), the unchanged
    # PDFs are not downloaded again and the passages are not duplicated
    passages = Passage.objects.count()
    arxiv_stand_in.reset()
    ingestion_queue(paper_ids=paper_ids)
    ingest_issue_task.delay(issue.pk)
    states = {s.paper.arxiv_id: s for s in _wait_until_settled(paper_ids)}
    assert all(s.status == IngestionStatus.SUCCEEDED for s in states.values())
    assert [r.path for r in arxiv_stand_in.requests] == ["/api/query"]
    assert Passage.objects.count() == passages
