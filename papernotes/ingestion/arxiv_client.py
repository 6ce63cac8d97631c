"""arXiv metadata for the papers of one issue, in one polite, batched request.

:func:`fetch_metadata` sends all identifiers of an issue in a single ``id_list`` query
through the ``arxiv`` package, with our own transport policy on top of it:

* every HTTP request runs inside :func:`~papernotes.external.ratelimit.arxiv_slot`, the
  limiter shared by all workers (the package's own per-process delay is switched off);
* each request is bounded in time as a whole (``settings.ARXIV_TIMEOUT``), which the package does not do;
* 5xx, 429, timeouts and connection errors are retried with exponential backoff,
  honouring ``Retry-After``; when retries run out the whole batch fails with
  :class:`ArxivUnavailable`;
* per-paper problems (unknown, withdrawn, malformed identifier) never fail the batch:
  they come back as :class:`ArxivFetchError` values next to the good records.
"""

from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import arxiv
import requests
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import ReadTimeoutError

from papernotes.external.deadline import deadline, watched_session
from papernotes.external.errors import ExternalError
from papernotes.external.http import HttpPolicy, is_retryable_status, parse_retry_after, policy_for
from papernotes.external.ratelimit import RateLimitError, arxiv_slot, get_limiter
from papernotes.ingestion.ids import InvalidArxivId, parse_arxiv_id

logger = logging.getLogger(__name__)

# arXiv names a rejected identifier in the summary of its error entry.
_REJECTED_RE = re.compile(r"incorrect id format for (?P<id>\S+)", re.IGNORECASE)
_WITHDRAWN_COMMENT_RE = re.compile(r"\bwithdrawn\b", re.IGNORECASE)
_WITHDRAWN_ABSTRACT_RE = re.compile(
    r"^(?:this|the) (?:paper|article|submission|manuscript) (?:has been|is) withdrawn", re.IGNORECASE
)
_ATOM = "{http://www.w3.org/2005/Atom}"

# Longer batches are split; a weekly issue has ten papers, so one request in practice.
MAX_IDS_PER_REQUEST = 100
FetchErrorCode = Literal["unknown", "withdrawn", "invalid"]


@dataclass(frozen=True)
class ArxivRecord:
    """The metadata of one paper, at its latest version."""

    arxiv_id: str  # without version, e.g. "2405.00675"
    version: int  # latest version, e.g. 4
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: datetime  # first version (v1), UTC
    updated: datetime  # latest version, UTC
    categories: tuple[str, ...]  # primary first, no duplicates
    primary_category: str
    pdf_url: str
    abs_url: str
    comment: str = ""
    doi: str = ""
    journal_ref: str = ""

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


@dataclass(frozen=True)
class ArxivFetchError:
    """Why one paper of the batch has no record. The other papers are unaffected."""

    arxiv_id: str
    code: FetchErrorCode
    message: str
    # What arXiv still shows for a withdrawn paper, for the editor's information.
    record: ArxivRecord | None = None


class ArxivUnavailable(ExternalError):
    """The whole batch failed: arXiv could not be reached or kept refusing."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        # Retry-After, when arXiv sent one, becomes the countdown of the task's retry.
        retryable = status is None or is_retryable_status(status)
        super().__init__("arxiv_unavailable", message, retryable=retryable, retry_after=retry_after)
        self.attempts = attempts
        self.status = status


class _TransientFailure(Exception):
    """One request failed in a way worth retrying."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class _RejectedIds(Exception):
    """arXiv answered 400 naming identifiers it considers malformed."""

    def __init__(self, rejected: dict[str, str]) -> None:
        super().__init__(", ".join(rejected))
        self.rejected = rejected


