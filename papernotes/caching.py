"""Render reader pages once per change of public content; answer revalidations without rendering.

The version stamp is derived from the data, so no writer has to remember to invalidate
anything: every save of an issue, note, Q&A pair or paper adds a row to its
django-simple-history table, and the stamp is the highest history id (and time) of those
four tables — one query of index lookups only. With ``READER_STAMP_TTL`` a process
reuses the stamp that many seconds (default 1) instead of asking for every request.
Publication, correction and withdrawal (``editorial`` workflow services) save the issue,
so they change the stamp; so does an editor's correction of a Q&A pair, which touches no
issue row.

What the workflow must do: nothing but save rows with ``.save()`` (as the admin and
services do). A write with ``QuerySet.update()`` or ``bulk_create()`` leaves no history
row: readers see it only with the next saved change (a page that drops out of the cache,
``READER_CACHE_TIMEOUT``, is rendered anew, but under the same ETag).

A page is cached under its stamp and path; a request whose ``If-None-Match`` carries the
current ETag gets a 304 after the stamp query alone. Browsers always revalidate
(``max-age=0``); shared caches may keep a page ``READER_SHARED_MAX_AGE`` seconds.

Two transactions that commit out of order can leave the stamp unchanged by the later
commit; cached pages therefore also expire after ``READER_CACHE_TIMEOUT`` seconds.
"""

import datetime
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date

from papernotes.models import Note, Paper, QuestionAnswer, WeeklyIssue

CACHED_STATUSES = (200, 410)


@dataclass(frozen=True)
class PublicVersion:
    stamp: str
    last_modified: datetime.datetime | None

    def etag_for(self, *parts: str) -> str:
        digest = hashlib.blake2b("\x1f".join((self.stamp, *parts)).encode(), digest_size=12).hexdigest()
        return f'"{digest}"'


@lru_cache(maxsize=4)
def _version_sql(vendor: str) -> str:
    tables = [model.history.model._meta.db_table for model in (WeeklyIssue, Note, QuestionAnswer, Paper)]
    quote = connection.ops.quote_name
    columns = [f"(SELECT MAX(history_id) FROM {quote(table)})" for table in tables]
    columns += [f"(SELECT MAX(history_date) FROM {quote(table)})" for table in tables]
    # The first change ever recorded tells one database from another (a recreated
    # database restarts its ids, and a shared Redis may still hold the old pages).
    columns.append(f"(SELECT MIN(history_date) FROM {quote(tables[0])})")
    return "SELECT " + ", ".join(columns)


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns raw SQL datetimes as text
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


# (expires at, version) of this process: with READER_STAMP_TTL > 0, busy processes ask the
# database at most that often (readers may see a change that much later).
_process_version: tuple[float, "PublicVersion"] | None = None


def _query_version() -> PublicVersion:
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(connection.vendor))
        row = cursor.fetchone()
    ids = [str(value or 0) for value in row[:4]]
    dates = [date for value in row[4:8] if (date := _as_datetime(value))]
    origin = _as_datetime(row[8])
    stamp = "-".join([*ids, origin.isoformat() if origin else ""])
    return PublicVersion(stamp=stamp, last_modified=max(dates) if dates else None)


def public_version() -> PublicVersion:
    """The current stamp of public content (one query; see the module docstring)."""
    global _process_version
    ttl = settings.READER_STAMP_TTL
    now = time.monotonic()
    known = _process_version
    if ttl > 0 and known is not None and known[0] > now:
        return known[1]
    version = _query_version()
    if ttl > 0:
        _process_version = (now + ttl, version)
    return version


