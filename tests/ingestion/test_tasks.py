"""The pipeline tasks, run in this process (Celery's eager mode) against the stand-in:
every failure ends in a visible state on the paper it concerns, never on the others."""

import datetime

import pytest

from papernotes.celery import app as celery_app
from papernotes.ingestion.services import issue_create_from_list, issue_retry_failed
from papernotes.ingestion.tasks import ingest_issue_task
from papernotes.models import IngestionStage, IngestionStatus, Note, Paper, PaperIngestion, PaperPdf, Passage
from tests.support import pdfgen

pytestmark = pytest.mark.django_db

WEEK = datetime.date(2024, 4, 29)
GOOD, BAD = "2405.01535", "2404.18930"  # v1 each in the fixture


@pytest.fixture(autouse=True)
def eager_tasks(settings):
    # The real task code, run synchronously: retries re-run at once instead of later.
    celery_app.conf.task_always_eager = True
    settings.ARXIV_RETRY_ATTEMPTS = 1
    settings.ARXIV_BACKOFF_BASE = 0.01
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def stand_in(arxiv_server):
    arxiv_server.local_pdf_links = True
    arxiv_server.pdfs[f"{GOOD}v1"] = pdfgen.make_paper_pdf(title="Good paper", pages=2)
    arxiv_server.pdfs[f"{BAD}v1"] = pdfgen.make_paper_pdf(title="Bad paper", pages=2, seed=1)
    return arxiv_server


def _run(*ids: str) -> dict[str, PaperIngestion]:
    result = issue_create_from_list(text="\n".join(ids), week_start=WEEK)
    ingest_issue_task.delay(result.issue.pk)
    return {state.paper.arxiv_id: state for state in PaperIngestion.objects.select_related("paper")}


def _assert_only_bad_failed(states, code: str, *message_parts: str) -> PaperIngestion:
    assert states[GOOD].status == IngestionStatus.SUCCEEDED, states[GOOD].last_error
    bad = states[BAD]
    assert (bad.status, bad.error_code) == (IngestionStatus.FAILED, code), bad.last_error
    for part in message_parts:
        assert part in bad.last_error
    return bad


def test_happy_path_stores_metadata_pdf_and_passages(stand_in):
    states = _run(GOOD)
    state = states[GOOD]
    assert (state.stage, state.status, state.progress) == (IngestionStage.DONE, IngestionStatus.SUCCEEDED, 100)
    assert state.attempts == 1  # of the last stage: nothing had to be tried twice
    paper = Paper.objects.get(arxiv_id=GOOD)
    assert paper.authors[0] == "Seungone Kim" and paper.categories == ["cs.CL"]
    assert paper.first_published_on == datetime.date(2024, 5, 2)
    assert paper.pdf.page_count == 2 and len(paper.pdf.sha256) == 64
    assert paper.passages.exists()


def test_arxiv_down_fails_every_paper_of_the_batch_visibly_after_the_retries(stand_in):
    stand_in.behave("/api/query", status=503)
    states = _run(GOOD, BAD)
    for state in states.values():
        assert (state.stage, state.status, state.error_code) == ("metadata", "failed", "arxiv_unavailable")
        assert "arXiv" in state.last_error
        assert state.attempts == 5  # the first run and the task's four retries
    assert Passage.objects.count() == 0


def test_arxiv_down_for_a_moment_is_retried(stand_in):
    stand_in.fail_next(1, status=503, path="/api/query")
    states = _run(GOOD)
    assert states[GOOD].status == IngestionStatus.SUCCEEDED


def test_unknown_id_fails_only_that_paper(stand_in):
    states = _run(GOOD, "2405.99999")
    assert states[GOOD].status == IngestionStatus.SUCCEEDED
    unknown = states["2405.99999"]
    assert (unknown.status, unknown.error_code) == ("failed", "unknown")
    assert "2405.99999" in unknown.last_error


