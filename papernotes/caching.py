"""Render public pages and API reads once per change of what they show; revalidate without rendering.

Each cached view names the stamp keys it shows (``papernotes.stamps``: an issue, a paper,
a list) and the query parameters it reads. Its ETag is a keyed hash of the site's release,
the host, the path, those parameters and the stamps of those keys; ``Last-Modified`` is
when the newest of them changed. Stamps change only when public content does, after the
change has committed (``papernotes.public_changes``), so drafts, machine work and
ingestion never touch a reader's ETag, and a later commit always makes a newer one.

A request, in order:

1. the Host header is validated (``ALLOWED_HOSTS``, a 400 otherwise) and is part of the key;
2. the stamps (one query, or none within ``READER_STAMP_TTL`` seconds);
3. ``If-None-Match`` with the current ETag: 304 (an ETag is issued only for a 200, so the
   resource exists);
4. the stored page: from this process's small LRU, else the shared cache; else the view's
   gate, if any, may refuse (the public API's throttle: what costs is a render, while a
   stored page or a 304 costs what a static file does), and the page is rendered, by one
   request at a time per page (a lock in the cache). Meanwhile the others get the page's
   previous version at once, without validators and ``no-store`` (stale-while-revalidate:
   waiting would hold server threads), or, for a page never rendered, wait for it up to
   ``READER_RENDER_WAIT`` seconds;
5. ``If-Modified-Since`` and the other preconditions, only for a page that exists (200);
   a 404 is never a 304;
6. the page, gzip-compressed when the client accepts it (compressed once, when stored;
   weak ETag for the compressed form, ``Vary: Accept-Encoding``).

Pages hold no per-user data (no cookies, no CSRF token): they are ``public`` for shared
caches for ``READER_SHARED_MAX_AGE`` seconds, and browsers revalidate each time.
``ReaderCacheMiddleware`` does all this before sessions, CSRF, authentication and messages
run; the ``cached_public_page`` decorator does it when the middleware has not.
"""

import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, parse_etags

from papernotes import stamps

CACHED_STATUSES = (200, 410)
COMPRESSIBLE_TYPES = ("text/", "application/json", "application/xml", "application/atom+xml", "application/rss+xml")
MIN_COMPRESS_BYTES = 256
# Headers the inner middleware adds to every response of a view, whatever its content.
LEARNT_HEADERS = frozenset(("content-security-policy", "content-security-policy-report-only", "x-frame-options"))


@lru_cache(maxsize=1)
def release() -> str:
    """What the site's code and templates are: ``CACHE_RELEASE`` or a digest of the files that
    shape a page, so a deployment changes every ETag and no stored page of the old code is served."""
    if settings.CACHE_RELEASE:
        return settings.CACHE_RELEASE
    digest = hashlib.blake2b(digest_size=12)
    base = Path(settings.BASE_DIR)
    for folder in ("templates", "static", "papernotes", "api", "locale"):
        for path in sorted((base / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".txt", ".xml", ".css", ".js", ".mo", ".json"):
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _etag_key() -> bytes:
    # Keyed with the secret: an ETag cannot be made up for a page that was never served.
    return hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32).digest()


@dataclass(frozen=True)
class Options:
    """How a view is cached: the stamp keys it shows (a function of its URL arguments; None
    for a URL that names nothing cacheable), the query parameters it reads, whether its
    pages are stored, and a gate run before a render (e.g. a throttle) that may answer instead."""

    keys: Callable[..., Iterable[str] | None]
    params: tuple[str, ...] = ()
    store: bool = True
    gate: Callable[[HttpRequest], HttpResponse | None] | None = None


@dataclass
class Entry:
    status: int
    content_type: str
    body: bytes
    gzipped: bytes | None = None
    headers: tuple = field(default_factory=tuple)


