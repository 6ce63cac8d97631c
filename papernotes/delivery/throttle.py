"""Limits on subscribe requests, per client address and per email address (cache counters).

The cache is Redis when ``REDIS_URL`` is set (shared by every web process), otherwise the
process's own memory, which is enough for ``make run``'s single process. A fixed one-hour
window per key: simple, and generous enough for people, tight enough for a script trying
to mail-bomb an address through our confirmation emails.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW = 3600


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or the one ``NEWSLETTER_NUM_PROXIES`` proxies saw."""
    proxies = settings.NEWSLETTER_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def _hit(kind: str, value: str, limit: int) -> bool:
    """Count one request for ``value``; whether it is still within ``limit`` per hour (0: no limit)."""
    if limit <= 0:
        return True
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    key = f"delivery:subscribe:{kind}:{digest}"
    cache.add(key, 0, timeout=WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW)
        count = 1
    return count <= limit


def subscribe_allowed(*, ip: str, email: str) -> bool:
    """Count a subscribe request; False once the address or the client asked too often this hour."""
    by_ip = _hit("ip", ip, settings.NEWSLETTER_SUBSCRIBE_PER_IP_HOUR)
    by_address = _hit("email", email, settings.NEWSLETTER_SUBSCRIBE_PER_ADDRESS_HOUR)
    return by_ip and by_address
