"""Search on the ten-year archive with five times longer texts, on PostgreSQL.

Builds (unless ``--skip-build``) 520 issues × 10 notes × 10 Q&A in a scratch database with
the 概要 and answers five times as long as the sample issue's (about 3,100 and 950
characters) and Latin names among them, then measures in-process, per query class, the search as the page runs
it (``search_public_notes``) against a baseline in the same run: a plain ``ILIKE`` scan of
the same texts (what a search without indexes costs). Also times a rebuild of the search
indexes and one save of a 20,000-character 概要.

Usage: .venv/bin/python bench/search.py [--database papernotes_bench_search] [--runs 20] [--skip-build]
Needs PostgreSQL at 127.0.0.1:5432 (user postgres); never run by the tests.
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import archive

# The sample issue's mean 概要 (625 characters) and answer (187) are about 3.5 times the
# generated ones of bench/web.py (6 and 2 sentences of about 28 characters).
SAMPLE_TO_GENERATED = 3.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="papernotes_bench_search")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--length", type=float, default=5, help="the texts' length as a multiple of the sample issue's (mean)"
    )
    parser.add_argument("--skip-build", action="store_true", help="reuse the archive of a previous run")
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
    else:
        started = time.perf_counter()
        archive.build_archive(args.database, text_scale=args.length * SAMPLE_TO_GENERATED, names=True)
        print(f"built in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
