"""End to end: a week pasted as a list is ingested and drafted through a real Celery worker
on Redis, against the local arXiv stand-in and the local OpenAI-compatible stand-in."""

import datetime
import time

import pytest

from papernotes.ingestion.selectors import issue_pipeline
from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import AnswerEvidence, DraftingStatus, LlmCall, Note, NoteDrafting, NoteState, TextSource
from tests.support.openai_server import OpenAIServer, Reply
from tests.support.pdfgen import make_paper_pdf

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WEEK = datetime.date(2024, 4, 29)
PAPERS = {"2405.01535": 1, "2405.00675": 4, "2404.19756": 4}


@pytest.fixture
def llm_stand_in(settings):
    with OpenAIServer() as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = ""
        settings.LLM_BACKOFF_BASE = 0.01
        settings.LLM_TIMEOUT = 5.0
        yield server


def _wait_for_drafts(count: int, timeout: float = 90.0) -> list[NoteDrafting]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = list(NoteDrafting.objects.filter(status__in=[DraftingStatus.SUCCEEDED, DraftingStatus.FAILED]))
        if len(finished) == count:
            return finished
        time.sleep(0.2)
    pytest.fail(f"drafting did not finish in {timeout}s: {list(NoteDrafting.objects.values('status', 'step'))}")


def test_a_pasted_week_gets_complete_drafts_with_verified_evidence_and_costs(
    celery_worker_on_redis, arxiv_stand_in, llm_stand_in
):
    # Given the stand-ins serve three papers and a model; the first answer call is rate limited
    for seed, (arxiv_id, version) in enumerate(PAPERS.items()):
        arxiv_stand_in.pdfs[f"{arxiv_id}v{version}"] = make_paper_pdf(title=f"Paper {arxiv_id}", pages=3, seed=seed)
    llm_stand_in.script(Reply(status=429, retry_after="1"), step="answer")

    # When an editor pastes the week
    issue_create_from_list(text="\n".join(PAPERS), week_start=WEEK)
    drafts = _wait_for_drafts(3)

    # Then every note is drafted in Japanese, with evidence found in the paper and costs recorded
    assert {d.status for d in drafts} == {DraftingStatus.SUCCEEDED}, [d.last_error for d in drafts]
    for note in Note.objects.select_related("paper"):
        assert note.state == NoteState.DRAFTED
        assert note.abstract_ja_source == TextSource.MACHINE and note.abstract_ja
        assert note.qas.count() == 10
        evidence = AnswerEvidence.objects.filter(qa__note=note)
        assert evidence.count() == 10 and all(e.verified and e.page_start for e in evidence)
    assert LlmCall.objects.filter(outcome="ok").count() == 6  # read and answer for each paper
    assert LlmCall.objects.filter(outcome="http_error", status_code=429).count() == 1
    pipeline = issue_pipeline(week_start=WEEK)
    assert (pipeline.done, pipeline.failed, pipeline.progress) == (3, 0, 100)
    assert pipeline.cost_usd > 0