class _LocalPages:
    """A small per-process LRU of rendered pages in front of the shared cache, so a hot page
    costs no network round trip. Keys carry the stamps: an entry is never stale."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > settings.READER_LOCAL_CACHE_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_pages = _LocalPages()


def public_version(keys: Iterable[str] = (stamps.ALL,)) -> stamps.Stamp:
    """The stamp of ``keys`` (by default of all public content)."""
    return stamps.stamp_of(keys)


# --- storing and rendering once ---------------------------------------------------------


def _stored(key: str):
    entry = local_pages.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            local_pages.set(key, entry)
    return entry


def _store(key: str, entry) -> None:
    cache.set(key, entry, settings.READER_CACHE_TIMEOUT)
    local_pages.set(key, entry)


def build_once(
    key: str, build: Callable[[], tuple[object | None, object]], *, stale: Callable[[], object | None] | None = None
) -> tuple[object | None, object]:
    """``build()`` returns (value to store or None, anything); run it in one process at a time
    per key while the others wait for the stored value (a miss is rebuilt once, not by every
    request that finds it missing), or take ``stale()`` at once when it has something (an
    older version: waiting would hold a server thread). Returns (stored value, build's
    second item or None, or the marker STALE with the older value)."""
    lock = f"lock:{key}"
    if not cache.add(lock, 1, timeout=settings.READER_RENDER_LOCK_SECONDS):
        older = stale() if stale is not None else None
        if older is not None:
            return older, STALE
        deadline = time.monotonic() + settings.READER_RENDER_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.02)
            value = _stored(key)
            if value is not None:
                return value, None
            if cache.get(lock) is None:
                break  # the builder stored nothing (a 404, an error): build it here
        value, extra = build()
        if value is not None:
            _store(key, value)
        return value, extra
    try:
        value, extra = build()
        if value is not None:
            _store(key, value)
        return value, extra
    finally:
        cache.delete(lock)


# build_once's second item when it answered with an older value while another request builds.
STALE = object()


def _compressible(content_type: str, body: bytes) -> bool:
    return len(body) >= MIN_COMPRESS_BYTES and content_type.startswith(COMPRESSIBLE_TYPES)


def entry_of(response: HttpResponse) -> Entry:
    content_type = response.get("Content-Type", "text/html; charset=utf-8")
    body = response.content
    gzipped = None
    if _compressible(content_type, body):
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        if len(gzipped) >= len(body):
            gzipped = None
    return Entry(status=response.status_code, content_type=content_type, body=body, gzipped=gzipped)


# --- validators and responses -----------------------------------------------------------

_GZIP = re.compile(r"(?:^|,)\s*gzip\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*(?:,|$)", re.I)


def accepts_gzip(request: HttpRequest) -> bool:
    match = _GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if match is None:
        return False
    try:
        return match.group(1) is None or float(match.group(1)) > 0
    except ValueError:
        return False


def _etag(request: HttpRequest, host: str, params: tuple[str, ...], token: str) -> str:
    method = "GET" if request.method == "HEAD" else request.method
    # Every value, so that an absent parameter, an empty one and a repeated one differ.
    values = [f"{name}={request.GET.getlist(name)!r}" for name in params]
    text = "\x1f".join((release(), host, method, request.path, *values, token))
    return '"' + hashlib.blake2b(text.encode(), key=_etag_key(), digest_size=12).hexdigest() + '"'


def _validators(response: HttpResponse, *, etag: str, stamp: stamps.Stamp, gzipped: bool) -> HttpResponse:
    response["ETag"] = f"W/{etag}" if gzipped else etag
    if stamp.last_modified:
        response["Last-Modified"] = http_date(stamp.last_modified.timestamp())
    return response


def _cache_headers(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=0, s_maxage=settings.READER_SHARED_MAX_AGE)
    response["Vary"] = "Accept-Encoding"
    return response


def _from_entry(request: HttpRequest, entry: Entry, *, etag: str, stamp: stamps.Stamp) -> HttpResponse:
    gzipped = entry.gzipped is not None and accepts_gzip(request)
    body = entry.gzipped if gzipped else entry.body
    response = HttpResponse(body, status=entry.status, content_type=entry.content_type)
    response["Content-Length"] = str(len(body))
    if gzipped:
        response["Content-Encoding"] = "gzip"
    for name, value in entry.headers:
        response[name] = value
    if entry.status == 200:
        _validators(response, etag=etag, stamp=stamp, gzipped=gzipped)
    return _cache_headers(response)


def _not_modified(etag: str, stamp: stamps.Stamp) -> HttpResponse:
    response = HttpResponse(status=304)
    _validators(response, etag=etag, stamp=stamp, gzipped=False)
    return _cache_headers(response)


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    return etag in (tag.removeprefix("W/") for tag in parse_etags(header))


def _gate(options: Options, request: HttpRequest) -> HttpResponse | None:
    return options.gate(request) if options.gate is not None else None


def serve(
    request: HttpRequest, options: Options, kwargs: dict, render: Callable[[], HttpResponse]
) -> tuple[HttpResponse, HttpResponse | None]:
    """The response to a cached view's request, and the rendered response if this request
    rendered it (its headers are the inner middleware's)."""
    request._public_cache_served = True
    host = request.get_host()  # DisallowedHost (a 400) before anything is read or stored
    keys = options.keys(**kwargs)
    if keys is None:
        refused = _gate(options, request)
        response = refused or render()
        return response, (None if refused else response)
    stamp = stamps.stamp_of(keys)
    request.public_version = stamp
    etag = _etag(request, host, options.params, stamp.token)
    if request.method in ("GET", "HEAD") and _etag_matches(request, etag):
        return _not_modified(etag, stamp), None
    key = f"page:{etag}"
    rendered = None
    entry = _stored(key) if options.store else None
    if entry is None:

        def build():
            response = render()
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a TemplateResponse (the sitemap) or a DRF Response
            if response.status_code not in CACHED_STATUSES or response.streaming:
                return None, response
            return entry_of(response), response

        refused = _gate(options, request)
        if refused is not None:
            return refused, None
        if options.store:
            # The key of the page's latest stored version (a pointer, not a second copy).
            latest = f"latest:{_etag(request, host, options.params, '')}"

            def previous():
                pointer = cache.get(latest)
                return _stored(pointer) if pointer else None

            entry, rendered = build_once(key, build, stale=previous)
            if rendered is STALE:
                # Another request is rendering the new version: the previous one now, without
                # validators, for no cache to keep (stale-while-revalidate).
                response = _from_entry(request, entry, etag=etag, stamp=stamp)
                for name in ("ETag", "Last-Modified"):
                    response.headers.pop(name, None)
                response["Cache-Control"] = "no-store"
                return response, None
            if entry is not None:
                cache.set(latest, key, settings.READER_CACHE_TIMEOUT)
        else:
            entry, rendered = build()
        if entry is None:
            return rendered, rendered  # a 404, a 400…: as the view answered, never a 304
    if entry.status == 200:
        last_modified = int(stamp.last_modified.timestamp()) if stamp.last_modified else None
        conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if conditional is not None:
            if conditional.status_code == 304:
                return _not_modified(etag, stamp), rendered
            return conditional, rendered
    return _from_entry(request, entry, etag=etag, stamp=stamp), rendered


def cached_public_page(
    *,
    keys: Callable[..., Iterable[str] | None] | None = None,
    params: Iterable[str] = (),
    store: bool = True,
    gate: Callable[[HttpRequest], HttpResponse | None] | None = None,
) -> Callable:
    """Decorate a view (GET/HEAD) whose output depends on public content only.

    ``keys`` maps the view's URL arguments to the stamp keys it shows (default: all public
    content); ``params`` names the query parameters it reads (e.g. ``("page",)``); with
    ``store=False`` (search: its queries are unbounded) pages are revalidated but not kept;
    ``gate`` runs before a render and may answer instead (a throttle). The view finds the stamp in
    ``request.public_version``.
    """
    options = Options(keys=keys or (lambda **kwargs: (stamps.ALL,)), params=tuple(params), store=store, gate=gate)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if getattr(request, "_public_cache_served", False) or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)  # ReaderCacheMiddleware does the rest
            response, _rendered = serve(request, options, kwargs, lambda: view(request, *args, **kwargs))
            return response

        wrapper.reader_cache = options
        return wrapper

    return decorator


