"""Drafting against the local OpenAI-compatible stand-in, with the real ``openai`` client."""

from collections.abc import Iterator

import pytest

from papernotes.celery import app as celery_app
from papernotes.models import IngestionStage, IngestionStatus, NoteState, Paper, PaperIngestion, TextSource
from tests.factories import NoteFactory, PassageFactory, WeeklyIssueFactory
from tests.support.openai_server import OpenAIServer

SECTIONS = ["1 Introduction", "2 Method", "3 Experiments", "4 Results", "5 Conclusion"]


@pytest.fixture
def llm_server(settings) -> Iterator[OpenAIServer]:
    """The stand-in, with the settings of a fast test run pointing at it."""
    with OpenAIServer() as server:
        settings.OPENAI_API_KEY = ""
        settings.OPENAI_BASE_URL = server.base_url
        settings.LLM_TIMEOUT = 2.0
        settings.LLM_RETRY_ATTEMPTS = 3
        settings.LLM_BACKOFF_BASE = 0.01
        settings.LLM_MAX_RETRY_AFTER = 5.0
        settings.LLM_MAX_CONCURRENT = 4
        settings.LLM_MODEL = settings.LLM_MODEL_READ = settings.LLM_MODEL_ANSWER = "gpt-4o-mini"
        settings.LLM_MODEL_REPAIR = "gpt-4o-mini"
        settings.REDIS_URL = ""
        yield server


@pytest.fixture
def eager_tasks(settings) -> Iterator[None]:
    # The real task code, run in this process: a retry runs again at once.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def make_note(*, passages: int = 10, **note_fields):
    """A note waiting for its draft, on a paper with extracted body passages."""
    issue = WeeklyIssueFactory()
    fields = {
        "summary": "",
        "summary_source": TextSource.EMPTY,
        "abstract_ja": "",
        "abstract_ja_source": TextSource.EMPTY,
        "state": NoteState.AWAITING_DRAFT,
        **note_fields,
    }
    note = NoteFactory(issue=issue, **fields)
    Paper.objects.filter(pk=note.paper_id).update(
        abstract_en=(
            "We introduce Prometheus 2, an open evaluator language model. It scores 0.897 Pearson correlation "
            "on four direct assessment benchmarks and beats GPT-4 in 3 of 4 pairwise ranking benchmarks."
        )
    )
    PaperIngestion.objects.create(paper=note.paper, stage=IngestionStage.DONE, status=IngestionStatus.SUCCEEDED)
    for position in range(passages):
        PassageFactory(
            paper=note.paper,
            position=position,
            page_start=position // 2 + 1,
            page_end=position // 2 + 1,
            section=SECTIONS[position * len(SECTIONS) // max(passages, 1)],
        )
    note.refresh_from_db()
    return note
