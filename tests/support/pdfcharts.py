"""Vector charts for generated test papers: what matplotlib puts into a paper's PDF, small.

A chart is paths (axes, grid lines, data lines, markers, bars, legend samples) plus real text
for every label: tick numbers, axis titles, legend entries, bar values, a rotated y-axis
title. Extraction meets these labels right next to body text, which is the point.

:func:`line_chart` and :func:`bar_chart` return a :class:`Chart` placed in the given box;
``measure(text, size, bold)`` gives a label's width so labels can be centred and
right-aligned as plotting libraries do.
"""

from collections.abc import Callable
from dataclasses import dataclass

Point = tuple[float, float]
Measure = Callable[[str, float, bool], float]

TICK_SIZE = 7.0
TITLE_SIZE = 8.0
_GREY = (0.8, 0.8, 0.8)
_BLACK = (0.0, 0.0, 0.0)
_SERIES_COLOURS = ((0.12, 0.47, 0.71), (1.0, 0.5, 0.05), (0.17, 0.63, 0.17))


@dataclass(frozen=True)
class Stroke:
    """A path: a polyline (closed for rectangles), stroked and/or filled."""

    points: tuple[Point, ...]
    width: float = 0.6
    color: tuple[float, float, float] | None = _BLACK
    fill: tuple[float, float, float] | None = None
    closed: bool = False


@dataclass(frozen=True)
class Label:
    """A text label whose left end sits at ``x`` on ``baseline``; ``rotated`` runs bottom to top."""

    text: str
    x: float
    baseline: float
    size: float = TICK_SIZE
    bold: bool = False
    rotated: bool = False


@dataclass(frozen=True)
class Chart:
    strokes: tuple[Stroke, ...]
    labels: tuple[Label, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """The labels a text extractor can read (rotated ones are dropped by ours)."""
        return tuple(label.text for label in self.labels if not label.rotated)


def _rect(x0: float, y0: float, x1: float, y1: float, **style) -> Stroke:
    return Stroke(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), closed=True, **style)


def _axes(
    box: tuple[float, float, float, float],
    measure: Measure,
    *,
    x_ticks: tuple[str, ...],
    y_ticks: tuple[str, ...],
    x_title: str,
    y_title: str,
) -> tuple[list[Stroke], list[Label]]:
    """Frame, grid and tick labels of a plot box, the titles of both axes."""
    x0, y0, x1, y1 = box
    strokes = [_rect(x0, y0, x1, y1)]
    labels = []
    for index, tick in enumerate(y_ticks):  # top to bottom
        y = y0 + (y1 - y0) * (index + 0.5) / len(y_ticks)
        strokes.append(Stroke(((x0, y), (x1, y)), width=0.3, color=_GREY))
        labels.append(Label(tick, x0 - 3 - measure(tick, TICK_SIZE, False), y + 2.4))
    for index, tick in enumerate(x_ticks):
        x = x0 + (x1 - x0) * (index + 0.5) / len(x_ticks)
        strokes.append(Stroke(((x, y1), (x, y1 + 2))))
        labels.append(Label(tick, x - measure(tick, TICK_SIZE, False) / 2, y1 + 9))
    labels.append(Label(x_title, (x0 + x1 - measure(x_title, TITLE_SIZE, False)) / 2, y1 + 19, TITLE_SIZE))
    middle = (y0 + y1) / 2 + measure(y_title, TITLE_SIZE, False) / 2
    labels.append(Label(y_title, x0 - 22, middle, TITLE_SIZE, rotated=True))
    return strokes, labels


def line_chart(x: float, y: float, width: float, height: float, measure: Measure) -> Chart:
    """Training curves: two series with markers, a legend whose entries are bold ("1 Layer")."""
    box = (x + 32, y + 4, x + width - 4, y + height - 26)
    strokes, labels = _axes(
        box,
        measure,
        x_ticks=("0", "20", "40", "60", "80", "100"),
        y_ticks=("0.8", "0.6", "0.4", "0.2"),
        x_title="Training Steps",
        y_title="Loss",
    )
    x0, y0, x1, y1 = box
    for series, (start, decay) in enumerate(((0.85, 0.55), (0.9, 0.35))):
        points = []
        for step in range(11):
            value = start * (1 - decay * step / 10)
            points.append((x0 + (x1 - x0) * step / 10, y1 - (y1 - y0) * value))
        colour = _SERIES_COLOURS[series]
        strokes.append(Stroke(tuple(points), width=1.0, color=colour))
        strokes.extend(_rect(px - 1.2, py - 1.2, px + 1.2, py + 1.2, color=None, fill=colour) for px, py in points)
    # The legend sits inside the plot, top right; bold entries look like numbered headings.
    legend_x = x1 - 52
    for row, entry in enumerate(("1 Layer", "2 Layers")):
        baseline = y0 + 10 + row * 9
        sample = ((legend_x, baseline - 2.4), (legend_x + 10, baseline - 2.4))
        strokes.append(Stroke(sample, color=_SERIES_COLOURS[row]))
        labels.append(Label(entry, legend_x + 13, baseline, TICK_SIZE, bold=True))
    return Chart(tuple(strokes), tuple(labels))


def bar_chart(x: float, y: float, width: float, height: float, measure: Measure) -> Chart:
    """Accuracy per model: bars with their values printed above them."""
    box = (x + 32, y + 14, x + width - 4, y + height - 26)
    models = ("Base-7B", "Base-70B", "Ours")
    values = (61.8, 71.2, 80.5)
    strokes, labels = _axes(
        box, measure, x_ticks=models, y_ticks=("80", "60", "40", "20"), x_title="Model", y_title="Accuracy (%)"
    )
    x0, y0, x1, y1 = box
    slot = (x1 - x0) / len(models)
    for index, value in enumerate(values):
        left = x0 + slot * index + slot * 0.25
        top = y1 - (y1 - y0) * value / 100
        strokes.append(_rect(left, top, left + slot * 0.5, y1, color=None, fill=_SERIES_COLOURS[index]))
        text = f"{value:.1f}"
        labels.append(Label(text, left + slot * 0.25 - measure(text, TICK_SIZE, False) / 2, top - 2))
    return Chart(tuple(strokes), tuple(labels))
