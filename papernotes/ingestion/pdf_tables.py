"""Tables on a PDF page, found by their horizontal rules, read row by row.

Left among the body lines, a table reads as prose made of numbers ("392k 363k 108k
Pre-OpenAI SOTA 80.6/80.1 …"): its cells are split between the page's columns and glued to
the paragraphs around it. :mod:`.pdf_text` takes the tables found here out of the line
stream first and gives each a passage of its own: the caption, then one row per line with
its cells separated by " | ".

A table is found from the page's vector paths, as LaTeX draws it: booktabs' \\toprule,
\\midrule and \\bottomrule (or a grid's \\hline) are thin horizontal rules of one width, one
above the other. Two or more such rules with rows between them make a table, unless what lies
between them is prose (a framed box, a page's header and footer rules) or the rules belong to
a chart (grid lines inside its frame) or an algorithm box. The caption is the "Table N" line
(and the lines of its paragraph) just above the top rule or just below the bottom one.

Lines are duck-typed, as in :mod:`.pdf_noise`: anything with ``x0 y0 x1 y1 baseline text``.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from papernotes.ingestion.pdf_noise import Box, L

# A path this thin (points) and at least this wide is a rule.
_RULE_THICKNESS = 1.5
_MIN_RULE_WIDTH = 40.0
# Rules of one table start and end within this of each other (points).
_RULE_ALIGN = 3.0
# A row that is one piece across this share of the table's width is a line of prose.
_PROSE_ROW_SHARE = 0.85
# A chart's frame: a path at least this big that holds grid lines, which are no table rules.
_FRAME_WIDTH, _FRAME_HEIGHT = 40.0, 30.0
# The caption's nearest line is at most this many line heights from the table's rules.
_CAPTION_REACH = 2.5
_MAX_CAPTION_LINES = 12
# Pieces of a row closer than this (in line heights) are one cell; closer than the smaller
# one, a subscript or superscript glued to its word ("BERT" "BASE").
_CELL_GAP, _GLUED_GAP = 0.6, 0.15

_TABLE_CAPTION_RE = re.compile(r"^(?:table|tab\.)\s*(?:[A-Z]?\d{1,3}|[IVXL]{1,6})\s*(?:[:.|—–-]|$)", re.IGNORECASE)
# Captions of other floats: they end a table's run of rules, and an algorithm's ruled box
# ("Algorithm 1: …" between its first two rules) is no table.
_OTHER_CAPTION_RE = re.compile(r"^(?:fig\.?|figure)\s*[A-Z]?\d", re.IGNORECASE)
_ALGORITHM_CAPTION_RE = re.compile(r"^(?:algorithm|listing|procedure)\s*[A-Z]?\d", re.IGNORECASE)
_CAPTION_START_RE = re.compile(
    rf"{_TABLE_CAPTION_RE.pattern}|{_OTHER_CAPTION_RE.pattern}|{_ALGORITHM_CAPTION_RE.pattern}", re.IGNORECASE
)


@dataclass
class Table:
    """A table found on a page: its box (rules and caption), caption and row lines."""

    box: Box
    caption: list[int]  # indexes of the caption's lines, top to bottom
    rows: list[str]  # each row's cells joined by " | ", top to bottom
    members: set[int] = field(default_factory=set)  # every line index taken (rows and caption)


def find_tables(lines: Sequence[L], paths: Sequence[Box]) -> list[Table]:
    """The tables on a page, top to bottom, with the indexes of the lines they take."""
    rules = _rules(paths)
    if len(rules) < 2:
        return []  # most pages: no table, and no more work
    tables: list[Table] = []
    taken: set[int] = set()
    # Widest runs of rules first: a table's partial \cmidrule under a header is inside it.
    for x0, x1, ys in sorted(_rule_runs(rules), key=lambda run: run[0] - run[1]):
        for top, bottom in _tables_between(lines, x0, x1, ys):
            box = (x0, top, x1, bottom)
            if any(_overlaps(box, table.box) for table in tables):
                continue
            table = _table(lines, box, taken)
            if table is not None:
                tables.append(table)
                taken |= table.members
    return sorted(tables, key=lambda table: table.box[1])


def paths_outside(paths: Sequence[Box], tables: Sequence[Table]) -> list[Box]:
    """``paths`` but for those of the tables: a grid table's rules would read as a chart."""
    boxes = [(x0 - 2, y0 - 2, x1 + 2, y1 + 2) for x0, y0, x1, y1 in (table.box for table in tables)]
    return [path for path in paths if not any(_inside(path, box) for box in boxes)]


# --- rules --------------------------------------------------------------------------------


