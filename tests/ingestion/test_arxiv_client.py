"""fetch_metadata against the local arXiv stand-in: one batched request, per-paper errors, retries."""

import json
import socket
import time
from datetime import date

import pytest

from papernotes.external.http import HttpPolicy, parse_retry_after
from papernotes.ingestion.arxiv_client import (
    ArxivFetchError,
    ArxivRecord,
    ArxivUnavailable,
    fetch_metadata,
)
from tests.support.arxiv_server import FIXTURE, ArxivServer
from tests.support.drip_server import DripServer

FIXTURE_PAPERS = json.loads(FIXTURE.read_text(encoding="utf-8"))["papers"]
ISSUE_IDS = [paper["arxiv_id"] for paper in FIXTURE_PAPERS]
# Retries without the production backoff, so failure tests take milliseconds.
FAST_RETRY = HttpPolicy("arxiv", attempts=3, backoff_base=0.01, backoff_max=0.05, max_retry_after=5.0)


def _record(result: object) -> ArxivRecord:
    assert isinstance(result, ArxivRecord), result
    return result


def _error(result: object) -> ArxivFetchError:
    assert isinstance(result, ArxivFetchError), result
    return result


def test_the_ten_papers_of_an_issue_come_in_one_request(arxiv_server: ArxivServer):
    results = fetch_metadata(ISSUE_IDS)

    requests = arxiv_server.requests_to("/api/query")
    assert len(requests) == 1
    assert requests[0].query["id_list"] == [",".join(ISSUE_IDS)]
    assert list(results) == ISSUE_IDS
    for paper in FIXTURE_PAPERS:
        record = _record(results[paper["arxiv_id"]])
        assert record.arxiv_id == paper["arxiv_id"]
        assert record.versioned_id == paper["latest_version"]
        # The stand-in hard-wraps titles and abstracts as arXiv does; they come back whole.
        assert record.title == paper["title"]
        assert record.abstract == paper["abstract_en"]
        assert record.authors == tuple(paper["authors"])
        assert record.published.date() == date.fromisoformat(paper["published"])
        assert record.updated.date() == date.fromisoformat(paper["updated"])
        assert record.categories == tuple(paper["categories"])
        assert record.primary_category == paper["primary_category"]
        assert record.pdf_url == paper["pdf_url"]
        assert record.abs_url == paper["abs_url"]


def test_latest_version_and_dates_of_a_revised_paper(arxiv_server: ArxivServer):
    record = _record(fetch_metadata(["2405.00675"])["2405.00675"])

    assert record.version == 4
    assert record.published.date() == date(2024, 5, 1)  # v1
    assert record.updated.date() == date(2024, 6, 14)  # v4
    assert record.categories == ("cs.LG", "cs.AI", "cs.CL", "stat.ML")
    assert record.authors[0] == "Yue Wu" and record.authors[-1] == "Quanquan Gu"


def test_ids_are_keyed_as_given_and_the_latest_version_is_fetched(arxiv_server: ArxivServer):
    results = fetch_metadata(["arXiv:2405.00675v1", "https://arxiv.org/abs/2404.19756"])

    assert _record(results["arXiv:2405.00675v1"]).version == 4
    assert _record(results["https://arxiv.org/abs/2404.19756"]).versioned_id == "2404.19756v4"
    assert arxiv_server.requests_to("/api/query")[0].query["id_list"] == ["2405.00675,2404.19756"]


def test_primary_category_comes_first_without_duplicates(arxiv_server: ArxivServer):
    arxiv_server.add_paper(
        "2405.10001",
        title="Ordering   Categories\n  Properly",
        categories=["cs.AI", "cs.LG", "stat.ML", "cs.AI"],
        primary_category="cs.LG",
        comment="12 pages,\n  3 figures",
        doi="10.1000/xyz123",
        journal_ref="Proc. ICML 2024",
    )

    record = _record(fetch_metadata(["2405.10001"])["2405.10001"])

    assert record.categories == ("cs.LG", "cs.AI", "stat.ML")
    assert record.primary_category == "cs.LG"
    assert record.title == "Ordering Categories Properly"
    assert (record.comment, record.doi, record.journal_ref) == (
        "12 pages, 3 figures",
        "10.1000/xyz123",
        "Proc. ICML 2024",
    )


