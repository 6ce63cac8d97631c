"""Text on a PDF page that is not body text a reader would quote, found by its place on the page.

:mod:`.pdf_text` reads lines; this module tells which of them to set aside before paragraphs
and headings are built:

- **margin line numbers** of review copies (ICLR, NeurIPS, CVPR…: ``000 001 002`` down one or
  both margins): a column of bare numbers, counting up at a steady step, where no other text
  is. Left in, they split the words they sit between ("trans-010 formation") and glue onto
  headings ("References 312");
- **figure text**: the tick numbers, legends, axis titles and value labels of charts.
  A chart is found from its paths (PyMuPDF collects them with the text, as "vector" blocks),
  its images (a heatmap) and its rotated text (a y-axis title, slanted tick labels), which
  the reading drops but which mark the figure's extent: nearby marks are merged into
  regions, a region big enough in both directions is a figure, and small drawings a little
  apart from it (a legend's samples outside the axes, markers) join it. Label-like lines
  inside a figure or a few points from it (repeatedly, so an axis title below the tick
  numbers comes too) are its text. Captions ("Figure 3: …") and sentence-like lines (prose
  in a framed box) stay body text;
- **contents pages**: a "Contents" title over entries ending in page numbers, or a page of
  dotted-leader lines. Their entries are dropped, and a dotted-leader line is never a heading.

Lines are duck-typed: anything with ``x0 y0 x1 y1 text`` (and ``baseline`` for line numbers).
"""

import re
from collections import Counter
from collections.abc import Sequence
from operator import attrgetter, sub
from typing import Protocol, TypeVar

# Paths closer than this (points) belong to one drawing.
_PATH_GAP = 3.0
# A drawing smaller than this in either direction is a rule, a fraction bar or an underline.
_MIN_FIGURE_WIDTH, _MIN_FIGURE_HEIGHT = 40.0, 30.0
# A drawing covering most of the page is a background, not a figure.
_MAX_FIGURE_SHARE = 0.6
# Label lines are taken up to this far (points) from a figure or its labels already taken.
_LABEL_REACH = 8.0
# Small drawings (legend samples, markers) this close to a figure are part of it.
_ATTACH_GAP = 12.0
_MIN_LINE_NUMBERS = 5
# Up to this many paths on a page, drawings are merged by comparing paths pairwise.
_PAIRWISE_BOXES = 100

_CAPTION_RE = re.compile(r"^(?:fig\.?|figure|table|tab\.|algorithm|listing)\s*[A-Z]?\d", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[A-Za-z)\]][.!?]$")
_LEADERS_RE = re.compile(r"(?:\.\s*){4,}(?:\d{1,4}|[ivxlc]{1,6})$|…\s*(?:\d{1,4}|[ivxlc]{1,6})$", re.IGNORECASE)
_CONTENTS_TITLE_RE = re.compile(r"^(?:table\s+of\s+)?contents$", re.IGNORECASE)
# An entry: an optional section number, a title, then the page number (after leaders or a gap).
_CONTENTS_ENTRY_RE = re.compile(
    r"^(?:(?:\d{1,2}(?:\.\d{1,2}){0,3}|[A-Z](?:\.\d{1,2}){0,3})\.?\s+)?[A-Za-z].{0,150}?\s(?:\d{1,4}|[ivxlc]{1,6})$"
)
_MIN_CONTENTS_ENTRIES = 3


class LineLike(Protocol):
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float
    text: str


L = TypeVar("L", bound=LineLike)
Box = tuple[float, float, float, float]
_TEXT, _X0, _X1, _BASELINE = attrgetter("text"), attrgetter("x0"), attrgetter("x1"), attrgetter("baseline")


# --- margin line numbers ----------------------------------------------------------------------


def line_number_columns(lines: Sequence[L]) -> set[int]:
    """Indexes (into ``lines``) of a page's margin line numbers."""
    # str.isdecimal() is exactly what \d matches (Unicode category Nd), without a regex call
    # for each of the page's lines.
    numbers = [index for index, text in enumerate(map(_TEXT, lines)) if text.isdecimal() and len(text) <= 4]
    if len(numbers) < _MIN_LINE_NUMBERS:
        return set()
    # Coordinates read once into lists, so that sorting and scanning run without Python calls.
    x0s, x1s = list(map(_X0, lines)), list(map(_X1, lines))
    found: set[int] = set()
    for column in _columns_by_x(x0s, x1s, numbers):
        if len(column) >= _MIN_LINE_NUMBERS and _counts_up(lines, column) and _alone_in_its_band(x0s, x1s, column):
            found.update(column)
    return found