def test_withdrawn_paper_fails_only_that_paper(stand_in):
    stand_in.add_paper(BAD, title="Withdrawn", comment="This paper has been withdrawn by the authors")
    _assert_only_bad_failed(_run(GOOD, BAD), "withdrawn")


def test_pdf_not_a_pdf(stand_in):
    stand_in.behave(f"/pdf/{BAD}v1", content_type="text/html", body=b"<html><body>Just a moment</body></html>")
    _assert_only_bad_failed(_run(GOOD, BAD), "not_pdf", "PDF")


def test_pdf_too_large(stand_in, settings):
    settings.PDF_MAX_BYTES = 200_000
    stand_in.behave(f"/pdf/{BAD}v1", size=1_000_000)
    _assert_only_bad_failed(_run(GOOD, BAD), "too_large", "MB")


def test_pdf_on_a_disallowed_host(stand_in):
    stand_in.local_pdf_links = False  # the feed then links to arxiv.org, which these tests do not allow
    states = _run(BAD)
    assert (states[BAD].status, states[BAD].error_code) == ("failed", "disallowed_host")


def test_pdf_redirect_to_a_disallowed_host(stand_in):
    stand_in.behave(f"/pdf/{BAD}v1", redirect_to=stand_in.pdf_url(BAD, 1, host="localhost"))
    _assert_only_bad_failed(_run(GOOD, BAD), "redirect_disallowed", "localhost")


def test_pdf_server_error_is_retried_then_final(stand_in):
    stand_in.behave(f"/pdf/{BAD}v1", status=500)
    bad = _assert_only_bad_failed(_run(GOOD, BAD), "http_error", "500")
    assert bad.attempts == 5  # the PDF stage's first run and its four retries


def test_slow_pdf_times_out(stand_in, settings):
    settings.PDF_TIMEOUT = 0.3
    stand_in.behave(f"/pdf/{BAD}v1", delay=1.0)
    _assert_only_bad_failed(_run(GOOD, BAD), "timeout")


@pytest.mark.parametrize(
    ("make_pdf", "code"),
    [
        (pdfgen.make_corrupt_pdf, "corrupt"),
        (pdfgen.make_encrypted_pdf, "encrypted"),
        (pdfgen.make_image_only_pdf, "image_only"),
        (pdfgen.make_empty_pdf, "empty"),
    ],
)
def test_unusable_pdf_content_fails_only_that_paper(stand_in, make_pdf, code):
    stand_in.pdfs[f"{BAD}v1"] = make_pdf()
    bad = _assert_only_bad_failed(_run(GOOD, BAD), code)
    assert bad.stage == IngestionStage.EXTRACTION and bad.last_error


def test_too_many_pages(stand_in, settings):
    settings.PDF_MAX_PAGES = 1
    states = _run(BAD)
    assert (states[BAD].status, states[BAD].error_code) == ("failed", "too_many_pages")


def test_a_newer_version_is_recorded_and_its_pdf_fetched(stand_in):
    # Given a paper ingested at v1
    _run(GOOD)
    first_sha = PaperPdf.objects.get(paper__arxiv_id=GOOD).sha256
    # When arXiv has a v2 with a later updated date and the issue is ingested again
    stand_in.add_paper(GOOD, title="Prometheus 2 (revised)", version=2, published="2024-05-02", updated="2024-06-01")
    stand_in.pdfs[f"{GOOD}v2"] = pdfgen.make_paper_pdf(title="Revised", pages=3, seed=7)
    ingest_issue_task.delay(Paper.objects.get(arxiv_id=GOOD).notes.get().issue_id)
    # Then the paper shows v2, its date, and the new PDF and passages
    paper = Paper.objects.get(arxiv_id=GOOD)
    assert (paper.latest_version, paper.latest_updated_on) == (2, datetime.date(2024, 6, 1))
    assert paper.pdf_url.endswith(f"{GOOD}v2")
    assert paper.pdf.version == 2 and paper.pdf.sha256 != first_sha and paper.pdf.page_count == 3


