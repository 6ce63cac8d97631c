"""A rate limiter shared by every worker that calls one outside service, keyed by its name.

Each service has its own limits, read from settings named after it (``ARXIV_MIN_INTERVAL``,
``LLM_MAX_CONCURRENT``, ...; see :func:`limits_for`):

* ``max_concurrent``: calls in flight at once, across all workers (arXiv: one connection);
* ``min_interval``: seconds from the end of one call to the start of the next (arXiv: 3 s);
* ``requests_per_minute`` and ``tokens_per_minute``: a sliding one-minute window (the LLM's
  quotas). A caller states the tokens it expects to use when it asks for a slot and settles
  the real count afterwards, so the window follows what was really spent.

Limits count per client, not per process, so the state lives outside the process:

* Redis, when ``settings.REDIS_URL`` is set: redis-py ``Lock`` s with a timeout (a crashed
  holder cannot block everyone forever) for the concurrent slots, and the interval and the
  window kept in Redis and changed by Lua scripts that read Redis' own clock, so that the
  clocks of different machines never matter;
* otherwise lock files (``fcntl.flock``) and small state files under
  ``settings.RATE_LIMIT_DIR``, which covers the processes of one machine.

Use :func:`service_slot` around every call::

    with service_slot("arxiv"):
        response = session.get(url)

    with service_slot("llm", tokens=estimate) as reservation:
        reply = client.chat.completions.create(...)
        reservation.settle(reply.usage.total_tokens)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from redis.exceptions import LockError, RedisError

from papernotes.external.errors import ExternalError
from papernotes.i18n import gettext_safe as _

logger = logging.getLogger(__name__)

# How long a caller waits for its turn before giving up. Generous compared with arXiv's
# 3 s interval: ten queued workers still get through, a stuck holder does not hang a task.
DEFAULT_MAX_WAIT = 120.0
# A Redis lock expires by itself after this long, so a worker killed mid-call cannot
# block the others for good. It must outlast one call including its read timeout.
DEFAULT_LOCK_TIMEOUT = 300.0
# A stored "next call at" further ahead than this is treated as garbage (for example a
# timestamp file written before the clock was corrected) rather than obeyed.
MAX_DEFER = 3600.0
# How often a waiting caller retries the lock; short compared with the interval.
POLL_INTERVAL = 0.01
# The span of the requests- and tokens-per-minute window, in seconds.
WINDOW = 60.0


class RateLimitError(ExternalError):
    """The limiter could not grant a slot; the call was not made. Worth retrying later."""

    def __init__(self, message: str, code: str = "rate_limited") -> None:
        super().__init__(code, message, retryable=True)


class RateLimitTimeout(RateLimitError):
    """No slot became free within the maximum wait."""

    def __init__(self, max_wait: float, name: str = "") -> None:
        super().__init__(
            _(
                "{service} へのリクエストの順番が {seconds:g} 秒以内に回ってきませんでした。"
                "ほかの処理が混み合っています"
            ).format(service=_service_label(name), seconds=round(max_wait, 1))
        )
        self.max_wait = max_wait


class RateLimitBackendError(RateLimitError):
    """The shared state (Redis or the lock directory) is not usable."""


def _service_label(name: str) -> str:
    return {"arxiv": "arXiv", "llm": "LLM"}.get(name, name or "arXiv")


@dataclass(frozen=True)
class Limits:
    min_interval: float = 0.0
    max_concurrent: int = 1
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    window: float = WINDOW

    @property
    def windowed(self) -> bool:
        return bool(self.requests_per_minute or self.tokens_per_minute)


class Reservation:
    """A granted slot; :meth:`settle` replaces the expected token count with the real one."""

    def __init__(self, limiter: Limiter, entry: str | None) -> None:
        self._limiter = limiter
        self._entry = entry

    def settle(self, tokens: int) -> None:
        if self._entry is not None and self._limiter.limits.tokens_per_minute:
            self._limiter._settle(self._entry, max(int(tokens), 0))


class Limiter(ABC):
    """The waiting algorithm, the same for both backends; subclasses provide the primitives."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits

    @contextlib.contextmanager
    def slot(self, max_wait: float = DEFAULT_MAX_WAIT, *, tokens: int = 0) -> Iterator[Reservation]:
        """Block until it is this caller's turn; hold the turn for the body of the ``with``."""
        deadline = time.monotonic() + max_wait
        while True:
            handle = self._acquire(deadline - time.monotonic())
            if handle is None:
                raise RateLimitTimeout(max_wait, self.name)
            try:
                wait = self._seconds_until_allowed()
                entry = None
                if wait <= 0 and self.limits.windowed:
                    wait, entry = self._reserve(tokens)
            except BaseException:
                self._release(handle)
                raise
            if wait <= 0:
                break
            # Sleep without the lock: holding it only means "a call is in flight".
            self._release(handle)
            if time.monotonic() + wait > deadline:
                # Fail now rather than sleep only to fail at the deadline.
                raise RateLimitTimeout(max_wait, self.name)
            time.sleep(wait)
        try:
            yield Reservation(self, entry)
        finally:
            # Counted from the moment the service is done with us, whatever the call took.
            try:
                if self.limits.min_interval > 0:
                    self._push_next_allowed(self.limits.min_interval)
            finally:
                self._release(handle)

    def defer(self, seconds: float) -> None:
        """Ask every caller to wait ``seconds`` from now (after a 429/503 with Retry-After)."""
        self._push_next_allowed(min(seconds, MAX_DEFER))

    def _slot_names(self) -> list[str]:
        # Slot 0 keeps the name of the single lock, so a one-at-a-time service (arXiv)
        # uses the same key or file as before concurrency was configurable.
        return ["lock"] + [f"lock.{index}" for index in range(1, max(self.limits.max_concurrent, 1))]

    @abstractmethod
    def _acquire(self, timeout: float) -> Any | None:
        """Take one of the concurrent slots within ``timeout`` seconds; None when none came free."""

    @abstractmethod
    def _release(self, handle: Any) -> None:
        """Give back a slot taken by :meth:`_acquire`."""

    @abstractmethod
    def _seconds_until_allowed(self) -> float:
        """How long until the next call may start (<= 0: now)."""

    @abstractmethod
    def _push_next_allowed(self, seconds: float) -> None:
        """Make the next call wait until ``seconds`` from now, unless it must wait longer."""

    @abstractmethod
    def _reserve(self, tokens: int) -> tuple[float, str | None]:
        """Count one call of ``tokens`` in the window if it fits: (0, entry); else (seconds to wait, None)."""

    @abstractmethod
    def _settle(self, entry: str, tokens: int) -> None:
        """Replace the tokens counted for ``entry`` with ``tokens``."""


