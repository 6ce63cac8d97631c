"""Vector charts for generated test papers: what matplotlib puts into a paper's PDF, small.

A chart is paths (axes, grid lines, data lines, markers, bars, legend samples) plus real text
for every label: tick numbers, axis titles, legend entries, bar values, a rotated y-axis
title. Extraction meets these labels right next to body text, which is the point.

:func:`line_chart` and :func:`bar_chart` return a :class:`Chart` placed in the given box;
``measure(text, size, bold)`` gives a label's width so labels can be centred and
right-aligned as plotting libraries do.
"""

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure

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


# --- charts drawn by matplotlib ---------------------------------------------------------------
#
# What a paper's figures really are: matplotlib's own PDF of a plot, included as a whole (as
# LaTeX's \includegraphics does: a form XObject), with its text real text in its own fonts,
# tick marks and spines as paths, a heatmap as an image, rotated tick labels, legends inside,
# above or outside the axes, value labels and annotations beside points.

MATPLOTLIB_KINDS = ("lines", "heatmap", "bars", "scatter")


@dataclass(frozen=True)
class EmbeddedChart:
    """A chart drawn by matplotlib, to be placed in ``box`` as a whole PDF page."""

    box: tuple[float, float, float, float]
    pdf: bytes
    texts: tuple[str, ...]  # every label a text extractor can read (not the rotated ones)
    strokes: tuple = ()
    labels: tuple = ()


def matplotlib_chart(kind: str, x: float, y: float, width: float, height: float, *, seed: int = 0) -> EmbeddedChart:
    """A matplotlib figure of ``kind`` (one of MATPLOTLIB_KINDS), ``width`` x ``height`` points."""

    matplotlib.rcParams["pdf.fonttype"] = 42  # TrueType, as conferences ask for
    rng = random.Random(seed)
    figure = Figure(figsize=(width / 72, height / 72))
    texts: list[str] = []
    if kind == "lines":
        # Transparent background, x tick labels rotated, the legend outside the axes.
        axes = figure.add_subplot()
        steps = [0, 20, 40, 60, 80, 100]
        for name in ("Llama-2 7B", "Mistral 7B"):
            axes.plot(steps, [rng.uniform(0.2, 0.9) for _ in steps], marker="o", label=name)
        axes.set_xticks(steps, [f"{s}k" for s in steps], rotation=45)
        axes.set_xlabel("Training steps")
        axes.set_ylabel("Reward accuracy")
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=6, frameon=False)
        figure.patch.set_alpha(0.0)
        texts += ["Training steps", "Llama-2 7B", "Mistral 7B"]
    elif kind == "heatmap":
        axes = figure.add_subplot()
        names = ["GPT-4", "Claude", "Gemini"]
        layers = ["L0", "L8", "L16", "L24"]
        image = axes.imshow([[rng.random() for _ in layers] for _ in names], aspect="auto")
        axes.set_xticks(range(len(layers)), layers)
        axes.set_yticks(range(len(names)), names)
        figure.colorbar(image, ax=axes)
        axes.set_title("Attention to the first token")
        texts += [*names, *layers, "Attention to the first token"]
    elif kind == "bars":
        # Two panels side by side with one legend above them, values printed on the bars.
        left, right = figure.subplots(1, 2)
        models = ["Base", "SFT", "DPO"]
        for panel, title in ((left, "MT-Bench"), (right, "AlpacaEval")):
            values = [round(rng.uniform(40, 90), 1) for _ in models]
            bars = panel.bar(models, values, color=["#1f77b4", "#ff7f0e", "#2ca02c"], label=models)
            panel.bar_label(bars, fmt="%.1f", fontsize=6)
            panel.set_title(title, fontsize=8)
            texts += [title, *(f"{v:.1f}" for v in values)]
        figure.legend(handles=list(bars), labels=models, loc="upper center", ncol=3, fontsize=6, frameon=False)
        texts += models
    elif kind == "scatter":
        axes = figure.add_subplot()
        points = {"GPT-4": (1800, 86.4), "Llama-2 70B": (70, 68.9), "Mistral 7B": (7, 60.1)}
        for name, (size, score) in points.items():
            axes.scatter([size], [score])
            axes.annotate(name, (size, score), textcoords="offset points", xytext=(4, 4), fontsize=6)
        axes.set_xscale("log")
        axes.set_xlabel("Parameters (B)")
        axes.set_ylabel("MMLU (%)")
        texts += [*points, "Parameters (B)"]
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    for axes in figure.axes:
        axes.tick_params(labelsize=6)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", transparent=kind == "lines")
    return EmbeddedChart((x, y, x + width, y + height), buffer.getvalue(), tuple(texts))