def _is_timeout(error: requests.RequestException) -> bool:
    # ConnectTimeout is also a ConnectionError, and a read timeout while the body streams
    # arrives as ConnectionError(ReadTimeoutError): look at both.
    return isinstance(error, requests.Timeout) or any(isinstance(arg, ReadTimeoutError) for arg in error.args)


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _TimeoutSession(requests.Session):
    """A session that applies our timeout (the package sets none) and keeps the last response.

    The package turns a non-200 answer into ``arxiv.HTTPError`` with the status only; the
    Retry-After header and the body of a 400 error feed are read from ``last_response``.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


class _ArxivApiClient(arxiv.Client):
    """``arxiv.Client`` bound to our settings, our shared limiter and one page per batch."""

    def __init__(self, *, api_url: str, timeout: float, page_size: int) -> None:
        # delay 0 and no retries: spacing is the shared limiter's job, retrying ours.
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self.query_url_format = f"{api_url}?{{}}"
        self.timeout = timeout
        self.session = _TimeoutSession(timeout)

    def _results(self, search: arxiv.Search, offset: int = 0) -> Generator[arxiv.Result, None, None]:
        # A batch fits one page by construction. Never ask for a second page: arXiv has been
        # seen counting unknown ids in totalResults, which makes the package request an
        # empty page and retry it (lukasschwab/arxiv.py#82).
        feed = self._parse_feed(self._format_url(search, offset, self.page_size), first_page=True)
        yield from feed.results

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> arxiv.ParsedFeed:
        # ARXIV_TIMEOUT bounds the whole request, however slowly arXiv sends; a fresh
        # session per request, so that every connection is watched by this deadline.
        with arxiv_slot(), deadline(self.timeout) as limit:
            self.session = self._session = watched_session(_TimeoutSession(self.timeout))
            try:
                feed = super()._parse_feed(url, first_page=first_page, _try_index=_try_index)
            except arxiv.HTTPError as error:
                raise self._http_failure(error.status) from error
            except requests.RequestException as error:
                timed_out = limit.expired or _is_timeout(error)
                raise _TransientFailure("timeout" if timed_out else "connection") from error
            except arxiv.UnexpectedEmptyPageError as error:
                raise _TransientFailure("malformed") from error
            finally:
                self.session.close()
        if feed.malformed:
            # A 200 whose body is not a feed (truncated, or a proxy's text page).
            raise _TransientFailure("malformed")
        return feed

    def _http_failure(self, status: int) -> Exception:
        response = self.session.last_response
        if status == 400:
            rejected = _rejected_ids(response.content if response is not None else b"")
            if rejected:
                return _RejectedIds(rejected)
        if is_retryable_status(status):
            header = response.headers.get("Retry-After") if response is not None else None
            retry_after = parse_retry_after(header)
            return _TransientFailure("http", status=status, retry_after=retry_after)
        return ArxivUnavailable(
            _("arXiv がリクエストを拒否しました(HTTP {status})").format(status=status), status=status
        )


def _rejected_ids(body: bytes) -> dict[str, str]:
    """Identifiers named by the error entries of arXiv's 400 feed, with arXiv's wording."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    rejected: dict[str, str] = {}
    for entry in root.iter(f"{_ATOM}entry"):
        summary = _collapse(entry.findtext(f"{_ATOM}summary"))
        match = _REJECTED_RE.search(summary)
        if match:
            rejected[match["id"]] = summary
    return rejected


def _record_from_result(result: arxiv.Result) -> ArxivRecord | None:
    """Our record for a package result; None for entries that are not a paper."""
    try:
        ref = parse_arxiv_id(result.get_short_id())
    except InvalidArxivId:
        ref = None
    title = _collapse(result.title)
    # Error entries and old-style "no such paper" entries have no usable id or title.
    if ref is None or ref.version is None or not title or title == "Error":
        return None
    abs_url = next((link.href for link in result.links if link.rel == "alternate"), result.entry_id)
    primary = result.primary_category or (result.categories[0] if result.categories else "")
    return ArxivRecord(
        arxiv_id=ref.arxiv_id,
        version=ref.version,
        title=title,
        authors=tuple(_collapse(author.name) for author in result.authors),
        abstract=_collapse(result.summary),
        published=result.published.astimezone(UTC),
        updated=result.updated.astimezone(UTC),
        categories=tuple(dict.fromkeys(c for c in (primary, *result.categories) if c)),
        primary_category=primary,
        pdf_url=result.pdf_url or abs_url.replace("/abs/", "/pdf/"),
        abs_url=abs_url,
        comment=_collapse(result.comment),
        doi=_collapse(result.doi),
        journal_ref=_collapse(result.journal_ref),
    )


def _is_withdrawn(record: ArxivRecord) -> bool:
    return bool(_WITHDRAWN_COMMENT_RE.search(record.comment) or _WITHDRAWN_ABSTRACT_RE.match(record.abstract))


def _outcome(arxiv_id: str, record: ArxivRecord | None) -> ArxivRecord | ArxivFetchError:
    if record is None:
        # arXiv simply leaves out identifiers it does not know.
        return ArxivFetchError(
            arxiv_id,
            "unknown",
            _("arXiv に {arxiv_id} の論文が見つかりません。ID を確認してください").format(arxiv_id=arxiv_id),
        )
    if _is_withdrawn(record):
        return ArxivFetchError(
            arxiv_id,
            "withdrawn",
            _("{arxiv_id} は arXiv で取り下げられています(第{version}版のコメント: {comment})").format(
                arxiv_id=arxiv_id, version=record.version, comment=_shorten(record.comment or record.abstract)
            ),
            record=record,
        )
    return record


def _rejected_by_arxiv(arxiv_id: str, detail: str) -> ArxivFetchError:
    return ArxivFetchError(
        arxiv_id,
        "invalid",
        _("arXiv が ID「{arxiv_id}」を不正な形式として拒否しました({detail})").format(arxiv_id=arxiv_id, detail=detail),
    )