class ReaderCacheMiddleware:
    """Serve cached views (stored pages, 304s, and misses rendered once) before CSP, sessions,
    CSRF, authentication and messages run: they play no part in a public page. Place it right
    after WhiteNoise.

    The headers the inner middleware adds to every response of a view (its
    Content-Security-Policy, X-Frame-Options) are learnt from the first response of that
    view that passes through it in this process and copied onto the responses served here.
    """

    # Paths resolved by this process; bounded, since any path can be requested.
    MAX_PATHS = 4096

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self._paths: dict[str, tuple | None] = {}
        self._headers: dict[Callable, tuple[tuple[str, str], ...]] = {}

    def _cached_view(self, path: str) -> tuple | None:
        try:
            return self._paths[path]
        except KeyError:
            pass
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        found = None
        if match is not None and getattr(match.func, "reader_cache", None) is not None:
            found = (match.func, match.kwargs)
        if len(self._paths) >= self.MAX_PATHS:
            self._paths.clear()
        self._paths[path] = found
        return found

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        found = self._cached_view(request.path_info)
        if found is None:
            return self.get_response(request)
        view, kwargs = found
        known = self._headers.get(view)
        if known is None:
            # The view serves this one (decorator), and its headers are learnt on the way out.
            response = self.get_response(request)
            if response.status_code in (*CACHED_STATUSES, 304) and getattr(request, "_csp_nonce", None) is None:
                self._headers[view] = self._learnt(response)
            return response
        response, rendered = serve(request, view.reader_cache, kwargs, lambda: self.get_response(request))
        if rendered is not None and response is not rendered:
            known = self._learnt(rendered)
        if response is not rendered:
            for name, value in known:
                response[name] = value
        return response

    @staticmethod
    def _learnt(response: HttpResponse) -> tuple[tuple[str, str], ...]:
        return tuple((name, value) for name, value in response.items() if name.lower() in LEARNT_HEADERS)