def _rules(paths: Sequence[Box]) -> list[Box]:
    """Thin horizontal rules, but for the grid lines of charts (inside a path's frame)."""
    rules = [path for path in paths if path[3] - path[1] <= _RULE_THICKNESS and path[2] - path[0] >= _MIN_RULE_WIDTH]
    if len(rules) < 2:
        return rules
    frames = [path for path in paths if path[2] - path[0] >= _FRAME_WIDTH and path[3] - path[1] >= _FRAME_HEIGHT]
    if frames:
        # Strictly inside: a shaded table row is a frame whose edges are the rules themselves.
        rules = [rule for rule in rules if not any(_strictly_inside(rule, frame) for frame in frames)]
    return rules


def _rule_runs(rules: list[Box]) -> list[tuple[float, float, list[float]]]:
    """Rules of one width and place across the page: (x0, x1, their ys top to bottom)."""
    runs: list[tuple[float, float, list[float]]] = []
    for x0, y0, x1, y1 in sorted(rules, key=lambda rule: rule[1]):
        for run_x0, run_x1, ys in runs:
            if abs(x0 - run_x0) <= _RULE_ALIGN and abs(x1 - run_x1) <= _RULE_ALIGN:
                if y0 - ys[-1] > _RULE_THICKNESS:  # a rule drawn twice is one rule
                    ys.append((y0 + y1) / 2)
                break
        else:
            runs.append((x0, x1, [(y0 + y1) / 2]))
    return [run for run in runs if len(run[2]) >= 2]


def _tables_between(lines: Sequence[L], x0: float, x1: float, ys: list[float]) -> list[tuple[float, float]]:
    """(top, bottom) of each stretch of consecutive rules with table rows between them.

    A stretch ends at a gap holding prose or another float's caption (the rules above and
    below belong to two different tables, or to no table at all); a run of rules holding an
    algorithm's caption is an algorithm box.
    """
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for top, bottom in pairwise(ys):
        inside = [line for line in lines if _within(line, x0, x1, top, bottom)]
        # A caption may be wider than the table over or under it: it only has to be over it.
        captions = [
            line
            for line in lines
            if top < (line.y0 + line.y1) / 2 < bottom and _over(line, x0, x1) and _CAPTION_START_RE.match(line.text)
        ]
        if any(_ALGORITHM_CAPTION_RE.match(line.text) for line in captions):
            return []
        tabular = not captions and not _is_prose(inside, x1 - x0)
        if tabular:
            start = top if start is None else start
            end = bottom
        elif start is not None:
            spans.append((start, end))
            start = None
    if start is not None:
        spans.append((start, end))
    return spans


def _is_prose(lines: list[L], width: float) -> bool:
    """Whether most rows between two rules are single pieces across the table: a paragraph."""
    rows = _rows(lines)
    if not rows:
        return False
    full = sum(1 for row in rows if len(row) == 1 and row[0].x1 - row[0].x0 >= _PROSE_ROW_SHARE * width)
    return full * 2 > len(rows)


# --- one table ----------------------------------------------------------------------------


def _table(lines: Sequence[L], box: Box, taken: set[int]) -> Table | None:
    x0, top, x1, bottom = box
    members = [index for index, line in enumerate(lines) if index not in taken and _within(line, x0, x1, top, bottom)]
    pieces = [lines[index] for index in members]
    rows = _rows(pieces)
    cells = [_cells(row, pieces, len(rows)) for row in rows]
    caption = _caption_above(lines, box, taken) or _caption_below(lines, box, taken)
    # Rules around rows that are not split into cells are an underlined heading or a boxed
    # note, not a table, unless a caption says otherwise.
    if len(rows) < 2 or (not caption and sum(1 for row in cells if len(row) >= 2) < 2):
        return None
    if caption:
        top = min(top, min(lines[index].y0 for index in caption))
        bottom = max(bottom, max(lines[index].y1 for index in caption))
    return Table((x0, top, x1, bottom), caption, [" | ".join(row) for row in cells], {*members, *caption})


def _rows(lines: list[L]) -> list[list[L]]:
    """Lines grouped into rows, top to bottom, each left to right.

    A piece joins a row when their middles are within each other's height, so a superscript
    mark ("†") or a subscript set on a baseline of its own stays in its row.
    """
    rows: list[list[L]] = []
    row_top = row_bottom = 0.0
    for line in sorted(lines, key=lambda line: line.baseline):
        middle = (line.y0 + line.y1) / 2
        if rows and (row_top <= middle <= row_bottom or line.y0 <= (row_top + row_bottom) / 2 <= line.y1):
            rows[-1].append(line)
            row_top, row_bottom = min(row_top, line.y0), max(row_bottom, line.y1)
        else:
            rows.append([line])
            row_top, row_bottom = line.y0, line.y1
    return [sorted(row, key=lambda line: line.x0) for row in rows]


