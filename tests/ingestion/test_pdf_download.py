"""download_pdf against the local stand-in: allow-list, redirects, size cap, timeouts, PDF check."""

import hashlib
import socket
import time

import pytest

from papernotes.external.urls import upgraded_to_https
from papernotes.ingestion.pdf_download import MAX_REDIRECTS, PdfDownloadError, download_pdf
from tests.support.arxiv_server import ArxivServer, minimal_pdf
from tests.support.drip_server import DripServer

LOCAL = ["127.0.0.1:*"]  # the stand-ins listen on ports of their own


@pytest.fixture
def pdf(arxiv_server: ArxivServer) -> bytes:
    content = minimal_pdf("Prometheus 2")
    arxiv_server.pdfs["2405.01535v1"] = content
    return content


def _fails(code: str, url: str, **options) -> PdfDownloadError:
    with pytest.raises(PdfDownloadError) as caught:
        download_pdf(url, **options)
    assert caught.value.code == code, caught.value
    return caught.value


def test_downloads_a_pdf_with_its_hash(arxiv_server: ArxivServer, pdf: bytes):
    url = arxiv_server.pdf_url("2405.01535", 1)

    downloaded = download_pdf(url, allowed_hosts=LOCAL)

    assert downloaded.content == pdf
    assert downloaded.sha256 == hashlib.sha256(pdf).hexdigest()
    assert downloaded.size == len(pdf)
    assert downloaded.final_url == url


def test_defaults_come_from_settings(arxiv_server: ArxivServer, pdf: bytes, settings):
    settings.PDF_ALLOWED_HOSTS = ["127.0.0.1:*"]

    assert download_pdf(arxiv_server.pdf_url("2405.01535")).content == pdf  # unversioned: latest


def test_host_match_ignores_case(arxiv_server: ArxivServer, pdf: bytes):
    url = arxiv_server.pdf_url("2405.01535", 1, host="LocalHost")

    assert download_pdf(url, allowed_hosts=["localhost:*"]).content == pdf


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/pdf/2405.01535v1",
        "http://export.arxiv.org.evil.example/pdf/2405.01535v1",
        "http://sub.arxiv.org/pdf/2405.01535v1",  # exact match only, no subdomains
        "ftp://arxiv.org/pdf/2405.01535v1",
        "file:///etc/passwd",
        "arxiv.org/pdf/2405.01535v1",
    ],
)
def test_only_allowed_hosts_over_http(url: str):
    error = _fails("disallowed_host", url, allowed_hosts=["arxiv.org", "export.arxiv.org"])
    assert "許可されたホスト" in error.message


def test_another_name_for_an_allowed_address_is_still_refused(arxiv_server: ArxivServer, pdf: bytes):
    _fails("disallowed_host", arxiv_server.pdf_url("2405.01535", 1, host="localhost"), allowed_hosts=LOCAL)

    assert arxiv_server.requests == []


def test_follows_redirects_to_allowed_hosts(arxiv_server: ArxivServer, pdf: bytes):
    target = arxiv_server.pdf_url("2405.01535", 1)
    arxiv_server.behave("/pdf/old-location", redirect_to="/pdf/2405.01535v1")  # relative
    arxiv_server.behave("/pdf/2405.01535", redirect_to="/pdf/old-location")

    downloaded = download_pdf(arxiv_server.pdf_url("2405.01535"), allowed_hosts=LOCAL)

    assert downloaded.content == pdf
    assert downloaded.final_url == target