class _LocalPages:
    """A small per-process LRU of rendered pages in front of the shared cache, so a hot page
    costs no network round trip. Keys carry the version stamp: an entry is never stale."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry: tuple) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > settings.READER_LOCAL_CACHE_ENTRIES:
                self._entries.popitem(last=False)


local_pages = _LocalPages()


def _apply_headers(response: HttpResponse, *, etag: str, version: PublicVersion) -> HttpResponse:
    response["ETag"] = etag
    if version.last_modified:
        response["Last-Modified"] = http_date(version.last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=0, s_maxage=settings.READER_SHARED_MAX_AGE)
    return response


def _key_parts(request: HttpRequest, params: Iterable[str]) -> tuple[str, ...]:
    # Only the parameters a view reads are part of the key: arbitrary query strings must
    # neither fill the cache nor defeat it.
    values = tuple(f"{name}={request.GET.get(name, '')}" for name in params)
    return ((request.method == "HEAD" and "GET") or request.method, request.path, *values)


def _stored_page(key: str):
    entry = local_pages.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            local_pages.set(key, entry)
    return entry


def _from_entry(entry) -> HttpResponse:
    status, content, headers = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _validated(request: HttpRequest, params: tuple[str, ...]) -> tuple[PublicVersion, str, HttpResponse | None]:
    """The version, the page's ETag, and a 304 when the client's copy is current."""
    # The middleware may have read it for this request already.
    version = getattr(request, "public_version", None) or public_version()
    request.public_version = version
    etag = version.etag_for(*_key_parts(request, params))
    not_modified = get_conditional_response(
        request,
        etag=etag,
        last_modified=int(version.last_modified.timestamp()) if version.last_modified else None,
    )
    if not_modified is not None:
        not_modified = _apply_headers(not_modified, etag=etag, version=version)
    return version, etag, not_modified


def cached_public_page(*, params: Iterable[str] = (), store: bool = True) -> Callable:
    """Decorate a reader view (GET/HEAD) whose output depends on public content only.

    ``params`` names the query parameters the view reads (e.g. ``("page",)``). With
    ``store=False`` (search: its queries are unbounded) pages are revalidated but not kept.
    The view finds the stamp in ``request.public_version``.
    """
    params = tuple(params)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            version, etag, not_modified = _validated(request, params)
            if not_modified is not None:
                return not_modified
            key = f"page:{etag}"
            entry = _stored_page(key) if store else None
            if entry is not None:
                response = _from_entry(entry)
            else:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # a TemplateResponse (the sitemap view)
                if store and response.status_code in CACHED_STATUSES and not response.streaming:
                    headers = [(name, value) for name, value in response.items() if name.lower() == "content-type"]
                    entry = (response.status_code, response.content, headers)
                    cache.set(key, entry, settings.READER_CACHE_TIMEOUT)
                    local_pages.set(key, entry)
            if response.status_code not in CACHED_STATUSES:
                return response
            return _apply_headers(response, etag=etag, version=version)

        wrapper.reader_cache = {"params": params, "store": store}
        return wrapper

    return decorator


class ReaderCacheMiddleware:
    """Serve stored reader pages (and 304s) before CSP, sessions, CSRF, authentication and
    messages run: they play no part in a public page. Place it right after WhiteNoise. A
    miss goes on to the view, whose ``cached_public_page`` decorator renders and stores the
    page.

    The Content-Security-Policy header of a reader view is the same for every response (no
    nonces on reader pages), so it is learnt from the first response of that view that
    passes through the inner middleware and copied onto the pages served from the cache,
    instead of being built anew for every request.
    """

    # Paths resolved by this process; bounded, since any path can be requested.
    MAX_PATHS = 4096

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._paths: dict[str, Callable | None] = {}
        self._headers: dict[Callable, tuple[tuple[str, str], ...]] = {}

    def _reader_view(self, path: str) -> Callable | None:
        try:
            return self._paths[path]
        except KeyError:
            pass
        try:
            func = resolve(path).func
        except Resolver404:
            func = None
        if getattr(func, "reader_cache", None) is None:
            func = None
        if len(self._paths) >= self.MAX_PATHS:
            self._paths.clear()
        self._paths[path] = func
        return func

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        view = self._reader_view(request.path_info)
        if view is None:
            return self.get_response(request)
        security_headers = self._headers.get(view)
        if security_headers is not None:
            options = view.reader_cache
            version, etag, not_modified = _validated(request, options["params"])
            if not_modified is None and options["store"]:
                entry = _stored_page(f"page:{etag}")
                if entry is not None:
                    response = _apply_headers(_from_entry(entry), etag=etag, version=version)
                    for name, value in security_headers:
                        response[name] = value
                    return response
            elif not_modified is not None:
                for name, value in security_headers:
                    not_modified[name] = value
                return not_modified
        response = self.get_response(request)
        learnable = response.status_code in (*CACHED_STATUSES, 304) and getattr(request, "_csp_nonce", None) is None
        if security_headers is None and learnable:
            self._headers[view] = tuple(
                (name, value) for name, value in response.items() if name.lower() in LEARNT_HEADERS
            )
        return response


# Headers the inner middleware adds to every response of a reader view, whatever its content.
LEARNT_HEADERS = frozenset(
    ("content-security-policy", "content-security-policy-report-only", "x-frame-options")
)
