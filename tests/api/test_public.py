"""The public, read-only API: published issues, approved notes, papers."""

import datetime

import pytest

from papernotes.models import NoteState
from tests.api.conftest import SECRET
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

ISSUE_LIST_QUERIES = 3  # stamp, count, page
NOTE_LIST_QUERIES = 4  # stamp, count, page joined to issue and paper, Q&A
ISSUE_DETAIL_QUERIES = 4  # stamp, issue, notes, Q&A


def test_issue_list_is_paginated_newest_first_with_counts_of_public_notes(api, archive):
    response = api.get("/api/v1/issues/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [issue["week_start"] for issue in body["results"]] == ["2024-04-29", "2024-04-22"]
    first = body["results"][0]
    assert first["paper_count"] == 1  # the unapproved notes do not count
    assert first["url"] == "/issues/2024-04-29/"
    assert body["results"][1]["state"] == "corrected"
    assert body["results"][1]["corrected_at"].startswith("2024-05-01")


def test_issue_detail_nests_approved_notes_and_their_qa(api, archive):
    response = api.get("/api/v1/issues/2024-04-29/")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "最新論文ノート:【2024-04-29~ 2024-05-05】"
    assert body["text_url"] == "/issues/2024-04-29.txt"
    assert [note["arxiv_id"] for note in body["notes"]] == ["2405.01535"]
    note = body["notes"][0]
    assert note["url"] == "/issues/2024-04-29/#paper-1"
    assert note["abs_url"].startswith("https://arxiv.org/abs/2405.01535")
    assert note["categories"] == [
        {"code": "cs.CL", "name": "Computation and Language"},
        {"code": "cs.LG", "name": "Machine Learning"},
    ]
    assert note["qas"] == [{"position": 1, "question": "何を評価する?", "answer": "LM の出力です."}]
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["2405.01535", "Corrected"]),
        ({"week": "2024-04-29"}, ["2405.01535"]),
        ({"category": "cs.LG"}, ["2405.01535", "Corrected"]),
        ({"category": "cs.CV"}, []),
        ({"arxiv_id": "arXiv:2405.01535v1"}, ["2405.01535"]),
        ({"q": "評価"}, ["2405.01535"]),
        ({"q": "評価 SECRET"}, []),
        ({"published_after": "2024-04-30", "published_before": "2024-04-30"}, ["2405.01535", "Corrected"]),
        ({"published_after": "2024-05-01"}, []),
    ],
)
def test_notes_filters(api, archive, params, expected):
    response = api.get("/api/v1/notes/", params)

    assert response.status_code == 200
    found = [
        note["arxiv_id"] if note["arxiv_id"] == "2405.01535" else note["title"].split()[0]
        for note in response.json()["results"]
    ]
    assert found == expected
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": "評"}, "q"), ({"week": "not-a-date"}, "week"), ({"published_after": "2024-13-01"}, "published_after")],
)
def test_bad_filters_are_a_400_with_a_japanese_message(api, archive, params, field):
    response = api.get("/api/v1/notes/", params)

    assert response.status_code == 400
    assert field in response.json()


def test_paper_endpoint_lists_its_public_notes(api, archive):
    response = api.get("/api/v1/papers/2405.01535/")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Prometheus 2"
    assert body["url"] == "/papers/2405.01535/"
    assert [note["issue"]["week_start"] for note in body["notes"]] == ["2024-04-29"]
    assert api.get("/api/v1/papers/2405.09999/").status_code == 404


