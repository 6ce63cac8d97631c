"""Reader pages and API under gunicorn on PostgreSQL, against the same bytes as a static file.

Builds a ten-year archive in a scratch PostgreSQL database (520 issues, 5,200 notes,
52,000 Q&A: the sample issue as the latest, the rest generated Japanese text), starts
gunicorn with the project's gunicorn.conf.py (Redis as the cache), and measures with
``wrk`` the issue page, the home page, a search and the API issue list at concurrency 1
and 32, each against a static file of the same bytes served by the same server
(WhiteNoise) in the same run. Then the search itself, in-process, over the archive.

Prints figures, not a verdict. Needs PostgreSQL, Redis and wrk (apt-get install wrk).

Usage: .venv/bin/python bench/web.py [--duration 5] [--database papernotes_bench]
           [--redis redis://127.0.0.1:6379/11] [--workers 2] [--threads 2]
           [--skip-build] [--search-only]
``--skip-build --search-only`` measures the search again on the archive of a previous run.
BENCH_PORT picks the port gunicorn listens on (8765 by default).
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import archive

REPO = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
PAGES = {
    "issue page": "/issues/2024-04-29/",
    "home page": "/",
    "search 「評価」": "/search/?q=%E8%A9%95%E4%BE%A1",
    "API issue list": "/api/v1/issues/",
}
# Common and rare words, two-character and longer, Japanese and Latin, one and two terms.
SEARCHES = [
    "評価",
    "モデル",
    "蒸留",
    "強化学習",
    "エージェント評価",
    "プロンプト圧縮",
    "トークン 推論",
    "transformer",
    "幻覚 医療",
]


def environment(args, static_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "REDIS_URL": args.redis,
        "CELERY_BROKER_URL": "memory://",
        "STATIC_ROOT": str(static_root),
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "API_ANON_THROTTLE_RATE": "100000000/minute",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_ACCESS_LOG": "off",
    }


def search_latency(runs: int) -> None:
    """The search of the search page and of the API's q filter, in-process, uncached."""
    from django.db import connection

    from papernotes.search.query import parse_query
    from papernotes.search.service import search_public_notes

    timings: dict[str, list[float]] = {}
    for _ in range(runs):
        for text in SEARCHES:
            started = time.perf_counter()
            search_public_notes(parse_query(text), limit=20)
            timings.setdefault(text, []).append((time.perf_counter() - started) * 1000)
    every = sorted(t for values in timings.values() for t in values)
    print(f"\nsearch over the archive, in-process ({connection.vendor}), {runs} runs of {len(SEARCHES)} queries:")
    for text, values in timings.items():
        values.sort()
        total = search_public_notes(parse_query(text), limit=1).total
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"  {text:<16} {total:>5} notes   p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms")
    p95 = every[int(len(every) * 0.95) - 1]
    print(f"  all queries            p50 {statistics.median(every):6.1f} ms   p95 {p95:6.1f} ms")


def start_server(env) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", str(REPO / "gunicorn.conf.py")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/robots.txt", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def fetch(path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=30) as response:
        return response.read()


def wrk(path: str, *, connections: int, duration: int) -> dict[str, float]:
    threads = 1 if connections == 1 else 2
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    time.sleep(1)  # let the server finish what the closed connections had queued

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def build_archive(args) -> None:
    archive.build_archive(args.database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--database", default="papernotes_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="page/static run pairs per row (medians)")
    parser.add_argument("--search-runs", type=int, default=30)
    parser.add_argument("--skip-build", action="store_true", help="reuse the archive of a previous run")
    parser.add_argument(
        "--search-only", action="store_true", help="measure only the in-process search (no gunicorn, no wrk)"
    )
    args = parser.parse_args()
    if not args.search_only and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    static_root = Path(tempfile.mkdtemp(prefix="papernotes-bench-static-"))
    env = environment(args, static_root)
    os.environ.update({k: v for k, v in env.items() if k not in ("WEB_CONCURRENCY",)})
    os.environ["DJANGO_SETTINGS_MODULE"] = "papernotes.settings"
    sys.path.insert(0, str(REPO))
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    if args.skip_build:
        import django

        django.setup()
    else:
        build_archive(args)
    if args.search_only:
        search_latency(args.search_runs)
        return
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, env=env, check=True)

    # First run: the pages' bytes, to serve as static files of exactly the same size.
    server = start_server(env)
    try:
        cold = {}
        for number, (name, path) in enumerate(PAGES.items()):
            started = time.perf_counter()
            body = fetch(path)
            cold[name] = (time.perf_counter() - started) * 1000
            (static_root / "bench").mkdir(exist_ok=True)
            (static_root / "bench" / f"page{number}.html").write_bytes(body)
    finally:
        stop_server(server)

    server = start_server(env)  # WhiteNoise indexes STATIC_ROOT when it starts
    try:
        print(
            f"\ngunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, Redis cache; "
            f"wrk {args.duration} s per run, medians of {args.rounds} page/static pairs; "
            f"static = same bytes served by WhiteNoise; load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'':<17}{'bytes':>8} {'first':>8} | {'c':>3} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" | {'static req/s':>12} {'p50 ms':>7} | {'ratio':>5}"
        )
        for number, (name, path) in enumerate(PAGES.items()):
            static_path = f"/static/bench/page{number}.html"
            size = len(fetch(path))
            assert len(fetch(static_path)) == size
            for connections in (1, 32):
                wrk(path, connections=connections, duration=1)  # warm
                # Alternate page and static runs, so load from elsewhere on the machine hits both.
                runs = [
                    (
                        wrk(path, connections=connections, duration=args.duration),
                        wrk(static_path, connections=connections, duration=args.duration),
                    )
                    for _ in range(args.rounds)
                ]
                page = {key: statistics.median(run[0][key] for run in runs) for key in ("rps", "p50", "p99")}
                static = {key: statistics.median(run[1][key] for run in runs) for key in ("rps", "p50", "p99")}
                errors = sum(run[0]["errors"] for run in runs)
                ratio = statistics.median(run[0]["rps"] / run[1]["rps"] if run[1]["rps"] else 0.0 for run in runs)
                print(
                    f"{name:<17}{size:>8} {cold[name]:>6.0f}ms | {connections:>3} {page['rps']:>8.0f} "
                    f"{page['p50']:>7.2f} {page['p99']:>7.2f} | {static['rps']:>12.0f} {static['p50']:>7.2f} | "
                    f"{ratio:>5.2f}" + (f"  ({errors} errors)" if errors else "")
                )
        keys = redis.Redis.from_url(args.redis).dbsize()
        print(f"\nRedis cache keys after the run: {keys}; load average {os.getloadavg()[0]:.1f}")
    finally:
        stop_server(server)
        shutil.rmtree(static_root, ignore_errors=True)

    search_latency(args.search_runs)


if __name__ == "__main__":
    main()
