"""Search on the ten-year archive with five times longer texts, on PostgreSQL.

Builds (unless ``--skip-build``) 520 issues × 10 notes × 10 Q&A in a scratch database with
the 概要 and answers five times as long as the sample issue's (about 3,100 and 950
characters) and Latin names among them, then measures in-process, per query class, the search as the page runs
it (``search_public_notes``) against a baseline in the same run: a plain ``ILIKE`` scan of
the same texts (what a search without indexes costs). Also times a rebuild of the search
indexes and one save of a 20,000-character 概要.

Usage: .venv/bin/python bench/search.py [--database papernotes_bench_search] [--runs 10]
           [--skip-build] [--skip-rebuild]   (SEARCH_COUNT_LIMIT=200 … to try another count limit)
Needs PostgreSQL at 127.0.0.1:5432 (user postgres); never run by the tests.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import archive

# The sample issue's mean 概要 (625 characters) and answer (187) are about 3.5 times the
# generated ones of bench/web.py (6 and 2 sentences of about 28 characters).
SAMPLE_TO_GENERATED = 3.5


# Query classes as readers type them.
QUERIES = {
    "common 2-char": ["評価", "学習", "推論"],
    "3+ char Japanese": ["モデル", "強化学習", "エージェント評価", "プロンプト圧縮"],
    "Latin word": ["transformer", "LLM", "RLHF"],
    "name + number": ["GPT 4", "Llama 3", "Prometheus 2"],
    "two terms": ["トークン 推論", "幻覚 医療"],
    "no match": ["量子もつれ", "zyxwvu"],
    "no trigram": ["C++"],
}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _row(label: str, values: list[float], extra: str = "") -> str:
    return (
        f"  {label:<18} p50 {statistics.median(values):7.1f}  p95 {_percentile(values, 0.95):7.1f}  "
        f"p99 {_percentile(values, 0.99):7.1f} ms{extra}"
    )


def baseline(text: str) -> None:
    """A plain ILIKE scan of the texts readers see (no index can serve it): every term in the
    note's title, one-liner or 概要, or in one of its Q&A, newest first, 20 rows and a count."""
    from django.db import connection

    from papernotes.search.query import parse_query

    terms = parse_query(text).terms
    where, params = [], []
    for term in terms:
        likes = []
        for variant in term.variants:
            pattern = "%" + variant.replace("%", r"\%").replace("_", r"\_") + "%"
            likes.append(
                "(coalesce(n.paper_as_shown_data->>'title', '') || n.summary || n.abstract_ja) ILIKE %s "
                "OR EXISTS (SELECT 1 FROM papernotes_questionanswer q WHERE q.note_id = n.id "
                "AND (q.question || q.answer) ILIKE %s)"
            )
            params += [pattern, pattern]
        where.append("(" + " OR ".join(likes) + ")")
    sql = (
        "SELECT n.id, count(*) OVER () FROM papernotes_note n JOIN papernotes_weeklyissue i ON i.id = n.issue_id "
        "WHERE n.state = 'approved' AND i.state IN ('published', 'corrected') AND " + " AND ".join(where) + " "
        "ORDER BY i.week_start DESC, n.position LIMIT 20"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def measure(runs: int, baseline_runs: int) -> None:
    from django.conf import settings

    from papernotes.caching import public_version
    from papernotes.search.query import parse_query
    from papernotes.search.service import search_public_notes

    settings.SEARCH_CACHE_TIMEOUT = 0  # every search computed (the cache is not measured)
    version = public_version()
    print(
        f"\nsearch_public_notes (the page's search: ranking, notes and snippets), uncached, {runs} runs per query; "
        f"baseline: plain ILIKE scan, {baseline_runs} runs; SEARCH_COUNT_LIMIT={settings.SEARCH_COUNT_LIMIT}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    every = []
    for label, texts in QUERIES.items():
        ours, theirs, totals = [], [], []
        for text in texts:
            query = parse_query(text)
            totals.append(search_public_notes(query, limit=20, version=version).total)
            for _ in range(runs):
                started = time.perf_counter()
                search_public_notes(query, limit=20, version=version)
                ours.append((time.perf_counter() - started) * 1000)
            for _ in range(baseline_runs):
                started = time.perf_counter()
                baseline(text)
                theirs.append((time.perf_counter() - started) * 1000)
        every += ours
        print(f"{label} ({', '.join(texts)}: {', '.join(str(t) for t in totals)} notes)")
        print(_row("search", ours))
        print(_row("ILIKE baseline", theirs))
    print(_row("all queries", every))


def rebuild_and_save() -> None:
    """Rebuild times of the search indexes, the bigram function old against new, and a save
    of a 20,000-character 概要."""
    from django.db import connection

    from papernotes.models import Note
    from papernotes.search.backends import postgresql

    old = (
        "CREATE OR REPLACE FUNCTION bench_old_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT AS $$ "
        "SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}') "
        "FROM generate_series(1, char_length(t) - 1) AS i $$"
    )
    with connection.cursor() as cursor:
        cursor.execute(old)
        print("\nbigram function, one text of n characters: quadratic (before) against linear (now)")
        for length in (1_000, 22_000, 44_000):
            timings = []
            for function in ("bench_old_bigrams", "search_bigrams"):
                started = time.perf_counter()
                cursor.execute(
                    f"SELECT cardinality({function}(repeat('言語モデルの評価を行った.', %s)))", [length // 13]
                )
                timings.append((time.perf_counter() - started) * 1000)
            print(f"  {length:>6,} characters: before {timings[0]:8.1f} ms   now {timings[1]:7.1f} ms")
        started = time.perf_counter()
        cursor.execute("SELECT cardinality(search_bigrams(repeat('言語モデルの評価を行った.', 19230)))")
        print(f"  250,000 characters: now {(time.perf_counter() - started) * 1000:.1f} ms")
        cursor.execute("DROP FUNCTION bench_old_bigrams(text)")
        print("\nrebuild of every search index on the archive (REINDEX), one after the other:")
        total = 0.0
        for name in (*postgresql.INDEXES, *postgresql.BIGRAM_INDEXES):
            started = time.perf_counter()
            cursor.execute(f'REINDEX INDEX "{name}"')
            seconds = time.perf_counter() - started
            total += seconds
            print(f"  {name:<30} {seconds:6.1f} s")
        print(f"  {'all':<30} {total:6.1f} s")
    note = Note.objects.order_by("id").first()
    note.abstract_ja = ("言語モデルの評価を行った." * 1540)[:20_000]
    started = time.perf_counter()
    note.save()
    print(f"\nsaving a note with a 20,000-character 概要 (the cap): {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="papernotes_bench_search")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline-runs", type=int, default=2)
    parser.add_argument(
        "--length", type=float, default=5, help="the texts' length as a multiple of the sample issue's (mean)"
    )
    parser.add_argument("--skip-build", action="store_true", help="reuse the archive of a previous run")
    parser.add_argument("--skip-rebuild", action="store_true", help="do not time index rebuilds")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="papernotes.settings",
        SECRET_KEY="bench-only-" + "x" * 50,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    if args.skip_build:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        started = time.perf_counter()
        archive.build_archive(args.database, text_scale=args.length * SAMPLE_TO_GENERATED, names=True)
        print(f"built in {time.perf_counter() - started:.0f} s")
    measure(args.runs, args.baseline_runs)
    if not args.skip_rebuild:
        rebuild_and_save()


if __name__ == "__main__":
    main()
