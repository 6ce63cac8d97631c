"""PDF text extraction: our pipeline against a bare PyMuPDF loop, and what it leaves in the body.

Prints figures, not a verdict. Needs no Django settings.

Timing. Generated two-column papers (40 pages by default, from ``tests/support/pdfgen.py``):
a plain one, and a review copy with margin line numbers, charts, a contents page and a
heading with a formula. Each is read in two ways, interleaved round by round so that machine
noise falls on both alike:

* pipeline: ``extract_pdf`` (reading order, ligatures, hyphenation, headers and footers, line
  numbers, chart labels, contents pages, headings, references, passages);
* bare: ``pymupdf.open`` and ``page.get_text()`` for every page, the least any extractor does;

with the medians of wall time and of CPU time (``process_time``, which other processes on
a shared machine disturb less), and the ratio pipeline / bare of each.

Quality. For each kind of generated paper: how many body passages (what drafting quotes)
hold a run of three or more bare numbers ("0.8 0.6 0.4 0.2", the debris of chart ticks and
line numbers; the goal is none), whether the references were found, whether the section
names are exactly the paper's, how many passages hold figure text, and how many are tables.
Table passages are body text but are counted apart, not as debris: their rows are numbers on
purpose (one row per line, cells split by " | "), so "body" and "with number runs" are about
the prose passages only.

Usage: .venv/bin/python bench/extraction.py [--pages 40] [--rounds 7]
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pymupdf

from papernotes.ingestion.pdf_text import extract_pdf
from tests.support.pdfgen import GeneratedPaper, generate_paper

TITLE = "Kolmogorov-Arnold Networks for Efficient Representation Learning"
NUMBER_RUN_RE = re.compile(r"(?:(?<!\S)[-−]?\d+(?:[.,]\d+)?%?(?:\s+|$)){3,}")
EVERYTHING = {"with_figures": True, "line_numbers": "lines", "with_contents": True, "math_heading": True}
KINDS = {
    "plain": {},
    "charts": {"with_figures": True},
    "review copy, ruler numbers": {"line_numbers": "ruler"},
    "review copy, lineno numbers": {"line_numbers": "lines"},
    "contents page": {"with_contents": True},
    "heading with a formula": {"math_heading": True},
    "tables (booktabs)": {"with_tables": True},
    "tables (grid)": {"with_tables": "grid"},
    "all of them": EVERYTHING,
}


def bare(data: bytes) -> int:
    """Open and read every page's plain text; returns the characters read."""
    characters = 0
    with pymupdf.open(stream=data, filetype="pdf") as document:
        for page in document:
            characters += len(page.get_text())
    return characters


def pipeline(data: bytes) -> int:
    document = extract_pdf(data, max_pages=500, time_limit=600.0)
    return sum(len(passage.text) for passage in document.passages)


def timed(function, data: bytes) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function(data)
    return time.perf_counter() - wall, time.process_time() - cpu


def time_paper(paper: GeneratedPaper, rounds: int) -> dict[str, list[tuple[float, float]]]:
    data = paper.pdf
    bare(data), pipeline(data)  # one untimed pass each: imports, fonts and caches are not measured
    times: dict[str, list[tuple[float, float]]] = {"bare": [], "pipeline": []}
    for round_number in range(rounds):
        # Alternate which goes first so neither always runs on a warmer cache.
        order = ("pipeline", "bare") if round_number % 2 else ("bare", "pipeline")
        for name in order:
            times[name].append(timed(bare if name == "bare" else pipeline, data))
    return times


def print_timing(label: str, paper: GeneratedPaper, rounds: int) -> None:
    times = time_paper(paper, rounds)
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}
    print(f"{label}: {paper.page_count} pages, {len(paper.pdf) / 1024:.0f} KiB, {rounds} rounds interleaved")
    for name in ("bare", "pipeline"):
        print(f"  {name:8s} median wall {wall[name] * 1000:7.1f} ms   CPU {cpu[name] * 1000:7.1f} ms")
    print(f"  ratio pipeline/bare: wall {wall['pipeline'] / wall['bare']:.2f}, CPU {cpu['pipeline'] / cpu['bare']:.2f}")


def print_quality(pages: int) -> None:
    print(f"\nbody passages on generated papers ({pages} pages each, seed 0):")
    columns = ("prose", "with number runs", "references", "sections", "figure", "tables")
    print(
        f"  {'paper':28s} {columns[0]:>5s} {columns[1]:>17s} {columns[2]:>10s} {columns[3]:>8s} {columns[4]:>6s}"
        f" {columns[5]:>6s}"
    )
    for label, options in KINDS.items():
        paper = generate_paper(title=TITLE, pages=pages, **options)
        document = extract_pdf(paper.pdf, max_pages=500, time_limit=600.0)
        body = [passage for passage in document.body if not passage.is_table]
        runs = sum(1 for passage in body if NUMBER_RUN_RE.search(passage.text))
        share = f"{runs} ({runs / len(body):.0%})" if body else "-"
        references = "found" if any(p.is_reference for p in document.passages) else "MISSING"
        sections = "exact" if document.sections == paper.sections else "differ"
        figures = len(document.figure_text)
        tables = f"{len(document.tables)}/{len(paper.tables)}"
        print(f"  {label:28s} {len(body):5d} {share:>17s} {references:>10s} {sections:>8s} {figures:6d} {tables:>6s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quality-pages", type=int, default=6)
    options = parser.parse_args()

    plain = generate_paper(title=TITLE, pages=options.pages)
    print_timing("plain paper", plain, options.rounds)
    review = generate_paper(title=TITLE, pages=options.pages, **EVERYTHING)
    print_timing("review copy with charts, contents, formula heading", review, options.rounds)
    print_quality(options.quality_pages)


if __name__ == "__main__":
    main()