def _columns_by_x(x0s: list[float], x1s: list[float], indexes: list[int]) -> list[list[int]]:
    """Group numbers that overlap horizontally: one column whether they are set flush left
    ("9" over "10") or flush right."""
    columns: list[list[int]] = []
    column: list[int] = []
    right = float("-inf")
    for index in sorted(indexes, key=x0s.__getitem__):
        x1 = x1s[index]
        if column and x0s[index] < right:
            column.append(index)
            if x1 > right:  # max(), inlined
                right = x1
        else:
            column = [index]
            columns.append(column)
            right = x1
    return columns


def _counts_up(lines: Sequence[L], column: list[int]) -> bool:
    """Top to bottom the numbers rise by one steady step (1, or 5 when every fifth is printed)."""
    values = list(map(int, map(_TEXT, sorted([lines[i] for i in column], key=_BASELINE))))
    steps = Counter(map(sub, values[1:], values))
    step, count = steps.most_common(1)[0]
    return step in (1, 5, 10) and count >= 0.8 * (len(values) - 1)


def _alone_in_its_band(x0s: list[float], x1s: list[float], column: list[int]) -> bool:
    """No other text shares the column's horizontal band: it is a margin (or a gutter)."""
    left = min(map(x0s.__getitem__, column)) + 0.5
    right = max(map(x1s.__getitem__, column)) - 0.5
    in_band = [index for index, (x0, x1) in enumerate(zip(x0s, x1s, strict=True)) if x0 < right and x1 > left]
    return set(column).issuperset(in_band)


# --- figure text ------------------------------------------------------------------------------


def figure_text_groups(
    lines: Sequence[L], paths: Sequence[Box], page_width: float, page_height: float, *, marks: Sequence[Box] = ()
) -> list[list[int]]:
    """For each figure on the page, the indexes of its text lines, top to bottom.

    ``marks`` are where a figure shows besides its paths: its images and rotated text.
    """
    if not paths and not marks:
        return []
    regions = _figure_regions([*paths, *marks], page_width * page_height)
    taken: set[int] = set()
    groups = []
    for region in regions:
        members = _labels_of(lines, region, taken)
        if members:
            taken.update(members)
            groups.append(sorted(members, key=lambda i: (lines[i].y0, lines[i].x0)))
    return groups


def _figure_regions(paths: Sequence[Box], page_area: float) -> list[Box]:
    # Backgrounds go before merging, so they do not glue every drawing together, and after,
    # so that a page frame drawn as four rules is no figure either.
    boxes = [box for box in paths if _area(box) < _MAX_FIGURE_SHARE * page_area]
    clusters = _merge_boxes(boxes)
    figures = [box for box in clusters if _figure_sized(box, page_area)]
    small = [box for box in clusters if not _figure_sized(box, page_area)]
    # A legend's samples and a scatter's markers sit apart from the axes: they join the
    # figure they are next to, and so bring their labels within reach.
    grown = True
    while grown and small:
        grown = False
        for box in list(small):
            for index, figure in enumerate(figures):
                if _near(figure, box, _ATTACH_GAP):
                    figures[index] = _union(figure, box)
                    small.remove(box)
                    grown = True
                    break
    return [box for box in figures if _area(box) < _MAX_FIGURE_SHARE * page_area]


