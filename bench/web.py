"""Reader pages and API under gunicorn on PostgreSQL, against the same bytes as static files.

Builds a ten-year archive in a scratch PostgreSQL database (520 issues, 5,200 notes,
52,000 Q&A: the sample issue as the latest, the rest generated Japanese text), starts
gunicorn with the project's gunicorn.conf.py (Redis as the cache), and measures with
``wrk``, in the same run:

1. pages and API reads (the issue page and its API twin, home and the API issue list, a
   search, a revalidation answered 304) at concurrency 1 and 32, each against the same
   bytes served as a static file by WhiteNoise (in the same gunicorn) and by nginx (its
   own process, a generated config in a temporary folder, as many workers as gunicorn);
2. 300 warm issue pages at 32 clients, idle and while an editor saves an unrelated draft
   every second (and, for contrast, while a published issue is corrected every second);
3. how soon a correction is visible: the requests after its commit until its new ETag
   is served (each of several corrections, revalidating with the old ETag at once).

Then the search itself, in-process, over the archive.

Prints figures, not a verdict. Needs PostgreSQL, Redis, wrk and nginx
(apt-get install wrk nginx).

Usage: .venv/bin/python bench/web.py [--duration 5] [--database papernotes_bench]
           [--redis redis://127.0.0.1:6379/11] [--workers 2] [--threads 2]
           [--skip-build] [--search-only] [--skip-search]
``--skip-build --search-only`` measures the search again on the archive of a previous run.
BENCH_PORT picks the port gunicorn listens on (8765 by default); nginx takes the next one.
"""

import argparse
import datetime
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import archive

REPO = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
NGINX_PORT = PORT + 1
PAGES = {
    "issue page": "/issues/2024-04-29/",
    "API issue detail": "/api/v1/issues/2024-04-29/",
    "home page": "/",
    "API issue list": "/api/v1/issues/",
    "search 「評価」": "/search/?q=%E8%A9%95%E4%BE%A1",
}
# Revalidations: the same URLs with the ETag the client holds (answered 304).
REVALIDATIONS = {"issue page 304": "/issues/2024-04-29/", "API detail 304": "/api/v1/issues/2024-04-29/"}
WARM_ISSUES = 300
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


def wrk(path: str, *, connections: int, duration: int, port: int = PORT, script: Path | None = None) -> dict:
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
            *(["-s", str(script)] if script else []),
            f"http://127.0.0.1:{port}{path}",
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


def start_nginx(root: Path, workers: int) -> tuple[subprocess.Popen, Path]:
    """nginx serving ``root`` on NGINX_PORT, from a generated config in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="papernotes-bench-nginx-"))
    (folder / "logs").mkdir()
    config = folder / "nginx.conf"
    config.write_text(
        f"""
