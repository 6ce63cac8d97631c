"""A wall-clock limit on a whole HTTP exchange, however slowly the server sends.

Socket timeouts bound each wait, not the exchange: a server that sends one byte every few
seconds, in its headers or its body, never trips a 60 s read timeout and can keep a
download (and the shared arXiv slot) busy for hours. :func:`bounded_session` gives a
``requests.Session`` whose sockets are registered with a :class:`Deadline` as they are
opened; when the deadline passes, a timer shuts them down, which ends any blocked read at
once. The caller then sees a connection error and asks ``deadline.expired`` whether that
was the deadline.

Name resolution happens before a socket exists and is not covered; the hosts we fetch from
are on an allow-list.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The deadline of the exchange running on this thread; connections register with it.
_active = threading.local()


class Deadline:
    """Shuts down every registered socket ``seconds`` after :meth:`start`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._ends_at = 0.0

    def start(self) -> None:
        self._ends_at = time.monotonic() + self.seconds
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return max(self._ends_at - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shutdown(sock)
            else:
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # shutdown (not close) wakes a thread blocked in recv on the same socket; the owner
    # closes it as usual afterwards.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        deadline = getattr(_active, "deadline", None)
        if deadline is not None:
            deadline.watch(sock)
        return sock


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


def watched_session(session: requests.Session | None = None) -> requests.Session:
    """``session`` (or a new one) whose new connections register with the running :func:`deadline`.

    Only connections opened under a deadline are watched: use a fresh session per bounded
    exchange, not a pool kept across exchanges.
    """
    session = session or requests.Session()
    adapter = _WatchedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Bound what runs inside to ``seconds`` of wall time, on this thread's watched sessions."""
    limit = Deadline(seconds)
    previous = getattr(_active, "deadline", None)
    _active.deadline = limit
    limit.start()
    try:
        yield limit
    finally:
        limit.cancel()
        _active.deadline = previous


@contextlib.contextmanager
def bounded_session(seconds: float) -> Iterator[tuple[requests.Session, Deadline]]:
    """A fresh session for one exchange that cannot outlive ``seconds``; use it on this thread only."""
    with deadline(seconds) as limit, watched_session() as session:
        yield session, limit
