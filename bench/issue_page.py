"""Time to render the sample issue's page, against its plain-text export as the baseline.

Prints figures, not a verdict. Both go through the test client and the same selector;
the page adds templates and Markdown → sanitised HTML with phrase breaks for about 120
texts. The page cache is emptied before every request (rendering is what is measured;
bench/web.py measures the cached pages under gunicorn). A scratch SQLite database holds
the sample issue.

Usage: .venv/bin/python bench/issue_page.py [--requests 50]
"""

import argparse
import os
import statistics
import time

import scratch_django

scratch_django.setup(SECURE_SSL_REDIRECT="false")  # the test client speaks plain HTTP
REPO = scratch_django.REPO

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

from papernotes.caching import local_pages

SAMPLE = REPO / "sample_data" / "weekly-issue-2024-04-29.txt"


def timed(client: Client, url: str) -> float:
    cache.clear()
    local_pages._entries.clear()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    options = parser.parse_args()

    setup_test_environment()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("import_issue", str(SAMPLE), stdout=quiet)
    client = Client()
    page, text = "/issues/2024-04-29/", "/issues/2024-04-29.txt"
    timed(client, page), timed(client, text)  # warm-up

    page_times, text_times = [], []
    for _ in range(options.requests):  # interleaved, so drift hits both alike
        page_times.append(timed(client, page))
        text_times.append(timed(client, text))
    ratios = [p / t for p, t in zip(page_times, text_times, strict=True)]
    print(f"sample issue (10 papers, 100 Q&A), {options.requests} requests each, interleaved")
    print(f"  HTML page:       median {statistics.median(page_times) * 1000:.1f} ms")
    print(f"  text export:     median {statistics.median(text_times) * 1000:.1f} ms")
    print(f"  ratio page/text: median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
