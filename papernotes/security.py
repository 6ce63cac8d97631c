"""Who the client is, and what a locked-out login sees.

:func:`client_ip` reads the client's address as the API's throttling does (DRF's rule):
the socket's address, or, behind ``API_NUM_PROXIES`` proxies that append to
``X-Forwarded-For``, the address the outermost trusted proxy saw. A client cannot choose
its address by sending the header itself. django-axes (admin login throttling) uses it.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies > 0 and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


def login_lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out login: a Japanese page, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    html = render_to_string("login_locked_out.html", {"minutes": minutes}, request=None)
    response = HttpResponse(html, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
