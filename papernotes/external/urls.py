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


AnyPort = "*"


@dataclass(frozen=True, order=True)
class AllowedHost:
    """An allow-list entry: ``host`` (its scheme's default port only: 80 for http, 443 for
    https), ``host:port`` (that port only) or ``host:*`` (any port: local stand-ins)."""

    host: str
    port: str = ""  # "", a port number, or AnyPort

    def allows(self, target: ConnectTarget) -> bool:
        if target.host != self.host:
            return False
        if self.port == AnyPort:
            return True
        if self.port:
            return str(target.port) == self.port
        return target.port == _DEFAULT_PORTS.get(target.scheme)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host


def _allowed_host(entry: str) -> AllowedHost:
    entry = entry.strip().lower()
    if entry.startswith("["):  # [::1] or [::1]:8080
        host, _sep, rest = entry[1:].partition("]")
        return AllowedHost(_normal_host(host), rest.removeprefix(":"))
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return AllowedHost(_normal_host(host), port)
    return AllowedHost(_normal_host(entry))


def host_allowed(url: str, allowed: frozenset[AllowedHost]) -> bool:
    """True when ``url`` is plain (see :func:`connect_target`) and its host and port are on the list."""
    try:
        target = connect_target(url)
    except UnsafeUrl:
        return False
    return any(entry.allows(target) for entry in allowed)


def normal_hosts(hosts) -> frozenset[AllowedHost]:
    """An allow-list from settings (``host``, ``host:port`` or ``host:*``): lower case, no
    final dot, blanks dropped."""
    return frozenset(_allowed_host(host) for host in hosts if host.strip())


def upgraded_to_https(url: str, https_hosts) -> str:
    """``url`` with ``http://`` made ``https://`` when its host is one that serves https
    (arXiv links its PDFs as http://arxiv.org/pdf/...); other URLs unchanged."""
    if not url.lower().startswith("http://"):
        return url
    try:
        target = connect_target(url)
    except UnsafeUrl:
        return url
    if target.host not in {_normal_host(host) for host in https_hosts} or target.port != 80:
        return url
    split = urlsplit(url)
    netloc = split.netloc.rsplit("@", 1)[-1]
    if netloc.endswith(":80"):
        netloc = netloc[: -len(":80")]
    return split._replace(scheme="https", netloc=netloc).geturl()