def _parse_requested(raw: str) -> str | ArxivFetchError:
    """The bare id to ask arXiv for, or the reason ``raw`` is not worth sending."""
    try:
        return parse_arxiv_id(raw).arxiv_id
    except InvalidArxivId as error:
        return ArxivFetchError(raw.strip(), "invalid", error.message)


def _unavailable(failure: _TransientFailure, attempts: int, timeout: float) -> ArxivUnavailable:
    if failure.reason == "http":
        cause = _("HTTP {status}").format(status=failure.status)
    elif failure.reason == "timeout":
        cause = _("{seconds:g} 秒以内に応答がありません").format(seconds=timeout)
    elif failure.reason == "malformed":
        cause = _("応答を解釈できません")
    else:
        cause = _("接続エラー")
    if failure.retry_after:
        cause = _("{cause}、{seconds:.0f} 秒後の再試行を指示されました").format(
            cause=cause, seconds=failure.retry_after
        )
    return ArxivUnavailable(
        # The cause only: whether it will be retried, and when, is the pipeline's to say.
        _("arXiv に接続できません({cause})").format(cause=cause),
        attempts=attempts,
        status=failure.status,
        retry_after=failure.retry_after,
    )


def _request_with_retries(client: _ArxivApiClient, ids: list[str], policy: HttpPolicy) -> list[arxiv.Result]:
    """One batch request, retried on transient failures; ArxivUnavailable when they persist."""
    search = arxiv.Search(id_list=ids, max_results=len(ids))
    for attempt in range(1, policy.attempts + 1):
        try:
            return list(client.results(search))
        except _TransientFailure as failure:
            logger.warning(
                "arXiv request failed (try %d/%d): %s %s",
                attempt,
                policy.attempts,
                failure.reason,
                failure.status or "",
            )
            if policy.gives_up_on(attempt, failure.retry_after):
                raise _unavailable(failure, attempt, policy.timeout) from failure
            delay = policy.delay_before(attempt, failure.retry_after)
            # Tell the other workers too: arXiv's trouble is not specific to this process.
            get_limiter("arxiv").defer(delay)
            time.sleep(delay)
    raise AssertionError("unreachable: attempts >= 1")


def _fetch_chunk(ids: list[str], policy: HttpPolicy) -> tuple[dict[str, ArxivRecord], dict[str, ArxivFetchError]]:
    """Records by bare id for one request's worth of ids, plus ids arXiv rejected as malformed."""
    rejected: dict[str, ArxivFetchError] = {}
    remaining = list(ids)
    client = _ArxivApiClient(api_url=settings.ARXIV_API_URL, timeout=policy.timeout, page_size=len(ids))
    while remaining:
        try:
            results = _request_with_retries(client, remaining, policy)
        except _RejectedIds as error:
            # Our pattern let through something arXiv refuses: drop just those and ask again.
            newly = {i: s for i, s in error.rejected.items() if i in remaining}
            if not newly:
                raise ArxivUnavailable(_("arXiv がリクエストを拒否しました(HTTP 400)"), status=400) from error
            rejected.update({i: _rejected_by_arxiv(i, s) for i, s in newly.items()})
            remaining = [i for i in remaining if i not in newly]
            continue
        records = {}
        for result in results:
            record = _record_from_result(result)
            if record is not None and record.arxiv_id in remaining:
                records[record.arxiv_id] = record
        return records, rejected
    return {}, rejected


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch_metadata(
    arxiv_ids: Sequence[str], *, retry: HttpPolicy | None = None
) -> dict[str, ArxivRecord | ArxivFetchError]:
    """Latest arXiv metadata for every id, keyed by the ids exactly as given.

    Ids are read by :func:`papernotes.ingestion.ids.parse_arxiv_id` (``arXiv:`` prefix,
    version suffix, arxiv.org URLs...); the latest version is fetched either way, since the
    issue always shows the latest version. Per-paper problems are
    returned as :class:`ArxivFetchError`; :class:`ArxivUnavailable` is raised only when
    arXiv as a whole cannot be used.
    """
    retry = retry or policy_for("arxiv")
    requested = {raw: _parse_requested(raw) for raw in arxiv_ids}
    wanted = list(dict.fromkeys(bare for bare in requested.values() if isinstance(bare, str)))
    found: dict[str, ArxivRecord] = {}
    rejected: dict[str, ArxivFetchError] = {}
    try:
        for chunk in _chunks(wanted, MAX_IDS_PER_REQUEST):
            records, refused = _fetch_chunk(chunk, retry)
            found.update(records)
            rejected.update(refused)
    except RateLimitError as error:
        raise ArxivUnavailable(error.message) from error

    outcomes: dict[str, ArxivRecord | ArxivFetchError] = {}
    for raw, bare in requested.items():
        if isinstance(bare, ArxivFetchError):
            outcomes[raw] = bare
        elif bare in rejected:
            outcomes[raw] = rejected[bare]
        else:
            outcomes[raw] = _outcome(bare, found.get(bare))
    return outcomes
