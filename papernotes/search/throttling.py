"""Searches per client address, shared by the search page and the API's ``q`` (one budget).

A search costs far more than a cached page, so one client must not keep the database busy
with it. The client's address is the one DRF's throttling uses: ``REMOTE_ADDR``, or with
``API_NUM_PROXIES`` proxies in front, the address the nearest of them saw in
``X-Forwarded-For`` (a client can prepend anything to that header, never append).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"30/minute"`` → (30, 60); an empty rate → None (no limit)."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))]
    return remote


def search_allowed(request: HttpRequest) -> tuple[bool, int]:
    """Count one search by this client; (whether it is allowed, seconds until the window ends)."""
    rate = parse_rate(settings.SEARCH_THROTTLE_RATE)
    if rate is None:
        return True, 0
    limit, period = rate
    now = time.time()
    window = int(now // period)
    key = f"search-throttle:{client_address(request)}:{period}:{window}"
    if cache.add(key, 1, period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, period + 1)
            count = 1
    return count <= limit, int(period - now % period) + 1
