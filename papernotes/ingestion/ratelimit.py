"""A rate limiter shared by every worker that talks to arXiv.

arXiv's API terms ask for at most one request every few seconds and a single connection
at a time, counted per client, not per process. Celery runs several worker processes
(possibly on several machines), so the state lives outside the process:

* Redis, when ``settings.REDIS_URL`` is set: a redis-py ``Lock`` (with a timeout, so a
  crashed holder cannot block everyone forever) for "one connection at a time", and a
  key holding the earliest moment the next request may start, written with Redis' own
  clock from a Lua script so that the clocks of different machines never matter.
* Otherwise a lock file (``fcntl.flock``) and a timestamp file under
  ``settings.RATE_LIMIT_DIR``, which covers the processes of one machine.

Use :func:`arxiv_slot` around every HTTP request to arXiv::

    with arxiv_slot():
        response = session.get(url)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.utils.translation import gettext as _
from redis.exceptions import LockError, RedisError

from papernotes.external.errors import ExternalError

logger = logging.getLogger(__name__)

ARXIV_LIMITER_NAME = "arxiv"
# How long a caller waits for its turn before giving up. Generous compared with the
# 3 s interval: ten queued workers still get through, a stuck holder does not hang a task.
DEFAULT_MAX_WAIT = 120.0
# The Redis lock expires by itself after this long, so a worker killed mid-request cannot
# block the others for good. It must outlast one request including its read timeout.
DEFAULT_LOCK_TIMEOUT = 300.0
# A stored "next request at" further ahead than this is treated as garbage (for example
# a timestamp file written before the clock was corrected) rather than obeyed.
MAX_DEFER = 3600.0
# How often a waiting caller retries the lock; short compared with the interval.
POLL_INTERVAL = 0.01


class RateLimitError(ExternalError):
    """The limiter could not grant a slot; the request was not sent. Worth retrying later."""

    def __init__(self, message: str, code: str = "rate_limited") -> None:
        super().__init__(code, message, retryable=True)


class RateLimitTimeout(RateLimitError):
    """No slot became free within the maximum wait."""

    def __init__(self, max_wait: float) -> None:
        super().__init__(
            _(
                "arXiv へのリクエストの順番が {seconds:g} 秒以内に回ってきませんでした。"
                "ほかの取得処理が混み合っています。しばらくしてから再取得してください"
            ).format(seconds=round(max_wait, 1))
        )
        self.max_wait = max_wait


class RateLimitBackendError(RateLimitError):
    """The shared state (Redis or the lock directory) is not usable."""


class Limiter(ABC):
    """One request at a time, and at least ``min_interval`` seconds between requests.

    Subclasses provide the primitives: an exclusive lock, and a shared "next request not
    before" timestamp. The waiting algorithm is the same for both backends.
    """

    def __init__(self, *, min_interval: float) -> None:
        self.min_interval = min_interval

    @contextlib.contextmanager
    def slot(self, max_wait: float = DEFAULT_MAX_WAIT) -> Iterator[None]:
        """Block until it is this caller's turn; hold the turn for the body of the ``with``."""
        deadline = time.monotonic() + max_wait
        while True:
            handle = self._acquire(deadline - time.monotonic())
            if handle is None:
                raise RateLimitTimeout(max_wait)
            try:
                wait = self._seconds_until_allowed()
            except BaseException:
                self._release(handle)
                raise
            if wait <= 0:
                break
            # Sleep without the lock: the lock only means "a request is in flight".
            self._release(handle)
            if time.monotonic() + wait > deadline:
                # Fail now rather than sleep only to fail at the deadline.
                raise RateLimitTimeout(max_wait)
            time.sleep(wait)
        try:
            yield
        finally:
            # Recorded when the request ends, so the interval is counted from the moment
            # arXiv is done with us, whatever the request took.
            try:
                self._push_next_allowed(self.min_interval)
            finally:
                self._release(handle)

    def defer(self, seconds: float) -> None:
        """Ask every caller to wait ``seconds`` from now (after a 429/503 with Retry-After)."""
        self._push_next_allowed(min(seconds, MAX_DEFER))

    @abstractmethod
    def _acquire(self, timeout: float) -> Any | None:
        """Take the exclusive lock within ``timeout`` seconds; None when it did not come free."""

    @abstractmethod
    def _release(self, handle: Any) -> None:
        """Give back a lock taken by :meth:`_acquire`."""

    @abstractmethod
    def _seconds_until_allowed(self) -> float:
        """How long until the next request may start (<= 0: now)."""

    @abstractmethod
    def _push_next_allowed(self, seconds: float) -> None:
        """Make the next request wait until ``seconds`` from now, unless it must wait longer."""