def test_an_unknown_id_fails_only_that_paper(arxiv_server: ArxivServer):
    results = fetch_metadata([*ISSUE_IDS, "2405.99999"])

    error = _error(results["2405.99999"])
    assert error.code == "unknown"
    assert "見つかりません" in error.message
    assert all(isinstance(results[i], ArxivRecord) for i in ISSUE_IDS)
    assert len(arxiv_server.requests_to("/api/query")) == 1


def test_inflated_total_results_do_not_cause_a_second_request(arxiv_server: ArxivServer):
    # arXiv has been seen counting unknown ids in totalResults; the package would then
    # ask for a second page that comes back empty.
    arxiv_server.total_counts_requested = True

    results = fetch_metadata(["2405.01535", "2405.99998", "2405.99999"])

    assert isinstance(results["2405.01535"], ArxivRecord)
    assert len(arxiv_server.requests_to("/api/query")) == 1


def test_a_withdrawn_paper_is_reported_with_what_arxiv_still_shows(arxiv_server: ArxivServer):
    arxiv_server.add_paper(
        "2405.20002",
        title="A Result That Did Not Hold",
        version=2,
        published="2024-05-01",
        updated="2024-05-20",
        comment="This paper has been withdrawn by the author due to an error in Theorem 2",
        abstract="This paper has been withdrawn by the author due to an error in Theorem 2.",
    )

    results = fetch_metadata(["2405.01535", "2405.20002"])

    error = _error(results["2405.20002"])
    assert error.code == "withdrawn"
    assert "取り下げ" in error.message
    assert error.record is not None and error.record.version == 2
    assert isinstance(results["2405.01535"], ArxivRecord)


def test_a_malformed_id_is_reported_without_being_sent(arxiv_server: ArxivServer):
    results = fetch_metadata(["2405.01535", "not-an-id", "2405.1"])

    assert _error(results["not-an-id"]).code == "invalid"
    assert _error(results["2405.1"]).code == "invalid"
    assert isinstance(results["2405.01535"], ArxivRecord)
    assert arxiv_server.requests_to("/api/query")[0].query["id_list"] == ["2405.01535"]


def test_only_malformed_ids_send_no_request(arxiv_server: ArxivServer):
    results = fetch_metadata(["junk"])

    assert _error(results["junk"]).code == "invalid"
    assert arxiv_server.requests_to("/api/query") == []


def test_an_id_arxiv_rejects_with_400_fails_only_that_paper(arxiv_server: ArxivServer):
    # The id passes our parser, but arXiv answers the batch with 400 and an error entry.
    arxiv_server.malformed_ids.add("2405.01535")

    results = fetch_metadata(ISSUE_IDS)

    error = _error(results["2405.01535"])
    assert error.code == "invalid"
    assert "incorrect id format for 2405.01535" in error.message
    assert all(isinstance(results[i], ArxivRecord) for i in ISSUE_IDS if i != "2405.01535")
    second = arxiv_server.requests_to("/api/query")[1]
    assert "2405.01535" not in second.query["id_list"][0]


def test_a_503_is_retried_and_then_succeeds(arxiv_server: ArxivServer):
    arxiv_server.fail_next(1, status=503, path="/api/query")

    results = fetch_metadata(ISSUE_IDS, retry=FAST_RETRY)

    assert all(isinstance(result, ArxivRecord) for result in results.values())
    assert len(arxiv_server.requests_to("/api/query")) == 2


def test_arxiv_down_for_good_fails_the_batch(arxiv_server: ArxivServer):
    arxiv_server.behave("/api/query", status=503)

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_metadata(ISSUE_IDS, retry=FAST_RETRY)

    assert caught.value.message.startswith("arXiv に接続できません")
    assert "HTTP 503" in caught.value.message
    assert caught.value.status == 503
    assert caught.value.attempts == 3
    assert len(arxiv_server.requests_to("/api/query")) == 3