def test_conditional_get_answers_304_from_the_version_stamp(api, archive, django_assert_num_queries):
    first = api.get("/api/v1/issues/2024-04-29/")
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=60"

    with django_assert_num_queries(1):
        again = api.get("/api/v1/issues/2024-04-29/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""

    # an edit of a public text changes the ETag
    qa = archive["approved"].qas.get()
    qa.answer = "訂正しました."
    qa.save()
    changed = api.get("/api/v1/issues/2024-04-29/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.json()["notes"][0]["qas"][0]["answer"] == "訂正しました."


def test_lists_run_a_flat_number_of_queries(api, archive, django_assert_num_queries):
    with django_assert_num_queries(ISSUE_LIST_QUERIES):
        api.get("/api/v1/issues/")
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        api.get("/api/v1/notes/")
    with django_assert_num_queries(ISSUE_DETAIL_QUERIES):
        api.get("/api/v1/issues/2024-04-29/")

    # when the archive grows by thirty issues of thirty approved notes with Q&A
    for week in range(2, 32):
        issue = WeeklyIssueFactory(
            week_start=datetime.date(2024, 4, 29) - datetime.timedelta(weeks=week), published=True
        )
        for position in range(1, 31):
            note = NoteFactory(issue=issue, position=position, state=NoteState.APPROVED)
            QuestionAnswerFactory(note=note, position=1)

    with django_assert_num_queries(ISSUE_LIST_QUERIES):
        assert api.get("/api/v1/issues/").json()["count"] == 32
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        assert len(api.get("/api/v1/notes/").json()["results"]) == 20
    with django_assert_num_queries(ISSUE_DETAIL_QUERIES):
        assert len(api.get(f"/api/v1/issues/{issue.week_start}/").json()["notes"]) == 30


def test_anonymous_clients_are_throttled(api, archive, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    from django.core.cache import cache

    cache.clear()
    # a forged X-Forwarded-For does not make a client someone else; each page size is a render
    statuses = [
        api.get(f"/api/v1/issues/?page_size={n + 1}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


def test_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = api.get("/api/schema/docs/")

    assert schema.status_code == 200
    assert "/api/v1/notes/" in schema.content.decode()
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()


def test_search_counts_up_to_the_limit_and_pages_on(api, archive, settings):
    # given more public notes mentioning 評価 than the count limit
    issue = WeeklyIssueFactory(week_start=datetime.date(2024, 4, 15), published=True)
    for position in range(1, 6):
        NoteFactory(issue=issue, position=position, state=NoteState.APPROVED, summary=f"評価 {position}.")
    settings.SEARCH_COUNT_LIMIT = 3

    # when a client searches two notes a page
    first = api.get("/api/v1/notes/", {"q": "評価", "page_size": 2}).json()
    rest = api.get(first["next"]).json()

    # then the count is the limit, marked as capped, and the pages rank that many: the note
    # with 評価 in its one-liner and 概要 first, then equal scores by week and position
    assert (first["count"], first["count_is_capped"], first["previous"]) == (3, True, None)
    assert [note["issue"]["week_start"] for note in first["results"]] == ["2024-04-29", "2024-04-15"]
    assert [note["position"] for note in first["results"]] == [1, 1]
    assert [(note["issue"]["week_start"], note["position"]) for note in rest["results"]] == [("2024-04-15", 2)]
    assert rest["previous"] is not None and rest["next"] is None
    # and other filters still apply
    week = api.get("/api/v1/notes/", {"q": "評価", "week": "2024-04-29"}).json()
    assert (week["count"], week["count_is_capped"]) == (1, False)
    assert [note["issue"]["week_start"] for note in week["results"]] == ["2024-04-29"]
    assert SECRET not in str(first) + str(rest)
    assert api.get("/api/v1/notes/", {"q": "評価", "page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a" * 101, "100"),
        ("評 価", "1 文字だけの語では探せません。"),
        ("... 評価", "記号や絵文字だけの語"),
    ],
)
def test_search_queries_that_cannot_be_searched_are_a_400_with_the_reason(api, archive, q, message):
    response = api.get("/api/v1/notes/", {"q": q})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in " ".join(response.json()["q"])


def test_a_nul_in_q_is_a_json_400_before_any_view(api, archive):
    # Given q with a NUL byte, when asked for, then the request guard answers in JSON
    response = api.get("/api/v1/notes/", {"q": "abc\x00def"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "制御文字" in response.json()["detail"]


def test_a_number_after_a_name_is_searched_with_it(api, archive):
    response = api.get("/api/v1/notes/", {"q": "Prometheus 2"})

    assert response.status_code == 200
    assert [note["arxiv_id"] for note in response.json()["results"]] == ["2405.01535"]


def test_a_search_within_filters_that_match_nothing_is_an_empty_page(api, archive):
    # Given filters no note can match (an arXiv id of no paper, dates long past), found by
    # schemathesis as a 500 on PostgreSQL, when a search runs within them
    response = api.get(
        "/api/v1/notes/", {"q": "評価", "arxiv_id": "Nāy", "published_after": "0141-05-06", "week": "0898-09-11"}
    )

    # Then the answer is an empty page, or a 400 naming the bad filter, never a 500
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["count"] == 0