class FileLimiter(Limiter):
    """Lock file plus timestamp file: shared by the processes (and threads) of one machine."""

    def __init__(self, directory: Path | str, name: str, *, min_interval: float) -> None:
        super().__init__(min_interval=min_interval)
        self.directory = Path(directory)
        self.lock_path = self.directory / f"{name}.lock"
        self.stamp_path = self.directory / f"{name}.next"

    def _acquire(self, timeout: float) -> int | None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # A fresh descriptor per attempt: flock locks belong to the open file, so two
            # threads of one process exclude each other as two processes do.
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RateLimitBackendError(
                _("レート制限用のディレクトリ {path} を使えません: {error}").format(path=self.directory, error=error)
            ) from error
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(POLL_INTERVAL)

    def _release(self, handle: int) -> None:
        # Closing the descriptor drops the flock; the kernel does the same if we crash.
        os.close(handle)

    @staticmethod
    def _parse_stamp(text: str) -> float:
        try:
            value = float(text.strip() or 0)
        except ValueError:
            return 0.0
        if value - time.time() > MAX_DEFER:
            logger.warning("Ignoring implausible rate-limit timestamp %r", text)
            return 0.0
        return value

    def _seconds_until_allowed(self) -> float:
        try:
            with open(self.stamp_path, encoding="ascii") as stamp:
                # Shared lock: never read a stamp that defer() is halfway through rewriting.
                fcntl.flock(stamp, fcntl.LOCK_SH)
                return self._parse_stamp(stamp.read()) - time.time()
        except FileNotFoundError:
            return 0.0

    def _push_next_allowed(self, seconds: float) -> None:
        # defer() runs without the slot lock; an exclusive lock on the stamp file keeps
        # the read-compare-write atomic against a releasing slot in another process.
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.stamp_path, "a+", encoding="ascii") as stamp:
            fcntl.flock(stamp, fcntl.LOCK_EX)
            stamp.seek(0)
            current = self._parse_stamp(stamp.read())
            target = time.time() + seconds
            if target > current:
                # "a+" appends, so truncating first makes the write land at offset 0.
                stamp.truncate(0)
                stamp.write(repr(target))
                stamp.flush()


# KEYS[1] = "next request at" key (ms, Redis clock). Returns ms to wait (<= 0: go).
_WAIT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
return nxt - now
"""

# KEYS[1] = "next request at" key; ARGV[1] = ms from now. Only ever moves forward.
_PUSH_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local target = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], target, 'PX', tonumber(ARGV[1]) + 60000)
  return target
end
return current
"""


class RedisLimiter(Limiter):
    """Redis lock plus a timestamp kept in Redis' clock: shared by workers on any machine."""

    def __init__(
        self,
        client: redis.Redis,
        key_prefix: str,
        *,
        min_interval: float,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        super().__init__(min_interval=min_interval)
        self.client = client
        self.lock_key = f"{key_prefix}:lock"
        self.next_key = f"{key_prefix}:next"
        self.lock_timeout = lock_timeout
        self._wait_script = client.register_script(_WAIT_SCRIPT)
        self._push_script = client.register_script(_PUSH_SCRIPT)

    def _backend_error(self, error: RedisError) -> RateLimitBackendError:
        return RateLimitBackendError(_("レート制限用の Redis に接続できません: {error}").format(error=error))

    def _acquire(self, timeout: float) -> Any | None:
        lock = self.client.lock(self.lock_key, timeout=self.lock_timeout, sleep=POLL_INTERVAL, thread_local=False)
        try:
            if lock.acquire(blocking=True, blocking_timeout=max(timeout, 0.0)):
                return lock
        except RedisError as error:
            raise self._backend_error(error) from error
        return None

    def _release(self, handle: Any) -> None:
        try:
            handle.release()
        except LockError:
            # The lock expired under us (request longer than lock_timeout); nothing to free.
            logger.warning("Rate-limit lock %s expired before release", self.lock_key)
        except RedisError as error:
            raise self._backend_error(error) from error

    def _seconds_until_allowed(self) -> float:
        try:
            return int(self._wait_script(keys=[self.next_key])) / 1000.0
        except RedisError as error:
            raise self._backend_error(error) from error

    def _push_next_allowed(self, seconds: float) -> None:
        try:
            self._push_script(keys=[self.next_key], args=[max(int(seconds * 1000), 0)])
        except RedisError as error:
            raise self._backend_error(error) from error


@lru_cache(maxsize=8)
def _redis_client(url: str) -> redis.Redis:
    # One connection pool per URL and process; creating it does not connect yet.
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def get_limiter(name: str = ARXIV_LIMITER_NAME) -> Limiter:
    """The limiter configured by settings: Redis when REDIS_URL is set, else lock files."""
    min_interval = float(settings.ARXIV_MIN_INTERVAL)
    if settings.REDIS_URL:
        return RedisLimiter(
            _redis_client(settings.REDIS_URL),
            f"papernotes:ratelimit:{name}",
            min_interval=min_interval,
            # A slot lasts one request; give the lock room for a full read timeout.
            lock_timeout=max(DEFAULT_LOCK_TIMEOUT, 4 * float(settings.ARXIV_TIMEOUT)),
        )
    return FileLimiter(settings.RATE_LIMIT_DIR, name, min_interval=min_interval)


@contextlib.contextmanager
def arxiv_slot(max_wait: float = DEFAULT_MAX_WAIT) -> Iterator[None]:
    """Hold arXiv's single connection for one request, spaced ARXIV_MIN_INTERVAL apart.

    Raises :class:`RateLimitTimeout` when the turn does not come within ``max_wait``
    seconds, and :class:`RateLimitBackendError` when the shared state is unreachable.
    """
    with get_limiter().slot(max_wait=max_wait):
        yield
