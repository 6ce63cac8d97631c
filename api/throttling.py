"""Throttling of anonymous API clients (rate from ``API_ANON_THROTTLE_RATE``)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class AnonThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, reading its rate when a request comes rather than when the
    module is imported, so that the configured rate is the one in force."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