worker_processes {workers};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{NGINX_PORT};
        root {root};
    }}
}}
"""
    )
    server = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{NGINX_PORT}/", timeout=1)
        except urllib.error.HTTPError:
            return server, folder  # up (a 403/404 for the folder itself)
        except OSError:
            time.sleep(0.1)
        else:
            return server, folder
    stop_server(server)
    raise SystemExit("nginx did not start: " + server.stderr.read().decode()[-2000:])


def headers_of(path: str, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def wrk_script(folder: Path, *, paths: list[str] | None = None, headers: dict | None = None) -> Path:
    """A wrk Lua script: cycle through ``paths`` and/or send ``headers``."""
    lines = []
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = {value!r}'.replace("'", '"'))
    if paths:
        lines.append("local paths = {" + ",".join(f'"{path}"' for path in paths) + "}")
        lines.append("local n = 0")
        lines.append("request = function() n = n % #paths + 1; return wrk.format(nil, paths[n]) end")
    script = folder / f"script{len(list(folder.glob('script*.lua')))}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def print_row(name: str, size: int, cold: float | None, connections: int, runs: list[tuple[dict, dict, dict]]) -> None:
    page = {key: statistics.median(run[0][key] for run in runs) for key in ("rps", "p50", "p99")}
    white = statistics.median(run[1]["rps"] for run in runs)
    nginx = statistics.median(run[2]["rps"] for run in runs)
    errors = sum(run[0]["errors"] for run in runs)
    to_white = statistics.median(run[0]["rps"] / run[1]["rps"] if run[1]["rps"] else 0.0 for run in runs)
    to_nginx = statistics.median(run[0]["rps"] / run[2]["rps"] if run[2]["rps"] else 0.0 for run in runs)
    first = f"{cold:>6.0f}ms" if cold is not None else f"{'':>8}"
    print(
        f"{name:<17}{size:>8} {first} | {connections:>3} {page['rps']:>8.0f} {page['p50']:>7.2f} {page['p99']:>7.2f}"
        f" | {white:>9.0f} {nginx:>9.0f} | {to_white:>5.2f} {to_nginx:>5.2f}"
        + (f"  ({errors} errors)" if errors else "")
    )


class Editor(threading.Thread):
    """Saves a note every ``interval`` seconds, in its own transaction, as the admin would:
    an unrelated draft (an unpublished issue's note), or a correction of a published one."""

    def __init__(self, *, interval: float, published: bool) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.published = published
        self.saves = 0
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection, transaction

        from papernotes.models import Note

        if self.published:
            note = Note.objects.filter(issue__week_start=datetime.date(2024, 4, 22)).order_by("position").first()
        else:
            note = Note.objects.filter(issue__week_start=DRAFT_WEEK).first()
        try:
            while not self.stop.wait(self.interval):
                with transaction.atomic():
                    note.summary = f"編集中の要約 {self.saves}."
                    note.save()
                self.saves += 1
        finally:
            connection.close()


DRAFT_WEEK = datetime.date(2024, 5, 6)


def make_draft_issue() -> None:
    """The issue an editor is preparing (unpublished), with one note to save."""
    from papernotes.models import Note, Paper, WeeklyIssue

    issue, _ = WeeklyIssue.objects.get_or_create(week_start=DRAFT_WEEK)
    paper, _ = Paper.objects.get_or_create(
        arxiv_id="2405.99999",
        defaults={
            "title": "Draft Paper",
            "pdf_url": "https://arxiv.org/pdf/2405.99999",
            "abs_url": "https://arxiv.org/abs/2405.99999",
        },
    )
    Note.objects.get_or_create(issue=issue, paper=paper, defaults={"position": 1})


def under_editing(args, work: Path) -> None:
    """300 warm issue pages at 32 clients: idle, with a draft saved every second, with a
    published issue corrected every second."""
    from papernotes.models import WeeklyIssue

    weeks = WeeklyIssue.objects.filter(state="published").order_by("-week_start").values_list("week_start", flat=True)
    paths = [f"/issues/{week.isoformat()}/" for week in weeks[:WARM_ISSUES]]
    for path in paths:
        fetch(path)
    script = wrk_script(work, paths=paths)
    print(f"\n{len(paths)} warm issue pages, 32 clients, wrk {args.duration} s per run, medians of {args.rounds}:")
    print(f"{'':<40}{'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'saves':>6} | {'vs idle':>7}")
    idle_rps = None
    for label, editor in (
        ("idle", None),
        ("a draft saved every second", dict(interval=1.0, published=False)),
        ("a published issue corrected every second", dict(interval=1.0, published=True)),
    ):
        runs, saves = [], 0
        for _ in range(args.rounds):
            thread = Editor(**editor) if editor else None
            if thread:
                thread.start()
            runs.append(wrk("/", connections=32, duration=args.duration, script=script))
            if thread:
                thread.stop.set()
                thread.join()
                saves += thread.saves
        result = {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        idle_rps = idle_rps or result["rps"]
        print(
            f"  {label:<38}{result['rps']:>8.0f} {result['p50']:>7.2f} {result['p99']:>7.2f} {saves:>6}"
            f" | {result['rps'] / idle_rps:>7.2f}"
        )


def current_etag(path: str) -> str:
    """The page's ETag once it is settled (not the previous version served during a render)."""
    for _ in range(100):
        etag = headers_of(path)[1].get("ETag")
        if etag:
            return etag
        time.sleep(0.05)
    raise SystemExit(f"no ETag for {path}")


def correction_visibility(corrections: int = 10) -> None:
    """After each correction commits, revalidate at once with the old ETag: how many requests
    until the new ETag is served (1: the first request after the commit)."""
    from django.db import transaction

    from papernotes.models import QuestionAnswer

    qa = QuestionAnswer.objects.filter(note__issue__week_start=datetime.date(2024, 4, 29)).order_by("id").first()
    needed, delays = [], []
    for number in range(corrections):
        old = {name: current_etag(path) for name, path in REVALIDATIONS.items()}
        with transaction.atomic():
            qa.answer = f"訂正された回答です({number})."
            qa.save()
        committed = time.perf_counter()
        for name, path in REVALIDATIONS.items():
            for attempt in range(1, 1001):
                status, headers = headers_of(path, **{"If-None-Match": old[name]})
                # (a response without an ETag is the previous version, served while another
                # request renders the new one)
                if status == 200 and headers.get("ETag") not in (None, old[name]):
                    needed.append(attempt)
                    delays.append((time.perf_counter() - committed) * 1000)
                    break
    print(
        f"\ncorrection visibility ({corrections} corrections, page and API each): requests after the commit "
        f"until the new ETag: max {max(needed)}, all {sorted(set(needed))}; "
        f"time to the new ETag: median {statistics.median(delays):.1f} ms, max {max(delays):.1f} ms"
    )


def build_archive(args) -> None:
    archive.build_archive(args.database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--database", default="papernotes_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="page/static run triples per row (medians)")
    parser.add_argument("--search-runs", type=int, default=30)
    parser.add_argument("--skip-build", action="store_true", help="reuse the archive of a previous run")
    parser.add_argument("--skip-search", action="store_true", help="leave out the in-process search figures")
    parser.add_argument(
        "--search-only", action="store_true", help="measure only the in-process search (no gunicorn, no wrk)"
    )
    args = parser.parse_args()
    if not args.search_only:
        for tool in ("wrk", "nginx"):
            if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
                raise SystemExit(f"{tool} is not installed (apt-get install {tool})")

    static_root = Path(tempfile.mkdtemp(prefix="papernotes-bench-static-"))
    work = Path(tempfile.mkdtemp(prefix="papernotes-bench-work-"))
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
    make_draft_issue()
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
    # nginx's workers run as nobody: let them read the files (mkdtemp makes the folder private).
    for folder in (static_root, static_root / "bench"):
        folder.chmod(0o755)
    nginx, nginx_folder = start_nginx(static_root, args.workers)
    try:
        print(
            f"\ngunicorn {args.workers} workers x {args.threads} threads, PostgreSQL, Redis cache; "
            f"READER_STAMP_TTL={os.environ.get('READER_STAMP_TTL', 'default')}; "
            f"wrk {args.duration} s per run, medians of {args.rounds} page/WhiteNoise/nginx triples; "
            f"static = the same bytes; nginx {args.workers} workers; load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'':<17}{'bytes':>8} {'first':>8} | {'c':>3} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" | {'WhiteNoise':>9} {'nginx':>9} | {'/WN':>5} {'/ngx':>5}"
        )
        rows = [(name, path, None, number) for number, (name, path) in enumerate(PAGES.items())]
        rows += [(name, path, current_etag(path), None) for name, path in REVALIDATIONS.items()]
        for name, path, etag, number in rows:
            static_path = f"/static/bench/page{number}.html" if number is not None else None
            size = len(fetch(path)) if etag is None else 0
            if static_path:
                nginx_path = f"/bench/page{number}.html"
                assert len(fetch(static_path)) == size
                with urllib.request.urlopen(f"http://127.0.0.1:{NGINX_PORT}{nginx_path}") as served:
                    assert len(served.read()) == size
            else:
                # A 304 against the smallest static answer: a 304 of the same file from each server.
                static_path, nginx_path = "/static/bench/page0.html", "/bench/page0.html"
            page_script = wrk_script(work, headers={"If-None-Match": etag}) if etag else None
            for connections in (1, 32):
                wrk(path, connections=connections, duration=1, script=page_script)  # warm
                runs = []
                for _ in range(args.rounds):
                    # Alternate the three, so load from elsewhere on the machine hits all.
                    page = wrk(path, connections=connections, duration=args.duration, script=page_script)
                    if etag:
                        white_etag = headers_of(static_path)[1].get("ETag") or headers_of(static_path)[1].get(
                            "Last-Modified"
                        )
                        white_script = wrk_script(work, headers={"If-None-Match": white_etag})
                        nginx_etag = urllib.request.urlopen(f"http://127.0.0.1:{NGINX_PORT}{nginx_path}").headers[
                            "ETag"
                        ]
                        nginx_script = wrk_script(work, headers={"If-None-Match": nginx_etag})
                    else:
                        white_script = nginx_script = None
                    white = wrk(static_path, connections=connections, duration=args.duration, script=white_script)
                    ngx = wrk(
                        nginx_path,
                        connections=connections,
                        duration=args.duration,
                        port=NGINX_PORT,
                        script=nginx_script,
                    )
                    runs.append((page, white, ngx))
                print_row(name, size, cold.get(name) if etag is None else None, connections, runs)
        under_editing(args, work)
        correction_visibility()
        keys = redis.Redis.from_url(args.redis).dbsize()
        print(f"\nRedis cache keys after the run: {keys}; load average {os.getloadavg()[0]:.1f}")
    finally:
        stop_server(server)
        stop_server(nginx)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(nginx_folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    if not args.skip_search:
        search_latency(args.search_runs)


if __name__ == "__main__":
    main()
