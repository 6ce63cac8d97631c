"""PDF text extraction: our pipeline against a bare PyMuPDF loop over the same bytes.

Prints figures, not a verdict. One generated two-column paper (40 pages by default, from
``tests/support/pdfgen.py``) is timed in two ways, interleaved round by round so that
machine noise falls on both alike:

* pipeline: ``extract_pdf`` (reading order, ligatures, hyphenation, headers and footers,
  headings, references, passages);
* bare: ``pymupdf.open`` and ``page.get_text()`` for every page, the least any extractor does;

and the ratio of the medians, pipeline / bare, from the same run.

Needs no Django settings. Usage: .venv/bin/python bench/extraction.py [--pages 40] [--rounds 7]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pymupdf

from papernotes.ingestion.pdf_text import extract_pdf
from tests.support.pdfgen import generate_paper

TITLE = "Kolmogorov-Arnold Networks for Efficient Representation Learning"


def bare(data: bytes) -> int:
    """Open and read every page's plain text; returns the characters read."""
    characters = 0
    with pymupdf.open(stream=data, filetype="pdf") as document:
        for page in document:
            characters += len(page.get_text())
    return characters


def pipeline(data: bytes, pages: int) -> int:
    document = extract_pdf(data, max_pages=pages, time_limit=600.0)
    return sum(len(passage.text) for passage in document.passages)


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()

    paper = generate_paper(title=TITLE, pages=options.pages)
    data = paper.pdf
    # One untimed pass each: imports, font loading and caches are not what we measure.
    bare_chars, pipeline_chars = bare(data), pipeline(data, options.pages)

    bare_times: list[float] = []
    pipeline_times: list[float] = []
    for round_number in range(options.rounds):
        # Alternate which goes first so neither always runs on a warmer cache.
        if round_number % 2:
            pipeline_times.append(timed(pipeline, data, options.pages))
            bare_times.append(timed(bare, data))
        else:
            bare_times.append(timed(bare, data))
            pipeline_times.append(timed(pipeline, data, options.pages))

    bare_median = statistics.median(bare_times)
    pipeline_median = statistics.median(pipeline_times)
    print(f"document: {paper.page_count} pages, two columns, {len(data) / 1024:.0f} KiB")
    print(f"rounds:   {options.rounds} (interleaved)")
    print(f"bare:     median {bare_median * 1000:7.1f} ms  ({bare_chars} characters of plain text)")
    print(f"pipeline: median {pipeline_median * 1000:7.1f} ms  ({pipeline_chars} characters in passages)")
    print(f"per page: bare {bare_median / paper.page_count * 1000:.2f} ms, "
          f"pipeline {pipeline_median / paper.page_count * 1000:.2f} ms")  # fmt: skip
    print(f"ratio pipeline/bare: {pipeline_median / bare_median:.2f}")


if __name__ == "__main__":
    main()
