"""An optional CDN purge hook: which public URLs a change of public content touches, and telling the CDN.

After a bump of public stamps has committed (publication, correction, withdrawal, an edit
of a published issue), the URLs of the pages that show the bumped keys are sent to
``CDN_PURGE_URL`` (a POST of ``{"urls": [...]}``, with ``Authorization: Bearer
CDN_PURGE_TOKEN`` when set) or given as arguments to ``CDN_PURGE_COMMAND``, by a task
(``papernotes.tasks.purge_cdn_task``) that retries with backoff. URLs are absolute when
``PUBLIC_BASE_URL`` is set. With neither setting nothing is sent: shared caches keep a
page at most ``READER_SHARED_MAX_AGE`` seconds anyway. Pages with a query string
(``?page=2``) are not listed; they expire by that age.
"""

import json
import logging
import shlex
import subprocess
from collections.abc import Iterable

import requests
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from papernotes import stamps
from papernotes.external.errors import ExternalError
from papernotes.i18n import gettext_safe as _

logger = logging.getLogger(__name__)

# URL names (with their keyword argument) that show each kind of key.
_ISSUE_URLS = ("papernotes:issue_detail", "papernotes:issue_text", "papernotes:issue_markdown", "api:issue-detail")
_PAPER_URLS = ("papernotes:paper_detail", "api:paper-detail")
_LIST_URLS = {
    stamps.ARCHIVE: ("papernotes:home", "api:issue-list"),
    stamps.FEED: ("papernotes:feed",),
    stamps.SITEMAP: ("sitemap",),
    stamps.CATEGORIES: ("papernotes:category_list",),
    stamps.NOTES: ("api:note-list",),
}


class CdnPurgeError(ExternalError):
    pass


def enabled() -> bool:
    return bool(settings.CDN_PURGE_URL or settings.CDN_PURGE_COMMAND)


def _reverse(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def urls_for(keys: Iterable[str]) -> list[str]:
    """The URLs (absolute with PUBLIC_BASE_URL) of the pages showing ``keys``, sorted."""
    paths = set()
    for key in keys:
        kind, _sep, value = key.partition(":")
        if kind == "issue":
            paths.update(_reverse(name, week=value) for name in _ISSUE_URLS)
        elif kind == "paper":
            paths.update(_reverse(name, arxiv_id=value) for name in _PAPER_URLS)
        else:
            paths.update(_reverse(name) for name in _LIST_URLS.get(key, ()))
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return sorted(base + path for path in paths if path)


def purge(urls: list[str]) -> None:
    """Send ``urls`` to the CDN; :class:`CdnPurgeError` (retryable) when it did not take them."""
    if settings.CDN_PURGE_URL:
        headers = {"Content-Type": "application/json"}
        if settings.CDN_PURGE_TOKEN:
            headers["Authorization"] = f"Bearer {settings.CDN_PURGE_TOKEN}"
        try:
            response = requests.post(
                settings.CDN_PURGE_URL,
                data=json.dumps({"urls": urls}),
                headers=headers,
                timeout=settings.CDN_PURGE_TIMEOUT,
            )
        except requests.RequestException as error:
            raise CdnPurgeError(
                "connection", _("CDN の削除 API に接続できません: {error}").format(error=error), retryable=True
            ) from error
        if not 200 <= response.status_code < 300:
            raise CdnPurgeError(
                "http_error",
                _("CDN の削除 API がエラーを返しました(HTTP {status})").format(status=response.status_code),
                retryable=True,
            )
    if settings.CDN_PURGE_COMMAND:
        try:
            subprocess.run(
                [*shlex.split(settings.CDN_PURGE_COMMAND), *urls],
                check=True,
                timeout=settings.CDN_PURGE_TIMEOUT,
                capture_output=True,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise CdnPurgeError(
                "command", _("CDN の削除コマンドが失敗しました: {error}").format(error=error), retryable=True
            ) from error
    logger.info("CDN purge of %d URLs", len(urls))