def test_running_twice_changes_nothing(stand_in):
    _run(GOOD)
    before = (list(Passage.objects.values_list("text", flat=True)), PaperPdf.objects.get().sha256)
    ingest_issue_task.delay(Paper.objects.get().notes.get().issue_id)
    assert (list(Passage.objects.values_list("text", flat=True)), PaperPdf.objects.get().sha256) == before
    assert len(stand_in.requests_to(f"/pdf/{GOOD}v1")) == 1


def test_papers_from_a_list_are_ordered_by_date_and_a_retry_keeps_an_editors_order(
    stand_in, django_capture_on_commit_callbacks
):
    # Given a list in which the older paper comes first, and the newer one's PDF is missing
    stand_in.behave(f"/pdf/{GOOD}v1", status=404)
    with django_capture_on_commit_callbacks(execute=True):
        result = issue_create_from_list(text=f"{BAD}\n{GOOD}", week_start=WEEK)
    notes = result.issue.notes.order_by("position")
    # Then the issue is ordered as the blog orders it: newest 発行日 first
    assert [n.paper.arxiv_id for n in notes] == [GOOD, BAD]
    # When an editor puts them the other way round and retries the failed paper
    Note.objects.filter(paper__arxiv_id=GOOD).update(position=3)
    Note.objects.filter(paper__arxiv_id=BAD).update(position=1)
    stand_in.reset()
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_retry_failed(issue=result.issue) == [Paper.objects.get(arxiv_id=GOOD).pk]
    # Then the paper is done and the editor's order stands
    assert PaperIngestion.objects.get(paper__arxiv_id=GOOD).status == IngestionStatus.SUCCEEDED
    assert [n.paper.arxiv_id for n in result.issue.notes.order_by("position")] == [BAD, GOOD]


def test_chart_labels_are_stored_as_figure_text_apart_from_the_body(arxiv_server):
    # Given a paper whose PDF has charts (tick numbers, legends, axis titles)
    arxiv_server.local_pdf_links = True
    paper_pdf = pdfgen.generate_paper(title="Charted paper", pages=4, with_figures=True)
    arxiv_server.pdfs[f"{GOOD}v1"] = paper_pdf.pdf
    # When it is ingested
    states = _run(GOOD)
    assert states[GOOD].status == IngestionStatus.SUCCEEDED, states[GOOD].last_error
    # Then its chart labels are stored, marked as figure text, and the body has none of them
    passages = Passage.objects.filter(paper__arxiv_id=GOOD)
    figure_text = " ".join(passages.filter(is_figure_text=True).values_list("text", flat=True))
    body = " ".join(passages.filter(is_figure_text=False).values_list("text", flat=True))
    assert "Training Steps" in figure_text and "2 Layers" in figure_text
    assert "Training Steps" not in body and "2 Layers" not in body
    assert not passages.filter(is_figure_text=True, is_reference=True).exists()


def test_tables_are_stored_as_body_passages_marked_as_tables(arxiv_server):
    # Given a paper whose PDF has a booktabs table in a column and one across the page
    arxiv_server.local_pdf_links = True
    paper_pdf = pdfgen.generate_paper(title="Tabled paper", pages=5, with_tables=True)
    arxiv_server.pdfs[f"{GOOD}v1"] = paper_pdf.pdf
    # When it is ingested
    states = _run(GOOD)
    assert states[GOOD].status == IngestionStatus.SUCCEEDED, states[GOOD].last_error
    # Then each table is one stored passage, marked as a table, among the body passages that
    # drafting may quote
    paper = Paper.objects.get(arxiv_id=GOOD)
    tables = list(paper.passages.filter(is_table=True).values_list("text", flat=True))
    assert tables == [table.text for table in paper_pdf.tables]
    assert set(paper.passages.body().filter(is_table=True).values_list("text", flat=True)) == set(tables)