def test_a_redirect_to_a_host_not_allowed_is_refused(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535", redirect_to=arxiv_server.pdf_url("2405.01535", 1, host="localhost"))

    error = _fails("redirect_disallowed", arxiv_server.pdf_url("2405.01535"), allowed_hosts=LOCAL)

    assert "localhost" in error.message
    assert len(arxiv_server.requests) == 1  # the disallowed host was never contacted


def test_a_redirect_loop_stops(arxiv_server: ArxivServer):
    arxiv_server.behave("/pdf/loop", redirect_to="/pdf/loop")

    error = _fails("redirect_disallowed", arxiv_server.url("/pdf/loop"), allowed_hosts=LOCAL)

    assert "リダイレクト" in error.message
    assert len(arxiv_server.requests) == MAX_REDIRECTS + 1


def test_a_declared_size_over_the_cap_is_refused_before_reading(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535v1", size=50 * 1024 * 1024 + 1)

    error = _fails("too_large", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL)

    assert error.message == "PDF のサイズが上限 50 MB を超えています"


def test_an_undeclared_size_over_the_cap_is_cut_while_streaming(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535v1", size=300_000, content_length=False)

    error = _fails("too_large", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL, max_bytes=100_000)

    assert "上限" in error.message


def test_an_html_page_is_not_a_pdf(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave(
        "/pdf/2405.01535v1", body=b"<!DOCTYPE html><html>Just a moment...</html>", content_type="text/html"
    )

    error = _fails("not_pdf", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL)

    assert "PDF ではありません" in error.message
    assert "text/html" in error.message


def test_html_labelled_as_pdf_is_not_a_pdf(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535v1", body=b"<html>error</html>")

    _fails("not_pdf", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL)


def test_the_body_decides_over_a_wrong_content_type(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535v1", content_type="text/plain")

    assert download_pdf(arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL).content == pdf


def test_a_server_that_does_not_answer_times_out(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.behave("/pdf/2405.01535v1", delay=2.0)

    error = _fails("timeout", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL, timeout=0.2)

    assert error.retryable
    assert "0.2 秒" in error.message


def test_a_body_that_drips_forever_times_out(arxiv_server: ArxivServer, pdf: bytes):
    # Each chunk comes within the read timeout; the whole download does not.
    arxiv_server.behave("/pdf/2405.01535v1", size=64 * 1024 * 8, chunk_delay=0.15)

    _fails("timeout", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL, timeout=0.5)


def test_a_missing_pdf_is_an_http_error(arxiv_server: ArxivServer):
    error = _fails("http_error", arxiv_server.pdf_url("2405.77777", 1), allowed_hosts=LOCAL)

    assert error.status == 404
    assert not error.retryable
    assert "見つかりません" in error.message


def test_a_busy_server_is_a_retryable_http_error(arxiv_server: ArxivServer, pdf: bytes):
    arxiv_server.fail_next(1, status=503, retry_after=5)

    error = _fails("http_error", arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL)

    assert error.status == 503
    assert error.retryable
    assert download_pdf(arxiv_server.pdf_url("2405.01535", 1), allowed_hosts=LOCAL).content == pdf


def test_nothing_listening_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = _fails("connection", f"http://127.0.0.1:{port}/pdf/2405.01535v1", allowed_hosts=LOCAL)

    assert error.retryable
    assert "接続できません" in error.message


# -- URLs the HTTP client would read differently from the allow-list check ------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}\\@arxiv.org/pdf/2405.01535v1",  # urllib3 connects to 127.0.0.1
        "http://127.0.0.1:{port}\\\\@arxiv.org/pdf/2405.01535v1",
        "http://arxiv.org@127.0.0.1:{port}/pdf/2405.01535v1",  # userinfo
        "http://arxiv.org:80@127.0.0.1:{port}/pdf/2405.01535v1",
        "http://127.0.0.1:{port}#@arxiv.org/pdf/2405.01535v1",
        "http://127.0.0.1:{port}?@arxiv.org/pdf/2405.01535v1",
        "http://arxiv.org%2f@127.0.0.1:{port}/pdf/2405.01535v1",
        "http://arxiv.org\t@127.0.0.1:{port}/pdf/2405.01535v1",
        "http://arxiv.org /@127.0.0.1:{port}/pdf/2405.01535v1",
    ],
)
def test_a_url_that_parsers_read_differently_never_reaches_the_other_host(
    arxiv_server: ArxivServer, pdf: bytes, template: str
):
    url = template.format(port=arxiv_server.port)

    _fails("disallowed_host", url, allowed_hosts=["arxiv.org"])

    assert arxiv_server.requests == []


@pytest.mark.parametrize(
    "location",
    [
        "http://10.255.255.1:9\\@127.0.0.1/pdf/2405.01535v1",
        "http://user@127.0.0.1/pdf/2405.01535v1",
        "\\\\10.255.255.1\\pdf",
        "//10.255.255.1/pdf/2405.01535v1",
    ],
)
def test_a_redirect_that_parsers_read_differently_is_refused(arxiv_server: ArxivServer, pdf: bytes, location: str):
    arxiv_server.behave("/pdf/2405.01535", redirect_to=location)

    error = _fails("redirect_disallowed", arxiv_server.pdf_url("2405.01535"), allowed_hosts=LOCAL)

    assert "許可されていないホスト" in error.message
    assert [request.path for request in arxiv_server.requests] == ["/pdf/2405.01535"]


# -- PDF_TIMEOUT bounds the whole exchange -----------------------------------------------------

DRIP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 2000\r\n\r\n"
DRIP_BODY = b"%PDF-1.4\n" + b"0" * 1991


def test_a_body_sent_a_byte_at_a_time_ends_at_the_timeout():
    # Each byte comes every 0.05 s, far within the per-read timeout; 2000 bytes take 100 s.
    with DripServer(head=DRIP_HEAD, body=DRIP_BODY, body_delay=0.05) as server:
        started = time.monotonic()
        error = _fails("timeout", server.url("/pdf/2405.01535v1"), allowed_hosts=LOCAL, timeout=0.6)
        elapsed = time.monotonic() - started

    assert elapsed < 1.6, elapsed
    assert error.retryable
    assert "0.6 秒" in error.message


def test_headers_sent_a_byte_at_a_time_end_at_the_timeout():
    slow_head = b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * 2000 + b"\r\n" + DRIP_HEAD.split(b"\r\n", 1)[1]
    with DripServer(head=slow_head, body=DRIP_BODY, head_delay=0.05) as server:
        started = time.monotonic()
        _fails("timeout", server.url("/pdf/2405.01535v1"), allowed_hosts=LOCAL, timeout=0.6)
        elapsed = time.monotonic() - started

    assert elapsed < 1.6, elapsed


def test_a_fast_download_is_not_cut_by_its_deadline(pdf: bytes):
    with DripServer(head=DRIP_HEAD, body=DRIP_BODY) as server:
        downloaded = download_pdf(server.url("/pdf/2405.01535v1"), allowed_hosts=LOCAL, timeout=2)

    assert downloaded.content == DRIP_BODY


# -- ports in the allow-list, and https for arXiv ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://arxiv.org:8080/pdf/2405.01535v1",  # another port of an allowed host
        "https://arxiv.org:8443/pdf/2405.01535v1",
        "http://arxiv.org:443/pdf/2405.01535v1",  # https's port, spoken as http
        "https://export.arxiv.org:80/pdf/2405.01535v1",
    ],
)
def test_a_host_on_the_list_is_allowed_on_its_schemes_port_only(url: str):
    error = _fails("disallowed_host", url, allowed_hosts=["arxiv.org", "export.arxiv.org"])

    assert "arxiv.org" in error.message


def test_a_port_on_the_list_allows_that_port_only(arxiv_server: ArxivServer, pdf: bytes):
    url = arxiv_server.pdf_url("2405.01535", 1)

    assert download_pdf(url, allowed_hosts=[f"127.0.0.1:{arxiv_server.port}"]).content == pdf
    _fails("disallowed_host", url, allowed_hosts=[f"127.0.0.1:{arxiv_server.port + 1}"])
    _fails("disallowed_host", url, allowed_hosts=["127.0.0.1"])  # the default port only


def test_arxivs_http_links_are_fetched_over_https(settings):
    settings.PDF_HTTPS_HOSTS = ["arxiv.org", "localhost"]
    # the feed's own form of a PDF link
    assert upgraded_to_https("http://arxiv.org/pdf/2405.01535v1", settings.PDF_HTTPS_HOSTS) == (
        "https://arxiv.org/pdf/2405.01535v1"
    )
    assert upgraded_to_https("http://ARXIV.org:80/pdf/x", ["arxiv.org"]) == "https://ARXIV.org/pdf/x"
    # another port or another host stays as it is (and is then judged by the allow-list)
    assert upgraded_to_https("http://arxiv.org:8080/pdf/x", ["arxiv.org"]) == "http://arxiv.org:8080/pdf/x"
    assert upgraded_to_https("http://example.org/pdf/x", ["arxiv.org"]) == "http://example.org/pdf/x"

    # and the download itself goes to https: nothing listens on localhost's port 443 here
    error = _fails("connection", "http://localhost/pdf/2405.01535v1", allowed_hosts=["localhost"], timeout=2)
    assert error.url == "https://localhost/pdf/2405.01535v1"


def test_a_redirect_to_arxiv_over_http_is_upgraded_before_it_is_checked(
    arxiv_server: ArxivServer, pdf: bytes, settings
):
    settings.PDF_HTTPS_HOSTS = ["arxiv.org"]
    arxiv_server.behave("/pdf/2405.01535", redirect_to="http://arxiv.org/pdf/2405.01535v1")

    error = _fails("redirect_disallowed", arxiv_server.pdf_url("2405.01535"), allowed_hosts=LOCAL)

    assert "https://arxiv.org/pdf/2405.01535v1" in error.message