def _window_wait(entries: list[list], limits: Limits, tokens: int, now: float) -> float:
    """Seconds until a call of ``tokens`` fits the window of ``entries`` ([at, tokens, id])."""
    waits = []
    if limits.requests_per_minute and len(entries) >= limits.requests_per_minute:
        waits.append(entries[len(entries) - limits.requests_per_minute][0] + limits.window - now)
    if limits.tokens_per_minute:
        # A call larger than the whole budget waits for an empty window, then goes alone.
        budget = max(limits.tokens_per_minute - min(tokens, limits.tokens_per_minute), 0)
        used = sum(entry[1] for entry in entries)
        for at, spent, _entry in entries:
            if used <= budget:
                break
            used -= spent
            waits.append(at + limits.window - now)
    return max(waits, default=0.0)


class FileLimiter(Limiter):
    """Lock files plus state files: shared by the processes (and threads) of one machine."""

    def __init__(
        self,
        directory: Path | str,
        name: str,
        *,
        min_interval: float = 0.0,
        max_concurrent: int = 1,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        window: float = WINDOW,
    ) -> None:
        super().__init__(name, Limits(min_interval, max_concurrent, requests_per_minute, tokens_per_minute, window))
        self.directory = Path(directory)
        self.lock_path = self.directory / f"{name}.lock"
        self.stamp_path = self.directory / f"{name}.next"
        self.window_path = self.directory / f"{name}.window"

    def _open(self, path: Path) -> int:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RateLimitBackendError(
                _("レート制限用のディレクトリ {path} を使えません: {error}").format(path=self.directory, error=error)
            ) from error

    def _acquire(self, timeout: float) -> int | None:
        # Fresh descriptors per attempt: flock locks belong to the open file, so two threads
        # of one process exclude each other as two processes do.
        paths = [self.directory / f"{self.name}.{slot}" for slot in self._slot_names()]
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            for path in paths:
                fd = self._open(path)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    os.close(fd)
            if time.monotonic() >= deadline:
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
        # defer() runs without a slot; an exclusive lock on the stamp file keeps the
        # read-compare-write atomic against a releasing slot in another process.
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

    @contextlib.contextmanager
    def _window(self) -> Iterator[list[list]]:
        """The window's entries, locked for a read-modify-write; changes are written back."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.window_path, "a+", encoding="ascii") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            try:
                entries = json.loads(file.read() or "[]")
            except ValueError:
                entries = []
            now = time.time()
            entries = [entry for entry in entries if now - self.limits.window < entry[0] <= now + MAX_DEFER]
            yield entries
            file.truncate(0)
            file.write(json.dumps(entries))
            file.flush()

    def _reserve(self, tokens: int) -> tuple[float, str | None]:
        with self._window() as entries:
            now = time.time()
            wait = _window_wait(entries, self.limits, tokens, now)
            if wait > 0:
                return wait, None
            entry = uuid.uuid4().hex
            entries.append([now, tokens, entry])
            return 0.0, entry

    def _settle(self, entry: str, tokens: int) -> None:
        with self._window() as entries:
            for item in entries:
                if item[2] == entry:
                    item[1] = tokens


# KEYS[1] = "next call at" key (ms, Redis clock). Returns ms to wait (<= 0: go).
_WAIT_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
return nxt - now
"""