def test_a_429_waits_for_retry_after(arxiv_server: ArxivServer):
    arxiv_server.fail_next(1, status=429, path="/api/query", retry_after=1)

    results = fetch_metadata(["2405.01535"], retry=FAST_RETRY)

    assert isinstance(results["2405.01535"], ArxivRecord)
    first, second = arxiv_server.requests_to("/api/query")
    assert second.at - first.at >= 0.95  # Retry-After: 1, not the 10 ms backoff


def test_a_retry_after_too_long_to_wait_fails_at_once_and_says_when(arxiv_server: ArxivServer):
    arxiv_server.behave("/api/query", status=503, retry_after=3600)

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_metadata(ISSUE_IDS, retry=FAST_RETRY)

    assert caught.value.retry_after == 3600
    assert "3600 秒後" in caught.value.message
    assert len(arxiv_server.requests_to("/api/query")) == 1


def test_a_slow_arxiv_times_out(arxiv_server: ArxivServer, settings):
    settings.ARXIV_TIMEOUT = 0.2
    settings.ARXIV_RETRY_ATTEMPTS = 2
    settings.ARXIV_BACKOFF_BASE = 0.01
    arxiv_server.behave("/api/query", delay=2.0)

    started = time.monotonic()
    with pytest.raises(ArxivUnavailable) as caught:
        fetch_metadata(ISSUE_IDS)

    assert time.monotonic() - started < 1.5
    assert "0.2 秒以内に応答がありません" in caught.value.message
    assert len(arxiv_server.requests_to("/api/query")) == 2


def test_one_slow_answer_is_retried(arxiv_server: ArxivServer, settings):
    arxiv_server.behave("/api/query", delay=1.0, times=1)

    results = fetch_metadata(["2405.01535"], retry=HttpPolicy("arxiv", timeout=0.2, attempts=3, backoff_base=0.01))

    assert isinstance(results["2405.01535"], ArxivRecord)


def test_a_body_that_is_not_a_feed_is_retried(arxiv_server: ArxivServer):
    arxiv_server.behave("/api/query", body=b"Rate exceeded.", content_type="text/plain", times=1)

    results = fetch_metadata(["2405.01535"], retry=FAST_RETRY)

    assert isinstance(results["2405.01535"], ArxivRecord)
    assert len(arxiv_server.requests_to("/api/query")) == 2


def test_a_403_is_not_retried(arxiv_server: ArxivServer):
    arxiv_server.behave("/api/query", status=403)

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_metadata(["2405.01535"], retry=FAST_RETRY)

    assert caught.value.status == 403
    assert len(arxiv_server.requests_to("/api/query")) == 1


def test_nothing_listening_is_a_connection_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_metadata(["2405.01535"], retry=HttpPolicy("arxiv", attempts=2, backoff_base=0.01))

    assert "接続エラー" in caught.value.message


def test_consecutive_batches_are_spaced_by_the_shared_limiter(arxiv_server: ArxivServer, settings):
    settings.ARXIV_MIN_INTERVAL = 0.3

    fetch_metadata(["2405.01535"])
    fetch_metadata(["2405.00675"])

    first, second = arxiv_server.requests_to("/api/query")
    assert second.at - first.at >= 0.3


@pytest.mark.parametrize(
    ("header", "expected"),
    [("5", 5.0), (None, None), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_a_feed_sent_a_byte_at_a_time_ends_at_the_timeout(settings):
    # Each byte is far within the read timeout; only a bound on the whole request ends it.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nContent-Length: 5000\r\n\r\n"
    with DripServer(head=head, body=b"<" * 5000, body_delay=0.05) as server:
        settings.ARXIV_API_URL = server.url("/api/query")
        started = time.monotonic()
        with pytest.raises(ArxivUnavailable) as caught:
            fetch_metadata(["2405.01535"], retry=HttpPolicy("arxiv", timeout=0.5, attempts=1))
        elapsed = time.monotonic() - started

    assert elapsed < 1.5, elapsed
    assert "0.5 秒以内に応答がありません" in caught.value.message
    assert caught.value.retryable
