"""Download a paper's PDF safely: allowed hosts only, bounded size and time, really a PDF.

The URL comes from arXiv's metadata or from an editor, so it is treated as untrusted:

* http URLs of hosts that serve https (``settings.PDF_HTTPS_HOSTS``: arXiv, which links
  its PDFs as ``http://arxiv.org/pdf/...``) are fetched over https, redirects included;
* only http/https URLs whose host and port are on the allow-list (``settings.PDF_ALLOWED_HOSTS``:
  ``host`` for its scheme's default port, ``host:port``; exact, case-insensitive match;
  ``arxiv.org:8080`` is not ``arxiv.org``) are fetched, and the host checked is the one the HTTP
  client will connect to: a URL that parsers could read differently (backslashes, user
  information) is refused (:mod:`papernotes.external.urls`);
* redirects are followed by hand, at most :data:`MAX_REDIRECTS`, and every ``Location``
  is checked by the same rule, so a redirect cannot lead to an internal host;
* the body is streamed with a size cap (a too large Content-Length is refused before
  reading, and the bytes are counted while reading, whatever the headers claimed);
* ``PDF_TIMEOUT`` bounds the whole exchange, connecting, headers and body, however slowly
  the server sends (:mod:`papernotes.external.deadline`);
* the body must start with ``%PDF-``: that check is decisive, the Content-Type is only
  a hint (arXiv and mirrors do not always label PDFs correctly).

Every failure is a :class:`PdfDownloadError` whose ``code`` says what went wrong and
whose ``message`` is written for an editor.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import ReadTimeoutError

from papernotes.external.deadline import Deadline, bounded_session
from papernotes.external.errors import ExternalError
from papernotes.external.http import is_retryable_status
from papernotes.external.urls import host_allowed, normal_hosts, upgraded_to_https

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream"})
_CHUNK_SIZE = 64 * 1024
# Whitespace before the header is tolerated; anything else before it is not a PDF for us.
_PDF_MAGIC = b"%PDF-"
_USER_AGENT = "papernotes/0.1 (weekly paper notes; PDF ingestion)"

PdfErrorCode = Literal[
    "disallowed_host", "redirect_disallowed", "too_large", "not_pdf", "timeout", "http_error", "connection"
]


@dataclass(frozen=True)
class DownloadedPdf:
    content: bytes
    sha256: str
    final_url: str  # after redirects
    size: int


class PdfDownloadError(ExternalError):
    """The PDF could not be downloaded; ``message`` is for the editor, ``code`` for the code."""

    def __init__(self, code: PdfErrorCode, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(code, message, retryable=_retryable(code, status))
        self.url = url
        self.status = status

    def __repr__(self) -> str:
        return f"PdfDownloadError({self.code!r}, {self.message!r}, url={self.url!r})"


def _retryable(code: str, status: int | None) -> bool:
    """Worth trying again later (the server or the network, not the URL, is at fault)."""
    if code in ("timeout", "connection"):
        return True
    return code == "http_error" and status is not None and is_retryable_status(status)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _check_start_url(url: str, allowed: frozenset[str]) -> None:
    if not host_allowed(url, allowed):
        raise PdfDownloadError(
            "disallowed_host",
            _("この URL からは PDF を取得できません(許可されたホスト: {hosts}): {url}").format(
                hosts=", ".join(str(host) for host in sorted(allowed)) or "-", url=url
            ),
            url=url,
        )


def _redirect_target(response: requests.Response, url: str, allowed: frozenset[str]) -> str:
    location = response.headers.get("Location")
    if not location:
        raise PdfDownloadError(
            "http_error",
            _("PDF のサーバーが転送先のないリダイレクトを返しました(HTTP {status})").format(
                status=response.status_code
            ),
            url=url,
            status=response.status_code,
        )
    target = upgraded_to_https(urljoin(url, location), settings.PDF_HTTPS_HOSTS)
    # The joined URL is checked as the client will read it: a Location with a backslash or
    # user information is refused even when it seems to name an allowed host.
    if not host_allowed(target, allowed):
        raise PdfDownloadError(
            "redirect_disallowed",
            _("PDF の取得中に許可されていないホストへ転送されました: {target}").format(target=target),
            url=url,
        )
    return target


def _http_error(response: requests.Response, url: str) -> PdfDownloadError:
    status = response.status_code
    if status == 404:
        message = _("PDF が見つかりません(HTTP 404): {url}").format(url=url)
    elif status in (429, 503):
        message = _("PDF のサーバーが混み合っています(HTTP {status})").format(status=status)
    else:
        message = _("PDF のサーバーがエラーを返しました(HTTP {status}): {url}").format(status=status, url=url)
    return PdfDownloadError("http_error", message, url=url, status=status)


def _too_large(url: str, max_bytes: int) -> PdfDownloadError:
    return PdfDownloadError(
        "too_large",
        _("PDF のサイズが上限 {limit} MB を超えています").format(limit=_megabytes(max_bytes)),
        url=url,
    )


def _timed_out(url: str, timeout: float) -> PdfDownloadError:
    return PdfDownloadError(
        "timeout",
        _("PDF のダウンロードが {seconds:g} 秒以内に終わりませんでした: {url}").format(seconds=timeout, url=url),
        url=url,
    )


def _check_declared_length(response: requests.Response, url: str, max_bytes: int) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)


def _read_capped(chunks: Iterable[bytes], url: str, max_bytes: int) -> bytes:
    """The body, refusing to hold more than ``max_bytes``."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(url, max_bytes)
    return bytes(body)


