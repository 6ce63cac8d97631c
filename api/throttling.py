"""Throttling of public API reads, per client address (rate from ``API_ANON_THROTTLE_RATE``),
and of searches (``SearchThrottle``, one budget with the search page).

Public endpoints are served by the reader cache (``papernotes.caching``), before DRF runs:
:func:`public_read_gate` is that cache's gate, run before every render (a page not in the
cache: a new filter, a search, a page number), which is what a client can make expensive.
A stored response or a 304 costs what a static file does, as the reader pages do, and is
not counted here; the proxy in front limits request rates per address
(``deploy/nginx.conf``). The client's address is DRF's (``REST_FRAMEWORK['NUM_PROXIES']``:
the socket's address, or the one the trusted proxies appended to ``X-Forwarded-For``).
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, SimpleRateThrottle

from papernotes.search.throttling import search_allowed


class AnonThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, reading its rate when a request comes rather than when the
    module is imported, so that the configured rate is the one in force."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class SearchThrottle(BaseThrottle):
    """Searches (``q``) per client address, one budget with the search page
    (``SEARCH_THROTTLE_RATE``, see ``papernotes.search.throttling``); other reads pass."""

    def allow_request(self, request, view) -> bool:
        if not request.query_params.get("q", "").strip():
            return True
        allowed, self._wait = search_allowed(request._request)
        return allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class PublicReadThrottle(SimpleRateThrottle):
    """The anonymous rate, by address, for any client (public reads read no credentials).

    A sliding window estimated from two counters (this window's, incremented, and the
    previous one's, weighted by how much of it still overlaps): constant work per request
    however high the rate (DRF's throttle keeps every request's time in one cache value,
    which a busy client makes large), and no burst of twice the rate at a window's edge.
    """

    scope = "anon"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        base = self.get_cache_key(request, view)
        count, previous = _counts(f"{base}:{window}", f"{base}:{window - 1}", int(self.duration) * 2 + 1)
        overlap = 1 - (now - window * self.duration) / self.duration
        self.wait_seconds = (window + 1) * self.duration - now
        return previous * overlap + count <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


def _counts(current: str, previous: str, timeout: int) -> tuple[int, int]:
    """This window's count after adding one, and the previous window's count.

    On Redis (Django's RedisCache) in one round trip: INCR, EXPIRE and GET pipelined (a
    round trip is most of a cached response's cost). Elsewhere through the cache API.
    """
    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    backend = getattr(cache, "_cache", None)
    if isinstance(cache, RedisCache) and backend is not None:
        pipe = backend.get_client(current, write=True).pipeline(transaction=False)
        key = cache.make_and_validate_key(current)
        pipe.incr(key)
        pipe.expire(key, timeout)
        pipe.get(cache.make_and_validate_key(previous))
        count, _expiry, before = pipe.execute()
        return int(count), int(before or 0)
    try:
        count = cache.incr(current)
    except ValueError:  # the window's first request
        count = 1 if cache.add(current, 1, timeout) else cache.incr(current)
    return count, int(cache.get(previous) or 0)


def public_read_gate(request: HttpRequest) -> JsonResponse | None:
    """None when the client may go on; a 429 in JSON (with ``Retry-After``) when it may not."""
    throttle = PublicReadThrottle()
    if throttle.allow_request(request, None):
        return None
    seconds = max(1, int(throttle.wait() + 0.999))
    response = JsonResponse(
        {"detail": _("リクエストが多すぎます。{seconds} 秒後にもう一度お試しください。").format(seconds=seconds)},
        status=429,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Retry-After"] = str(seconds)
    return response
