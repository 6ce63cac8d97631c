"""Middleware of the whole site: requests no view can answer well are refused first, and
public responses are compressed.

:class:`RequestGuardMiddleware` stands right after Django's SecurityMiddleware, before the
static files, the reader cache and any view: a path or query string with a NUL or another
control character (PostgreSQL refuses NUL in text, so it would reach the database as a
500), or longer than ``REQUEST_MAX_PATH_LENGTH`` / ``REQUEST_MAX_QUERY_LENGTH``, gets a 400
with a Japanese message: a page, or JSON under ``/api/``.

:class:`PublicGZipMiddleware` compresses HTML, JSON, XML and text for anonymous requests
(search pages, the schema; cached pages come compressed from ``papernotes.caching``).
Never the admin, a response that varies on cookies or sets one, or a request with
credentials: compression next to secrets an attacker can make the page reflect is what
BREACH reads, and public pages hold no secrets.
"""

import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from papernotes.caching import accepts_gzip

# C0 controls and DEL; tab, newline and carriage return included (no URL needs them raw).
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
JSON_PREFIXES = ("/api/",)
PRIVATE_PREFIXES = ("/admin/", "/markdownx/", "/api/v1/editorial/")


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 with ``message``: JSON for the API, a Japanese page elsewhere."""
    if request.path_info.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponseBadRequest(render_to_string("400.html", {"message": message}))


def _problem(request: HttpRequest) -> str | None:
    raw_path = request.path_info.encode("utf-8", "surrogateescape")
    query = request.META.get("QUERY_STRING", "")
    if len(raw_path) > settings.REQUEST_MAX_PATH_LENGTH:
        return _("URL が長すぎます({limit} バイトまで)。").format(limit=settings.REQUEST_MAX_PATH_LENGTH)
    if len(query) > settings.REQUEST_MAX_QUERY_LENGTH:
        return _("URL の ? 以降が長すぎます({limit} 文字まで)。").format(limit=settings.REQUEST_MAX_QUERY_LENGTH)
    if _CONTROL.search(raw_path) or _CONTROL.search(unquote_to_bytes(query.replace("+", " "))):
        return _("URL に制御文字(NUL など)が含まれています。")
    return None


class RequestGuardMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _problem(request)
        if problem is not None:
            return bad_request(request, problem)
        return self.get_response(request)


_COMPRESSIBLE = re.compile(r"^(text/|application/(json|xml|atom\+xml|rss\+xml|javascript|vnd\.oai\.openapi))")


class PublicGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for anonymous public responses only (see the module docstring)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            request.path_info.startswith(PRIVATE_PREFIXES)
            or "HTTP_AUTHORIZATION" in request.META
            or "cookie" in response.get("Vary", "").lower()
            or response.cookies
            or not _COMPRESSIBLE.match(response.get("Content-Type", ""))
        ):
            return response
        if not accepts_gzip(request):  # Django's test would take "gzip;q=0" as yes
            patch_vary_headers(response, ("Accept-Encoding",))
            return response
        return super().process_response(request, response)
