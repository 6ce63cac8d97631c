"""Reading a URL the way the HTTP client will, before anything connects to it.

An allow-list check is only as good as its agreement with the client about which host a
URL names. Parsers disagree on odd forms: for ``http://127.0.0.1:8029\\@arxiv.org/x`` the
standard library's ``urlsplit`` sees the host ``arxiv.org`` (everything before ``@`` is
user information), while urllib3, which requests uses to connect, ends the authority at
the backslash and connects to 127.0.0.1. So a URL is accepted only when it is plain:

* a string of printable ASCII without spaces, control characters or backslashes;
* scheme http or https, and a host;
* no user information (``user:pass@``), which has no business in a link to a paper;
* the standard library, urllib3 and requests (after it prepares the request) all read
  the same scheme, host and port.

Anything else raises :class:`UnsafeUrl`, with a message for an editor.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from papernotes.i18n import gettext_safe as _

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ALLOWED_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")


class UnsafeUrl(ValueError):
    """A URL that is malformed, or that parsers could read as naming different hosts."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message


@dataclass(frozen=True)
class ConnectTarget:
    """Where a client connects for a URL: scheme, lower-case host (no brackets, no final dot), port."""

    scheme: str
    host: str
    port: int


def _normal_host(host: str | None) -> str:
    return (host or "").strip("[]").rstrip(".").lower()


def _target(scheme: str | None, host: str | None, port: int | None) -> ConnectTarget:
    scheme = (scheme or "").lower()
    return ConnectTarget(scheme, _normal_host(host), port or _DEFAULT_PORTS.get(scheme, 0))


def connect_target(url: str) -> ConnectTarget:
    """The scheme, host and port an HTTP client connects to for ``url``, or :class:`UnsafeUrl`."""
    if not isinstance(url, str) or not url:
        raise UnsafeUrl(str(url), _("URL が空です。"))
    bad = sorted({ch for ch in url if ch not in _ALLOWED_CHARACTERS})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise UnsafeUrl(url, _("URL に使えない文字が含まれています({chars}): {url}").format(chars=shown, url=url))
    try:
        split = urlsplit(url)
        by_stdlib = _target(split.scheme, split.hostname, split.port)
        parsed = parse_url(url)
        by_urllib3 = _target(parsed.scheme, parsed.host, parsed.port)
        prepared = urlsplit(requests.Request("GET", url).prepare().url or "")
        by_requests = _target(prepared.scheme, prepared.hostname, prepared.port)
    except (ValueError, LocationParseError, requests.RequestException) as error:
        raise UnsafeUrl(url, _("URL として解釈できません: {url}").format(url=url)) from error
    if by_stdlib.scheme not in _DEFAULT_PORTS:
        raise UnsafeUrl(url, _("http または https の URL ではありません: {url}").format(url=url))
    if not by_stdlib.host:
        raise UnsafeUrl(url, _("URL にホスト名がありません: {url}").format(url=url))
    if "@" in split.netloc or split.username is not None or parsed.auth:
        raise UnsafeUrl(url, _("URL にユーザー情報(@ の前の部分)を含めることはできません: {url}").format(url=url))
    if not by_stdlib == by_urllib3 == by_requests:
        raise UnsafeUrl(url, _("URL の接続先を一通りに決められません: {url}").format(url=url))
    return by_stdlib


def host_allowed(url: str, allowed_hosts: frozenset[str]) -> bool:
    """True when ``url`` is plain (see :func:`connect_target`) and its host is on the list."""
    try:
        return connect_target(url).host in allowed_hosts
    except UnsafeUrl:
        return False


def normal_hosts(hosts) -> frozenset[str]:
    """An allow-list from settings: lower case, no final dot, blanks dropped."""
    return frozenset(_normal_host(host.strip()) for host in hosts if host.strip())