# KEYS[1] = "next call at" key; ARGV[1] = ms from now. Only ever moves forward.
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

# KEYS[1] = window zset (member = entry id, score = ms), KEYS[2] = tokens hash (id -> tokens).
# ARGV = tokens, requests per window (0: none), tokens per window (0: none), entry id, window ms.
# Returns 0 when the call was counted, else ms to wait.
_RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[5])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
for _, id in ipairs(expired) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local tokens, rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #entries / 2
local wait = 0
if rpm > 0 and count >= rpm then
  wait = math.max(wait, tonumber(entries[(count - rpm) * 2 + 2]) + window - now)
end
if tpm > 0 then
  local budget = math.max(tpm - math.min(tokens, tpm), 0)
  local used = 0
  local spent = {}
  for i = 1, count do
    spent[i] = tonumber(redis.call('HGET', KEYS[2], entries[i * 2 - 1]) or '0')
    used = used + spent[i]
  end
  local i = 1
  while used > budget and i <= count do
    used = used - spent[i]
    wait = math.max(wait, tonumber(entries[i * 2]) + window - now)
    i = i + 1
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('HSET', KEYS[2], ARGV[4], tokens)
redis.call('PEXPIRE', KEYS[1], window * 2)
redis.call('PEXPIRE', KEYS[2], window * 2)
return 0
"""


class RedisLimiter(Limiter):
    """Redis locks plus state kept in Redis' clock: shared by workers on any machine."""

    def __init__(
        self,
        client: redis.Redis,
        key_prefix: str,
        *,
        min_interval: float = 0.0,
        max_concurrent: int = 1,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        window: float = WINDOW,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        name: str = "",
    ) -> None:
        super().__init__(name, Limits(min_interval, max_concurrent, requests_per_minute, tokens_per_minute, window))
        self.client = client
        self.key_prefix = key_prefix
        self.next_key = f"{key_prefix}:next"
        self.lock_timeout = lock_timeout
        self._wait_script = client.register_script(_WAIT_SCRIPT)
        self._push_script = client.register_script(_PUSH_SCRIPT)
        self._reserve_script = client.register_script(_RESERVE_SCRIPT)

    def _backend_error(self, error: RedisError) -> RateLimitBackendError:
        return RateLimitBackendError(_("レート制限用の Redis に接続できません: {error}").format(error=error))

    def _acquire(self, timeout: float) -> Any | None:
        locks = [
            self.client.lock(
                f"{self.key_prefix}:{slot.replace('.', ':')}", timeout=self.lock_timeout, thread_local=False
            )
            for slot in self._slot_names()
        ]
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            while True:
                for lock in locks:
                    if lock.acquire(blocking=False):
                        return lock
                if time.monotonic() >= deadline:
                    return None
                time.sleep(POLL_INTERVAL)
        except RedisError as error:
            raise self._backend_error(error) from error

    def _release(self, handle: Any) -> None:
        try:
            handle.release()
        except LockError:
            # The lock expired under us (a call longer than lock_timeout); nothing to free.
            logger.warning("Rate-limit lock %s expired before release", handle.name)
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

    def _reserve(self, tokens: int) -> tuple[float, str | None]:
        entry = uuid.uuid4().hex
        args = [
            tokens,
            self.limits.requests_per_minute or 0,
            self.limits.tokens_per_minute or 0,
            entry,
            int(self.limits.window * 1000),
        ]
        try:
            wait = int(self._reserve_script(keys=[f"{self.key_prefix}:window", f"{self.key_prefix}:tokens"], args=args))
        except RedisError as error:
            raise self._backend_error(error) from error
        return (wait / 1000.0, None) if wait > 0 else (0.0, entry)

    def _settle(self, entry: str, tokens: int) -> None:
        try:
            # Only an entry still in the window: HSET on an expired one would resurrect it.
            if self.client.zscore(f"{self.key_prefix}:window", entry) is not None:
                self.client.hset(f"{self.key_prefix}:tokens", entry, tokens)
        except RedisError as error:
            raise self._backend_error(error) from error


