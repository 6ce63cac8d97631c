"""The shared arXiv rate limiter, with real concurrency: several processes and threads.

Every caller records when it entered and left its slot; whatever the interleaving, the
slots must never overlap and consecutive starts must be at least the interval apart.
"""

import itertools
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from papernotes.external import ratelimit
from papernotes.external.ratelimit import (
    FileLimiter,
    Limiter,
    RateLimitTimeout,
    RedisLimiter,
    arxiv_slot,
    get_limiter,
)
from tests.support.live_services import require_redis

INTERVAL = 0.2
# Redis timestamps are whole milliseconds of the server's clock; allow for the rounding.
REDIS_TOLERANCE = 0.005
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

Slot = tuple[float, float]  # (entered, left), time.time()


def _make_limiter(spec: tuple) -> Limiter:
    kind, location, name = spec
    if kind == "file":
        return FileLimiter(location, name, min_interval=INTERVAL)
    return RedisLimiter(redis.Redis.from_url(location), name, min_interval=INTERVAL)


def _use_slots(spec: tuple, count: int, start: Callable[[], object], out: Callable[[Slot], None]) -> None:
    limiter = _make_limiter(spec)
    start()
    for _ in range(count):
        with limiter.slot(max_wait=20):
            entered = time.time()
            time.sleep(0.02)  # "the request"
            out((entered, time.time()))


def _process_worker(spec: tuple, count: int, go, queue) -> None:
    # Module level so that the "spawn" start method can import it in the child.
    _use_slots(spec, count, lambda: go.wait(10), queue.put)