def _cells(row: list[L], pieces: list[L], row_count: int) -> list[str]:
    """A row's cells: its pieces, joined where the gap between two is inside a column.

    A wide gap is between columns when somewhere in it (almost) no piece of any row crosses:
    the words of a justified cell ("May   increase   or   decrease") are as far apart as two
    columns can be, but the cell's other lines cover their gaps; between a left-aligned
    column and a right-aligned one the longest names cover only part of the gap.
    """
    cells = [row[0].text]
    previous = row[0]
    crossing_limit = row_count // 5
    for line in row[1:]:
        height = max(previous.y1 - previous.y0, line.y1 - line.y0)
        gap = line.x0 - previous.x1
        if gap < _GLUED_GAP * height:
            cells[-1] += line.text
        elif gap < _CELL_GAP * height or _least_crossed(previous.x1, line.x0, pieces) > crossing_limit:
            cells[-1] += " " + line.text
        else:
            cells.append(line.text)
        previous = line
    return cells


def _least_crossed(left: float, right: float, pieces: list[L]) -> int:
    """The fewest pieces over any point between ``left`` and ``right``."""
    events = []
    for piece in pieces:
        if piece.x0 < right and piece.x1 > left:
            events.append((max(piece.x0, left), 1))
            events.append((min(piece.x1, right), -1))
    if not events:
        return 0
    events.sort()
    # A point left of the first piece, or between two, may be crossed by none.
    least = 0 if events[0][0] > left else len(pieces)
    depth = 0
    for position, (x, step) in enumerate(events):
        depth += step
        if position + 1 < len(events) and events[position + 1][0] > x and x < right:
            least = min(least, depth)
    if events[-1][0] < right:
        least = 0
    return least


def _caption_above(lines: Sequence[L], box: Box, taken: set[int]) -> list[int]:
    """The caption's lines when it is set over the table: from its "Table N" line down to the rule."""
    x0, top, x1, _bottom = box
    # Only touching the table's width: a caption wider than its table ends in a short line.
    near = sorted(
        (
            index
            for index, line in enumerate(lines)
            if index not in taken and line.y1 <= top + 1 and line.x0 < x1 and line.x1 > x0
        ),
        key=lambda index: -lines[index].y1,
    )
    block: list[int] = []
    edge = top
    for index in near[: 3 * _MAX_CAPTION_LINES]:
        line = lines[index]
        height = line.y1 - line.y0
        if line.y1 < edge - (_CAPTION_REACH if not block else 0.6) * height:
            break
        block.append(index)
        edge = min(edge, line.y0)
    block.sort(key=lambda index: (lines[index].y0, lines[index].x0))
    # The caption opens the block: a "Table 5." in the middle of it is a paragraph's line break.
    return block if block and _TABLE_CAPTION_RE.match(lines[block[0]].text) else []


def _caption_below(lines: Sequence[L], box: Box, taken: set[int]) -> list[int]:
    """The caption's lines when it is set under the table: its "Table N" line and the rest of
    its paragraph, down to the gap before the text goes on."""
    x0, _top, x1, bottom = box
    near = sorted(
        (
            index
            for index, line in enumerate(lines)
            if index not in taken and line.y0 >= bottom - 1 and _over(line, x0, x1)
        ),
        key=lambda index: (lines[index].y0, lines[index].x0),
    )
    if not near:
        return []
    first = lines[near[0]]
    if first.y0 > bottom + _CAPTION_REACH * (first.y1 - first.y0) or not _TABLE_CAPTION_RE.match(first.text):
        return []
    caption = [near[0]]
    edge = first.y1
    # The caption may be wider than its table: its lines are judged by its first one.
    left, right = min(x0, first.x0), max(x1, first.x1)
    below = sorted(
        (
            index
            for index, line in enumerate(lines)
            if index not in taken and line.y0 >= first.y1 - 1 and _over(line, left, right)
        ),
        key=lambda index: (lines[index].y0, lines[index].x0),
    )
    for index in below[: 3 * _MAX_CAPTION_LINES]:
        line = lines[index]
        if line.y0 > edge + 0.6 * (line.y1 - line.y0) or _TABLE_CAPTION_RE.match(line.text):
            break
        caption.append(index)
        edge = max(edge, line.y1)
    return caption


# --- geometry -----------------------------------------------------------------------------


def _within(line: L, x0: float, x1: float, top: float, bottom: float) -> bool:
    """Whether ``line`` lies between two rules, inside their width."""
    middle = (line.y0 + line.y1) / 2
    return top < middle < bottom and line.x0 >= x0 - _RULE_ALIGN and line.x1 <= x1 + _RULE_ALIGN


def _over(line: L, x0: float, x1: float) -> bool:
    """Whether most of ``line`` is within the table's width (a caption, not the next column)."""
    return min(line.x1, x1) - max(line.x0, x0) > 0.5 * (line.x1 - line.x0)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(path: Box, box: Box) -> bool:
    return box[0] <= path[0] and path[2] <= box[2] and box[1] <= path[1] and path[3] <= box[3]


def _strictly_inside(rule: Box, frame: Box) -> bool:
    return frame[0] - 1 <= rule[0] and rule[2] <= frame[2] + 1 and frame[1] + 1 < rule[1] and rule[3] < frame[3] - 1
