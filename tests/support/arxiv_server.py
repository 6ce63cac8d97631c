"""A local stand-in for arXiv: the export API's Atom query endpoint and PDF downloads.

A real threaded HTTP server on 127.0.0.1 (a free port chosen by the OS), so the code under
test goes through requests, sockets and the ``arxiv`` package exactly as in production::

    with ArxivServer() as server:
        settings.ARXIV_API_URL = server.api_url
        server.pdfs["2405.01535v1"] = minimal_pdf("Prometheus 2")
        server.fail_next(1, status=503, retry_after=1, path="/api/query")
        ...
        assert len(server.requests_to("/api/query")) == 2

``GET /api/query?id_list=..&start=..&max_results=..`` answers with an Atom feed shaped like
export.arxiv.org's (see ``_entry_xml``), built from ``tests/fixtures/arxiv-week-2024-04-29.json``
plus papers added with :meth:`ArxivServer.add_paper`. As the real API does, identifiers of a
valid form that it does not know are left out of the feed, and a malformed identifier
makes the whole request fail with HTTP 400 and an Atom error entry.

``GET /pdf/<id>v<n>`` (or ``/pdf/<id>``, the highest registered version) answers with the
bytes registered in ``server.pdfs``.

Every path can be given a :class:`Behaviour` (status with Retry-After, delay, redirect,
other content type or body, oversized body), for the next N requests or until reset.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape, quoteattr

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv-week-2024-04-29.json"

_ARXIV_NS = "http://arxiv.org/schemas/atom"
_OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
# The same identifier grammar as arXiv: YYMM.NNNN(N) or archive[.SC]/YYMMNNN, optional version.
_ID_RE = re.compile(
    r"(?P<id>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}"
    r"|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})"
    r"(?:v(?P<version>[1-9]\d*))?"
)
_PDF_PATH_RE = re.compile(r"^/pdf/(?P<key>.+?)(?:\.pdf)?$")
_ATOM_TYPE = "application/atom+xml; charset=UTF-8"


def minimal_pdf(text: str = "stand-in") -> bytes:
    """A small, well-formed one-page PDF (correct xref offsets) showing ``text``."""
    safe = text.encode("latin-1", "replace")
    for special in (b"\\", b"(", b")"):
        safe = safe.replace(special, b"\\" + special)
    stream = b"BT /F1 12 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


@dataclass
class StubPaper:
    """What the stand-in knows about one paper (its latest version)."""

    arxiv_id: str
    version: int
    title: str
    authors: list[str]
    abstract: str
    published: datetime
    updated: datetime
    categories: list[str]
    primary_category: str
    comment: str = ""
    doi: str = ""
    journal_ref: str = ""


@dataclass
class Behaviour:
    """How to misbehave on a path. Unset fields keep the normal answer."""

    status: int | None = None  # answer with this status instead of the content
    retry_after: str | int | None = None  # Retry-After header sent with ``status``
    delay: float = 0.0  # seconds before the status line (trips client timeouts)
    chunk_delay: float = 0.0  # seconds between 64 KiB body chunks (a slow drip)
    redirect_to: str | None = None  # 302 to this URL
    content_type: str | None = None  # replace the Content-Type
    body: bytes | None = None  # replace the body (e.g. an HTML page)
    size: int | None = None  # pad the body with zero bytes up to this size
    content_length: bool = True  # False: no Content-Length, the body ends when the socket closes
    times: int | None = None  # only for the next N requests; None: until reset


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the stand-in saw it."""

    at: float  # time.monotonic() when the request line was read
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


def _parse_day(value: str) -> datetime:
    # The fixture has dates only. Noon UTC keeps the same calendar day in every time zone
    # from UTC-11 to UTC+11, so a date shown in JST or US time matches the fixture.
    return datetime.fromisoformat(value).replace(hour=12, tzinfo=UTC)


def _atom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrapped(text: str, indent: str) -> str:
    # arXiv hard-wraps titles and abstracts at spaces; consumers must collapse the whitespace.
    # Never break at hyphens: "open-source" must come back as one word.
    return textwrap.fill(text, width=80, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False)


