"""The admin's query counts stay flat as an issue grows from 1 to 30 papers: every list and
the issue page load what their rows show in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papernotes.ingestion.services import issue_create_from_list
from papernotes.models import AnswerEvidence
from tests.factories import NoteFactory, PassageFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


def _grow(issue, papers: int) -> None:
    for position in range(issue.notes.count() + 1, papers + 1):
        note = NoteFactory(issue=issue, position=position)
        PassageFactory(paper=note.paper)
        for qa in range(1, 12):
            QuestionAnswerFactory(note=note, position=qa)


def _count(client, url: str) -> int:
    client.get(url)  # warm caches that are per process, not per request (content types, sites)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


URLS = {
    "dashboard": lambda issue: reverse("admin:index"),
    "issue page": lambda issue: reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]),
    "issue list": lambda issue: reverse("admin:papernotes_weeklyissue_changelist"),
    "note list": lambda issue: reverse("admin:papernotes_note_changelist"),
    "paper list": lambda issue: reverse("admin:papernotes_paper_changelist"),
    "Q&A list": lambda issue: reverse("admin:papernotes_questionanswer_changelist"),
    "passage list": lambda issue: reverse("admin:papernotes_passage_changelist"),
}


@pytest.mark.parametrize("page", URLS)
def test_admin_pages_query_counts_do_not_grow_with_papers(admin_client, page):
    # given an issue with one paper (its note, eleven Q&A pairs and a passage)
    issue = WeeklyIssueFactory()
    _grow(issue, 1)
    url = URLS[page](issue)
    one = _count(admin_client, url)

    # when it grows to thirty papers
    _grow(issue, 30)

    # then the page makes no more queries than before
    assert _count(admin_client, url) == one


def test_the_issue_page_of_an_ingested_week_stays_flat_too(admin_client):
    # given issues made from lists, so each paper has its ingestion and drafting rows
    small = issue_create_from_list(text="2405.01535", week_start=_monday(0)).issue
    big = issue_create_from_list(text=" ".join(f"2405.{n:05d}" for n in range(1000, 1030)), week_start=_monday(1)).issue

    # then both issue pages make the same number of queries
    one = _count(admin_client, reverse("admin:papernotes_weeklyissue_change", args=[small.pk]))
    thirty = _count(admin_client, reverse("admin:papernotes_weeklyissue_change", args=[big.pk]))
    assert big.notes.count() == 30
    assert thirty == one


def _monday(weeks: int):
    import datetime

    return datetime.date(2024, 4, 29) + datetime.timedelta(weeks=weeks)


def _note_with_pairs(pairs: int):
    """A note whose every answer quotes a passage of its paper."""
    note = NoteFactory(issue=WeeklyIssueFactory(), position=1)
    for position in range(1, pairs + 1):
        passage = PassageFactory(paper=note.paper, position=position, page_start=position, page_end=position)
        qa = QuestionAnswerFactory(note=note, position=position, answer=f"答え{position}は7Bです.")
        AnswerEvidence.objects.create(
            qa=qa, position=1, passage=passage, page_start=position, page_end=position, quote="7 billion parameters"
        )
    return note


def test_the_review_screen_stays_flat_from_one_to_ten_pairs_with_their_evidence(admin_client):
    # Given a note with one Q&A pair and one with ten, every answer with its evidence passage
    one = _count(admin_client, reverse("admin:papernotes_note_change", args=[_note_with_pairs(1).pk]))
    ten = _count(admin_client, reverse("admin:papernotes_note_change", args=[_note_with_pairs(10).pk]))
    # Then the review screen makes the same number of queries for both
    assert ten == one