def _check_pdf(body: bytes, response: requests.Response, url: str) -> None:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not body[:1024].lstrip().startswith(_PDF_MAGIC):
        raise PdfDownloadError(
            "not_pdf",
            _("ダウンロードした内容が PDF ではありません(Content-Type: {content_type}): {url}").format(
                content_type=content_type or "-", url=url
            ),
            url=url,
        )
    if content_type and content_type not in _PDF_TYPES:
        logger.info("PDF served as %r from %s; accepted on its content", content_type, url)


def _get(session: requests.Session, url: str, deadline: Deadline) -> requests.Response:
    # Each wait is bounded by what is left of the whole exchange, and the deadline's timer
    # ends whatever is still running when it passes.
    left = max(deadline.remaining(), 0.001)
    return session.get(
        url,
        allow_redirects=False,
        stream=True,
        timeout=(left, left),
        # Identity: the size cap then counts what the server sends, not a decompressed bomb.
        headers={"User-Agent": _USER_AGENT, "Accept": "application/pdf", "Accept-Encoding": "identity"},
    )


def _network_error(error: requests.RequestException, url: str, deadline: Deadline) -> PdfDownloadError:
    # requests reports a read timeout during streaming as ConnectionError(ReadTimeoutError);
    # a connection the deadline shut down shows up as a broken connection.
    if (
        deadline.expired
        or isinstance(error, requests.Timeout)
        or any(isinstance(arg, ReadTimeoutError) for arg in error.args)
    ):
        return _timed_out(url, deadline.seconds)
    return PdfDownloadError("connection", _("PDF のサーバーに接続できません: {url}").format(url=url), url=url)


def _final_response(
    session: requests.Session, url: str, allowed: frozenset[str], deadline: Deadline
) -> tuple[str, requests.Response]:
    """Follow redirects by hand, checking every hop; the first non-redirect answer and its URL."""
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = _get(session, url, deadline)
        except requests.RequestException as error:
            raise _network_error(error, url, deadline) from error
        if response.status_code not in _REDIRECT_STATUS:
            return url, response
        with response:
            url = _redirect_target(response, url, allowed)
    raise PdfDownloadError(
        "redirect_disallowed",
        _("PDF の取得でリダイレクトが {count} 回を超えました: {url}").format(count=MAX_REDIRECTS, url=url),
        url=url,
    )


def download_pdf(
    url: str,
    *,
    allowed_hosts: Iterable[str] | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> DownloadedPdf:
    """Fetch the PDF at ``url``; raise :class:`PdfDownloadError` unless it is a PDF we accept.

    Defaults come from settings: PDF_ALLOWED_HOSTS, PDF_MAX_BYTES, PDF_TIMEOUT (seconds,
    applied to connecting, to each read and to the whole download).
    """
    allowed = normal_hosts(settings.PDF_ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts)
    limit = int(settings.PDF_MAX_BYTES if max_bytes is None else max_bytes)
    seconds = float(settings.PDF_TIMEOUT if timeout is None else timeout)
    url = upgraded_to_https(url, settings.PDF_HTTPS_HOSTS)
    _check_start_url(url, allowed)

    with bounded_session(seconds) as (session, deadline):
        final_url, response = _final_response(session, url, allowed, deadline)
        with response:
            if response.status_code != 200:
                raise _http_error(response, final_url)
            _check_declared_length(response, final_url, limit)
            try:
                body = _read_capped(response.iter_content(_CHUNK_SIZE), final_url, limit)
            except requests.RequestException as error:
                raise _network_error(error, final_url, deadline) from error
            if deadline.expired:
                # The timer fired as the last bytes arrived: the body may be cut short.
                raise _timed_out(final_url, seconds)
            _check_pdf(body, response, final_url)
    return DownloadedPdf(content=body, sha256=hashlib.sha256(body).hexdigest(), final_url=final_url, size=len(body))