def _figure_sized(box: Box, page_area: float) -> bool:
    return (
        box[2] - box[0] >= _MIN_FIGURE_WIDTH
        and box[3] - box[1] >= _MIN_FIGURE_HEIGHT
        and _area(box) < _MAX_FIGURE_SHARE * page_area
    )


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _merge_boxes(boxes: Sequence[Box]) -> list[Box]:
    """Unions of boxes that touch or lie within about _PATH_GAP of each other.

    Boxes are near when they share a cell of a coarse grid, once grown by half the gap; those
    that are connected that way make one drawing, whose box is the union of its own boxes
    (not of the cells).
    """
    cell = _PATH_GAP * 2
    cells = [
        (
            int((x0 - _PATH_GAP / 2) // cell),
            int((x1 + _PATH_GAP / 2) // cell),
            int((y0 - _PATH_GAP / 2) // cell),
            int((y1 + _PATH_GAP / 2) // cell),
        )
        for x0, y0, x1, y1 in boxes
    ]
    parent = list(range(len(boxes)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    if len(boxes) <= _PAIRWISE_BOXES:
        # Few boxes: compare their ranges of cells pairwise, rather than mark every cell of
        # a chart's frame.
        for index, (left, right, top, bottom) in enumerate(cells):
            if left > right or top > bottom:
                continue  # covers no cell
            for other in range(index):
                other_left, other_right, other_top, other_bottom = cells[other]
                if (
                    other_left <= right
                    and left <= other_right
                    and other_top <= bottom
                    and top <= other_bottom
                    and other_left <= other_right
                    and other_top <= other_bottom
                ):
                    parent[root(other)] = root(index)
    else:
        # A chart can have thousands of paths (a scatter plot's markers): each box marks
        # the cells it covers, and meets the boxes that marked them before.
        owner: dict[tuple[int, int], int] = {}
        for index, (left, right, top, bottom) in enumerate(cells):
            for column in range(left, right + 1):
                for row in range(top, bottom + 1):
                    other = owner.setdefault((column, row), index)
                    if other != index:
                        parent[root(other)] = root(index)
    merged: dict[int, Box] = {}
    for index, box in enumerate(boxes):
        key = root(index)
        merged[key] = _union(merged[key], box) if key in merged else tuple(box)
    return list(merged.values())


def _labels_of(lines: Sequence[L], region: Box, taken: set[int]) -> list[int]:
    """Label-like lines inside ``region``, then those within reach of what was taken, repeatedly."""
    nearby = _box_grown(region, 20 * _LABEL_REACH)
    candidates = [
        index
        for index, line in enumerate(lines)
        if index not in taken and _near(nearby, _box(line), 0) and _label_like(line.text)
    ]
    members: list[int] = []
    reach = region
    grown = True
    while grown:
        grown = False
        for index in candidates:
            if index not in members and _near(reach, _box(lines[index]), _LABEL_REACH):
                members.append(index)
                reach = _union(reach, _box(lines[index]))
                grown = True
    return members


def _label_like(text: str) -> bool:
    """A tick, legend, axis title or value, not a caption or a sentence."""
    if _CAPTION_RE.match(text):
        return False
    words = text.split()
    if _SENTENCE_END_RE.search(text) and len(words) >= 3:
        return False
    lower = sum(1 for word in words if word.isalpha() and word.islower())
    return not (len(words) >= 6 and lower * 2 >= len(words))


def _box(line: LineLike) -> Box:
    return (line.x0, line.y0, line.x1, line.y1)


def _near(a: Box, b: Box, gap: float) -> bool:
    return a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]


def _box_grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


# --- contents pages ---------------------------------------------------------------------------


def has_leaders(text: str) -> bool:
    """A contents line: dotted leaders then a page number ("2.1 Setup . . . . . 4")."""
    # Most lines have no run of dots at all; the test is cheap, the expression is not.
    return (". ." in text or "...." in text or "…" in text) and bool(_LEADERS_RE.search(text))


def contents_rows(rows: Sequence[L]) -> set[int]:
    """Indexes of a page's contents title and entries, if the page is a contents page.

    ``rows`` are the page's lines with each row merged ("1 Introduction" and its page number
    "3" far right read as one line).
    """
    titles = [index for index, row in enumerate(rows) if _CONTENTS_TITLE_RE.match(row.text)]
    leaders = [index for index, row in enumerate(rows) if has_leaders(row.text)]
    if not titles and len(leaders) < 2 * _MIN_CONTENTS_ENTRIES:
        return set()
    entries = {index for index, row in enumerate(rows) if _CONTENTS_ENTRY_RE.match(row.text)}
    entries.update(leaders)
    if len(entries) < _MIN_CONTENTS_ENTRIES:
        return set()
    return {*titles, *entries}