@lru_cache(maxsize=8)
def _redis_client(url: str) -> redis.Redis:
    # One connection pool per URL and process; creating it does not connect yet.
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def limits_for(name: str) -> Limits:
    """The limits of service ``name`` from ``<NAME>_MIN_INTERVAL``, ``_MAX_CONCURRENT``,
    ``_REQUESTS_PER_MINUTE`` and ``_TOKENS_PER_MINUTE`` (unset: no limit of that kind)."""
    prefix = name.upper()

    def setting(key: str):
        return getattr(settings, f"{prefix}_{key}", None)

    def positive(value) -> int | None:
        return int(value) if value else None

    return Limits(
        min_interval=float(setting("MIN_INTERVAL") or 0.0),
        max_concurrent=max(int(setting("MAX_CONCURRENT") or 1), 1),
        requests_per_minute=positive(setting("REQUESTS_PER_MINUTE")),
        tokens_per_minute=positive(setting("TOKENS_PER_MINUTE")),
    )


def get_limiter(name: str = "arxiv") -> Limiter:
    """The limiter of service ``name``: Redis when REDIS_URL is set, else lock files."""
    limits = limits_for(name)
    options = {
        "min_interval": limits.min_interval,
        "max_concurrent": limits.max_concurrent,
        "requests_per_minute": limits.requests_per_minute,
        "tokens_per_minute": limits.tokens_per_minute,
    }
    if settings.REDIS_URL:
        timeout = float(getattr(settings, f"{name.upper()}_TIMEOUT", 30.0))
        return RedisLimiter(
            _redis_client(settings.REDIS_URL),
            f"papernotes:ratelimit:{name}",
            # A slot lasts one call; give the lock room for a full read timeout.
            lock_timeout=max(DEFAULT_LOCK_TIMEOUT, 4 * timeout),
            name=name,
            **options,
        )
    return FileLimiter(settings.RATE_LIMIT_DIR, name, **options)


@contextlib.contextmanager
def service_slot(name: str, *, tokens: int = 0, max_wait: float = DEFAULT_MAX_WAIT) -> Iterator[Reservation]:
    """Hold one of service ``name``'s slots for one call.

    Raises :class:`RateLimitTimeout` when the turn does not come within ``max_wait``
    seconds, and :class:`RateLimitBackendError` when the shared state is unreachable.
    """
    with get_limiter(name).slot(max_wait=max_wait, tokens=tokens) as reservation:
        yield reservation


@contextlib.contextmanager
def arxiv_slot(max_wait: float = DEFAULT_MAX_WAIT) -> Iterator[Reservation]:
    """arXiv's single connection for one request, spaced ARXIV_MIN_INTERVAL apart."""
    with service_slot("arxiv", max_wait=max_wait) as reservation:
        yield reservation
