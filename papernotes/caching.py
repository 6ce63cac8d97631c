"""Render reader pages once per change of public content; answer revalidations without rendering.

The version stamp is derived from the data, so no writer has to remember to invalidate
anything: every save of an issue, note, Q&A pair or paper adds a row to its
django-simple-history table, and the stamp is the highest history id (and time) of those
four tables — one query of index lookups only. Publication, correction and withdrawal
(``editorial`` workflow services) save the issue, so they change the stamp; so does an
editor's correction of a Q&A pair, which touches no issue row.

What the workflow must do: nothing but save rows with ``.save()`` (as the admin and
services do). A write with ``QuerySet.update()`` or ``bulk_create()`` leaves no history
row and so is not seen until the cached pages expire (``READER_CACHE_TIMEOUT``).

A page is cached under its stamp and path; a request whose ``If-None-Match`` carries the
current ETag gets a 304 after the stamp query alone. Browsers always revalidate
(``max-age=0``); shared caches may keep a page ``READER_SHARED_MAX_AGE`` seconds.

Two transactions that commit out of order can leave the stamp unchanged by the later
commit; cached pages therefore also expire after ``READER_CACHE_TIMEOUT`` seconds.
"""

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
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


def _history_tables() -> list[str]:
    return [model.history.model._meta.db_table for model in (WeeklyIssue, Note, QuestionAnswer, Paper)]


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns raw SQL datetimes as text
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def public_version() -> PublicVersion:
    """The current stamp of public content (one query; see the module docstring)."""
    quote = connection.ops.quote_name
    columns = []
    for table in _history_tables():
        columns.append(f"(SELECT MAX(history_id) FROM {quote(table)})")
        columns.append(f"(SELECT MAX(history_date) FROM {quote(table)})")
        # The first change ever recorded tells one database from another (a recreated
        # database restarts its ids, and a shared Redis may still hold the old pages).
        columns.append(f"(SELECT MIN(history_date) FROM {quote(table)})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        row = cursor.fetchone()
    ids = [str(value or 0) for value in row[0::3]]
    dates = [date for value in row[1::3] if (date := _as_datetime(value))]
    origins = [date.isoformat() for value in row[2::3] if (date := _as_datetime(value))]
    return PublicVersion(stamp="-".join([*ids, *origins]), last_modified=max(dates) if dates else None)


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
            version = public_version()
            request.public_version = version
            parts = _key_parts(request, params)
            etag = version.etag_for(*parts)
            not_modified = get_conditional_response(
                request,
                etag=etag,
                last_modified=int(version.last_modified.timestamp()) if version.last_modified else None,
            )
            if not_modified is not None:
                return _apply_headers(not_modified, etag=etag, version=version)

            key = f"page:{etag}"
            stored = cache.get(key) if store else None
            if stored is not None:
                status, content, headers = stored
                response = HttpResponse(content, status=status)
                for name, value in headers:
                    response[name] = value
            else:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # a TemplateResponse (the sitemap view)
                if store and response.status_code in CACHED_STATUSES and not response.streaming:
                    headers = [(name, value) for name, value in response.items() if name.lower() == "content-type"]
                    cache.set(key, (response.status_code, response.content, headers), settings.READER_CACHE_TIMEOUT)
            if response.status_code not in CACHED_STATUSES:
                return response
            return _apply_headers(response, etag=etag, version=version)

        return wrapper

    return decorator
