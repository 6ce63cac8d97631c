"""Throttling of anonymous API clients (rate from ``API_ANON_THROTTLE_RATE``) and of searches."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle

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