def load_fixture_papers(path: Path = FIXTURE) -> dict[str, StubPaper]:
    """The fixture's papers by bare arXiv id."""
    data = json.loads(path.read_text(encoding="utf-8"))
    papers = {}
    for item in data["papers"]:
        version = int(item["latest_version"].rsplit("v", 1)[1])
        papers[item["arxiv_id"]] = StubPaper(
            arxiv_id=item["arxiv_id"],
            version=version,
            title=item["title"],
            authors=list(item["authors"]),
            abstract=item["abstract_en"],
            published=_parse_day(item["published"]),
            updated=_parse_day(item["updated"]),
            categories=list(item["categories"]),
            primary_category=item["primary_category"],
        )
    return papers


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not wait for handlers still sleeping in a "slow" behaviour when stopping.
    block_on_close = False
    stand_in: ArxivServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, and a body without Content-Length simply
    # ends when the connection closes.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; the request log is in ArxivServer.requests

    def do_GET(self) -> None:
        stand_in = self.server.stand_in
        url = urlsplit(self.path)
        stand_in._log(self.command, url.path, parse_qs(url.query), dict(self.headers.items()))
        behaviour = stand_in._behaviour_for(url.path)
        # The client may give up halfway (timeout, size cap): expected in these tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(stand_in, url.path, url.query, behaviour or Behaviour())

    def _answer(self, stand_in: ArxivServer, path: str, query: str, behaviour: Behaviour) -> None:
        if behaviour.delay and stand_in._stopping.wait(behaviour.delay):
            return
        if behaviour.redirect_to:
            self._send(302, b"", "text/plain", behaviour, headers={"Location": behaviour.redirect_to})
            return
        if behaviour.status:
            headers = {}
            if behaviour.retry_after is not None:
                headers["Retry-After"] = str(behaviour.retry_after)
            body = b"<html><body><h1>%d</h1></body></html>" % behaviour.status
            self._send(behaviour.status, body, "text/html; charset=utf-8", behaviour, headers=headers)
            return
        if path == "/api/query":
            status, body = stand_in._query(parse_qs(query, keep_blank_values=True))
            self._send(status, body, _ATOM_TYPE, behaviour)
            return
        match = _PDF_PATH_RE.match(path)
        content = stand_in._pdf_bytes(match["key"]) if match else None
        if content is None:
            self._send(404, b"<html><body>Not Found</body></html>", "text/html; charset=utf-8", behaviour)
            return
        self._send(200, content, "application/pdf", behaviour)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        behaviour: Behaviour,
        headers: dict[str, str] | None = None,
    ) -> None:
        if behaviour.body is not None and not behaviour.redirect_to:
            body = behaviour.body
        size = max(len(body), behaviour.size or 0)
        self.send_response(status)
        self.send_header("Content-Type", behaviour.content_type or content_type)
        if behaviour.content_length:
            self.send_header("Content-Length", str(size))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in self._chunks(body, size):
            self.wfile.write(chunk)
            if behaviour.chunk_delay and self.server.stand_in._stopping.wait(behaviour.chunk_delay):
                return

    @staticmethod
    def _chunks(body: bytes, size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
        yield from (body[i : i + chunk] for i in range(0, len(body), chunk))
        padding = size - len(body)
        while padding > 0:
            yield b"\0" * min(chunk, padding)
            padding -= chunk


class ArxivServer:
    """The stand-in. Start it with ``with ArxivServer() as server`` (or start()/stop())."""

    def __init__(self, fixture: Path = FIXTURE) -> None:
        self.papers: dict[str, StubPaper] = load_fixture_papers(fixture)
        self.pdfs: dict[str, bytes] = {}
        # Valid-looking ids to refuse with 400 anyway (arXiv is stricter than any regex).
        self.malformed_ids: set[str] = set()
        # Point the feed's PDF links at this server instead of arxiv.org.
        self.local_pdf_links = False
        # Count requested-but-unknown ids in totalResults, as arXiv has been seen doing.
        self.total_counts_requested = False
        self.requests: list[LoggedRequest] = []
        self._behaviours: dict[str | None, Behaviour] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> ArxivServer:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="arxiv-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ArxivServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        """A URL on this server; ``host="localhost"`` names the same server by another host."""
        return f"http://{host}:{self.port}{path}"

    def pdf_url(self, arxiv_id: str, version: int | None = None, *, host: str = "127.0.0.1") -> str:
        suffix = f"v{version}" if version else ""
        return self.url(f"/pdf/{arxiv_id}{suffix}", host=host)

    # -- content -----------------------------------------------------------------------

    def add_paper(
        self,
        arxiv_id: str,
        *,
        title: str,
        authors: list[str] | tuple[str, ...] = ("Test Author",),
        abstract: str = "A stand-in abstract.",
        published: str | datetime = "2024-05-01",
        updated: str | datetime | None = None,
        version: int = 1,
        categories: list[str] | tuple[str, ...] = ("cs.LG",),
        primary_category: str | None = None,
        comment: str = "",
        doi: str = "",
        journal_ref: str = "",
    ) -> StubPaper:
        """Make ``arxiv_id`` known to the API (replacing any paper with that id)."""
        first = published if isinstance(published, datetime) else _parse_day(published)
        latest = updated if isinstance(updated, datetime) else _parse_day(updated) if updated else first
        paper = StubPaper(
            arxiv_id=arxiv_id,
            version=version,
            title=title,
            authors=list(authors),
            abstract=abstract,
            published=first,
            updated=latest,
            categories=list(categories),
            primary_category=primary_category or categories[0],
            comment=comment,
            doi=doi,
            journal_ref=journal_ref,
        )
        with self._lock:
            self.papers[arxiv_id] = paper
        return paper

    # -- behaviours and the request log --------------------------------------------------

    def behave(self, path: str | None = None, **options: Any) -> Behaviour:
        """Misbehave on ``path`` (exact, e.g. "/api/query"), or on every path when None."""
        behaviour = Behaviour(**options)
        with self._lock:
            self._behaviours[path] = behaviour
        return behaviour

    def fail_next(
        self, count: int, status: int = 503, *, path: str | None = None, retry_after: str | int | None = None
    ) -> Behaviour:
        """Answer the next ``count`` requests (to ``path``, or any) with ``status``."""
        return self.behave(path, status=status, retry_after=retry_after, times=count)

    def reset(self) -> None:
        """Forget behaviours and the request log."""
        with self._lock:
            self._behaviours.clear()
            self.requests.clear()

    def requests_to(self, path: str) -> list[LoggedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def _log(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(LoggedRequest(time.monotonic(), method, path, query, headers))

    def _behaviour_for(self, path: str) -> Behaviour | None:
        with self._lock:
            key: str | None = path if path in self._behaviours else None
            behaviour = self._behaviours.get(key)
            if behaviour is not None and behaviour.times is not None:
                behaviour.times -= 1
                if behaviour.times <= 0:
                    del self._behaviours[key]
            return behaviour

    def _pdf_bytes(self, key: str) -> bytes | None:
        with self._lock:
            if key in self.pdfs:
                return self.pdfs[key]
            versions = [
                (int(match["version"]), content)
                for name, content in self.pdfs.items()
                if (match := _ID_RE.fullmatch(name)) and match["id"] == key and match["version"]
            ]
        return max(versions, key=lambda pair: pair[0])[1] if versions else None

    # -- the Atom API ------------------------------------------------------------------

    def _query(self, params: dict[str, list[str]]) -> tuple[int, bytes]:
        ids = [i.strip() for i in ",".join(params.get("id_list", [])).split(",") if i.strip()]
        # Echoed in the feed's self link and title, as arXiv does.
        query_text = "&".join(
            f"{name}={params[name][0]}"
            for name in ("search_query", "id_list", "start", "max_results")
            if name in params
        )
        for number_param in ("start", "max_results"):
            value = params.get(number_param, ["0"])[0]
            if value and not value.isdigit():
                return 400, _error_feed(
                    query_text, f"{number_param}_must_be_an_integer", f"{number_param} must be an integer"
                )
        for requested in ids:
            match = _ID_RE.fullmatch(requested)
            if match is None or match["id"] in self.malformed_ids:
                return 400, _error_feed(
                    query_text, f"incorrect_id_format_for_{requested}", f"incorrect id format for {requested}"
                )
        start = int(params.get("start", ["0"])[0] or 0)
        max_results = int(params.get("max_results", ["10"])[0] or 10)
        with self._lock:
            found = [self._entry_for(requested) for requested in ids]
        entries = [entry for entry in found if entry is not None]
        total = len(ids) if self.total_counts_requested else len(entries)
        page = entries[start : start + max_results]
        return 200, _feed(query_text, total, start, len(page), "".join(page))

    def _entry_for(self, requested: str) -> str | None:
        match = _ID_RE.fullmatch(requested)
        assert match is not None
        paper = self.papers.get(match["id"])
        if paper is None:
            return None
        version = int(match["version"]) if match["version"] else paper.version
        if version > paper.version:
            return None
        local_pdf = self.pdf_url(paper.arxiv_id, version) if self.local_pdf_links else None
        return _entry_xml(paper, version, local_pdf)


def _feed_head(query_text: str, total: int, start: int, per_page: int) -> str:
    opensearch = f'xmlns:opensearch="{_OPENSEARCH_NS}"'
    self_href = "http://arxiv.org/api/query?" + quote(query_text, safe="")
    feed_id = hashlib.sha1(query_text.encode()).hexdigest()[:27]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f'  <link href={quoteattr(self_href)} rel="self" type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {escape(query_text)}</title>\n'
        f"  <id>http://arxiv.org/api/{feed_id}</id>\n"
        f"  <updated>{datetime.now(UTC).strftime('%Y-%m-%dT00:00:00-04:00')}</updated>\n"
        f"  <opensearch:totalResults {opensearch}>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex {opensearch}>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage {opensearch}>{per_page}</opensearch:itemsPerPage>\n"
    )


def _feed(query_text: str, total: int, start: int, per_page: int, entries: str) -> bytes:
    return (_feed_head(query_text, total, start, per_page) + entries + "</feed>\n").encode("utf-8")


def _error_feed(query_text: str, anchor: str, summary: str) -> bytes:
    """arXiv's error answer: a feed with one entry titled "Error" (no <published>)."""
    href = f"http://arxiv.org/api/errors#{anchor}"
    entry = (
        "  <entry>\n"
        f"    <id>{escape(href)}</id>\n"
        "    <title>Error</title>\n"
        f"    <summary>{escape(summary)}</summary>\n"
        f"    <updated>{datetime.now(UTC).strftime('%Y-%m-%dT00:00:00-04:00')}</updated>\n"
        f'    <link href={quoteattr(href)} rel="alternate" type="text/html"/>\n'
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n"
    )
    return _feed(query_text, 1, 0, 1, entry)


def _entry_xml(paper: StubPaper, version: int, local_pdf_url: str | None) -> str:
    versioned = f"{paper.arxiv_id}v{version}"
    abs_url = f"http://arxiv.org/abs/{versioned}"
    pdf_url = local_pdf_url or f"http://arxiv.org/pdf/{versioned}"
    arxiv_ns = f'xmlns:arxiv="{_ARXIV_NS}"'
    lines = [
        "  <entry>",
        f"    <id>{abs_url}</id>",
        f"    <updated>{_atom_time(paper.updated)}</updated>",
        f"    <published>{_atom_time(paper.published)}</published>",
        f"    <title>{escape(_wrapped(paper.title, '  '))}</title>",
        f"    <summary>  {escape(_wrapped(paper.abstract, ''))}\n</summary>",
    ]
    for author in paper.authors:
        lines += ["    <author>", f"      <name>{escape(author)}</name>", "    </author>"]
    if paper.doi:
        lines.append(f"    <arxiv:doi {arxiv_ns}>{escape(paper.doi)}</arxiv:doi>")
        doi_href = quoteattr("http://dx.doi.org/" + paper.doi)
        lines.append(f'    <link title="doi" href={doi_href} rel="related"/>')
    if paper.comment:
        lines.append(f"    <arxiv:comment {arxiv_ns}>{escape(_wrapped(paper.comment, '  '))}</arxiv:comment>")
    if paper.journal_ref:
        lines.append(f"    <arxiv:journal_ref {arxiv_ns}>{escape(paper.journal_ref)}</arxiv:journal_ref>")
    lines += [
        f'    <link href="{abs_url}" rel="alternate" type="text/html"/>',
        f'    <link title="pdf" href={quoteattr(pdf_url)} rel="related" type="application/pdf"/>',
        f'    <arxiv:primary_category {arxiv_ns} term={quoteattr(paper.primary_category)} scheme="{_ARXIV_NS}"/>',
    ]
    lines += [f'    <category term={quoteattr(term)} scheme="{_ARXIV_NS}"/>' for term in paper.categories]
    lines.append("  </entry>\n")
    return "\n".join(lines)


__all__ = [
    "FIXTURE",
    "ArxivServer",
    "Behaviour",
    "LoggedRequest",
    "StubPaper",
    "load_fixture_papers",
    "minimal_pdf",
]