def _run_processes(spec: tuple, processes: int, per_process: int) -> list[Slot]:
    # spawn, not fork: the test process has threads (pytest, possibly servers).
    context = multiprocessing.get_context("spawn")
    go, queue = context.Event(), context.Queue()
    workers = [context.Process(target=_process_worker, args=(spec, per_process, go, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    go.set()  # start together, so they really compete
    slots = [queue.get(timeout=30) for _ in range(processes * per_process)]
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    return slots


def _run_threads(spec: tuple, threads: int, per_thread: int) -> list[Slot]:
    barrier = threading.Barrier(threads)
    slots: list[Slot] = []
    workers = [
        threading.Thread(target=_use_slots, args=(spec, per_thread, barrier.wait, slots.append)) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert len(slots) == threads * per_thread
    return slots


def _take(limiter: Limiter, max_wait: float) -> None:
    with limiter.slot(max_wait=max_wait):
        pass


def _assert_spaced(slots: list[Slot], tolerance: float = 0.0) -> None:
    ordered = sorted(slots)
    for (prev_in, prev_out), (next_in, _next_out) in itertools.pairwise(ordered):
        assert next_in >= prev_out - tolerance, "two callers inside at once"
        assert next_in - prev_in >= INTERVAL - tolerance, f"starts only {next_in - prev_in:.3f}s apart"


# -- file backend ----------------------------------------------------------------------


def test_file_backend_across_processes(tmp_path: Path):
    _assert_spaced(_run_processes(("file", str(tmp_path), "arxiv"), processes=3, per_process=2))


def test_file_backend_across_threads(tmp_path: Path):
    _assert_spaced(_run_threads(("file", str(tmp_path), "arxiv"), threads=4, per_thread=2))


def _hold_slot_forever(directory: str, ready) -> None:
    with FileLimiter(directory, "arxiv", min_interval=0.0).slot():
        ready.set()
        time.sleep(60)


def test_file_lock_of_a_killed_worker_is_released(tmp_path: Path):
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_slot_forever, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(20)
        limiter = FileLimiter(tmp_path, "arxiv", min_interval=0.0)
        with pytest.raises(RateLimitTimeout):
            _take(limiter, 0.1)
        holder.kill()
        holder.join(timeout=10)
        with limiter.slot(max_wait=2):
            pass
    finally:
        holder.kill()


def test_waiting_too_long_raises_a_japanese_timeout(tmp_path: Path):
    limiter = FileLimiter(tmp_path, "arxiv", min_interval=0.0)
    entered = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with limiter.slot():
            entered.set()
            leave.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(5)
        started = time.monotonic()
        with pytest.raises(RateLimitTimeout) as caught:
            _take(limiter, 0.2)
        assert 0.15 <= time.monotonic() - started < 1.0
        assert "0.2 秒以内に回ってきませんでした" in caught.value.message
    finally:
        leave.set()
        holder.join()


def test_a_wait_longer_than_max_wait_fails_at_once(tmp_path: Path):
    limiter = FileLimiter(tmp_path, "arxiv", min_interval=5.0)
    with limiter.slot():
        pass

    started = time.monotonic()
    with pytest.raises(RateLimitTimeout):
        _take(limiter, 1.0)
    assert time.monotonic() - started < 0.5  # did not sleep 1 s for nothing


def test_defer_makes_every_caller_wait(tmp_path: Path):
    FileLimiter(tmp_path, "arxiv", min_interval=0.0).defer(0.3)

    started = time.monotonic()
    with FileLimiter(tmp_path, "arxiv", min_interval=0.0).slot():
        assert time.monotonic() - started >= 0.29


def test_get_limiter_and_arxiv_slot_follow_settings(settings, tmp_path: Path):
    settings.REDIS_URL = ""
    settings.RATE_LIMIT_DIR = tmp_path / "state"
    settings.ARXIV_MIN_INTERVAL = INTERVAL

    limiter = get_limiter()
    assert isinstance(limiter, FileLimiter)
    assert limiter.lock_path.parent == tmp_path / "state"

    starts = []
    for _ in range(2):
        with arxiv_slot():
            starts.append(time.monotonic())
    assert starts[1] - starts[0] >= INTERVAL

    settings.REDIS_URL = "redis://127.0.0.1:6379/15"  # not contacted: clients connect lazily
    assert isinstance(get_limiter(), RedisLimiter)


# -- Redis backend ---------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test on the real Redis; skipped when Redis is absent."""
    client = require_redis(REDIS_URL)
    prefix = f"papernotes-test:ratelimit:{uuid.uuid4().hex}"
    yield prefix
    client.delete(*client.keys(f"{prefix}:*") or [f"{prefix}:none"])


def test_redis_backend_across_processes(redis_prefix: str):
    slots = _run_processes(("redis", REDIS_URL, redis_prefix), processes=3, per_process=2)
    _assert_spaced(slots, tolerance=REDIS_TOLERANCE)


def test_redis_backend_across_threads(redis_prefix: str):
    slots = _run_threads(("redis", REDIS_URL, redis_prefix), threads=4, per_thread=2)
    _assert_spaced(slots, tolerance=REDIS_TOLERANCE)


def test_redis_lock_of_a_dead_worker_expires(redis_prefix: str):
    client = redis.Redis.from_url(REDIS_URL)
    # A worker that took the lock and died: nobody will release it, its timeout will.
    client.lock(f"{redis_prefix}:lock", timeout=0.3).acquire()
    limiter = RedisLimiter(client, redis_prefix, min_interval=0.0)

    started = time.monotonic()
    with limiter.slot(max_wait=3):
        pass
    assert 0.25 <= time.monotonic() - started < 2


def test_redis_defer_and_timeout(redis_prefix: str):
    limiter = RedisLimiter(redis.Redis.from_url(REDIS_URL), redis_prefix, min_interval=0.0)
    limiter.defer(0.3)

    with pytest.raises(RateLimitTimeout):
        _take(limiter, 0.1)
    started = time.monotonic()
    with limiter.slot(max_wait=2):
        assert time.monotonic() - started >= 0.15


def test_redis_down_is_a_clear_backend_error():
    # No client-side retries, so the test does not sit through redis-py's backoff.
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    limiter = RedisLimiter(client, "papernotes-test:down", min_interval=0.1)

    with pytest.raises(ratelimit.RateLimitBackendError) as caught:
        _take(limiter, 1)
    assert "Redis" in caught.value.message


# -- limits of services that allow more than one call at a time (the LLM) --------------------


def _limiter(kind: str, where: str, **limits) -> Limiter:
    if kind == "file":
        return FileLimiter(where, "llm", **limits)
    return RedisLimiter(redis.Redis.from_url(REDIS_URL), where, name="llm", **limits)


@pytest.fixture(params=["file", "redis"])
def backend(request, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "file":
        yield "file", str(tmp_path)
        return
    client = require_redis(REDIS_URL)
    prefix = f"papernotes-test:ratelimit:{uuid.uuid4().hex}"
    yield "redis", prefix
    client.delete(*client.keys(f"{prefix}:*") or [f"{prefix}:none"])


def test_at_most_max_concurrent_calls_are_in_flight(backend):
    # Given a service that allows three calls at once, and six callers
    limiter = _limiter(*backend, max_concurrent=3)
    lock = threading.Lock()
    in_flight, peak = 0, 0

    def call() -> None:
        nonlocal in_flight, peak
        with limiter.slot(max_wait=10):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.15)
            with lock:
                in_flight -= 1

    # When they all call together
    threads = [threading.Thread(target=call) for _ in range(6)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then three ran at a time: never more, and not one by one either
    assert peak == 3
    assert time.monotonic() - started < 0.15 * 6 - 0.2


def test_requests_per_window_make_the_next_call_wait(backend):
    limiter = _limiter(*backend, max_concurrent=5, requests_per_minute=2, window=0.5)
    starts = []
    for _ in range(3):
        with limiter.slot(max_wait=5):
            starts.append(time.monotonic())

    assert starts[1] - starts[0] < 0.2  # two fit the window
    assert starts[2] - starts[0] >= 0.45  # the third waits for the first to leave it


def test_tokens_per_window_count_what_was_really_spent(backend):
    limiter = _limiter(*backend, max_concurrent=5, tokens_per_minute=1000, window=0.5)
    # A call expected to use 900 tokens that really used 100 leaves room for another 900.
    with limiter.slot(max_wait=5, tokens=900) as reservation:
        reservation.settle(100)
    started = time.monotonic()
    with limiter.slot(max_wait=5, tokens=900):
        pass
    assert time.monotonic() - started < 0.2
    # ...but now 1000 are spent: the next call of 500 waits for the window to move on.
    started = time.monotonic()
    with limiter.slot(max_wait=5, tokens=500):
        pass
    assert time.monotonic() - started >= 0.3


def test_a_call_that_does_not_fit_the_wait_fails_at_once(backend):
    limiter = _limiter(*backend, max_concurrent=5, requests_per_minute=1, window=5)
    with limiter.slot(max_wait=1):
        pass

    started = time.monotonic()
    with pytest.raises(RateLimitTimeout) as caught:
        _take(limiter, 1.0)
    assert time.monotonic() - started < 0.5
    assert "LLM" in caught.value.message


def test_limits_are_read_per_service(settings, tmp_path: Path):
    settings.REDIS_URL = ""
    settings.RATE_LIMIT_DIR = tmp_path
    settings.ARXIV_MIN_INTERVAL = 3.0
    settings.LLM_MIN_INTERVAL = 0
    settings.LLM_MAX_CONCURRENT = 4
    settings.LLM_REQUESTS_PER_MINUTE = 500
    settings.LLM_TOKENS_PER_MINUTE = 200_000

    arxiv, llm = get_limiter("arxiv"), get_limiter("llm")

    assert (arxiv.limits.min_interval, arxiv.limits.max_concurrent, arxiv.limits.windowed) == (3.0, 1, False)
    assert (llm.limits.min_interval, llm.limits.max_concurrent) == (0.0, 4)
    assert (llm.limits.requests_per_minute, llm.limits.tokens_per_minute) == (500, 200_000)
