"""Realistic test PDFs, generated with PyMuPDF: nothing is downloaded or checked in.

:func:`generate_paper` lays out a two-column paper the way LaTeX does (title, authors and
abstract across the page, numbered bold headings, justified paragraphs with first-line
indents, words hyphenated at line ends, ﬁ/ﬂ/ﬀ/ﬃ/ﬄ ligature glyphs, a running header and a
page number on every page, references at the end) and returns the PDF together with what a
correct extraction must find: each paragraph starts with a unique marker (``PM0001`` …,
references ``RF0001`` …, figure captions ``FG0001`` …) so tests can assert reading order, and the expected plain text of
every paragraph.

The page content is written in a deliberately wrong order (right column before left, the
page furniture in between) so that the stream order PyMuPDF's plain ``get_text()`` follows
is not the reading order, as in many real papers.

Options add what real papers add and extraction must see through:

- ``with_figures``: a vector line chart in a column and, at the top of a later page, two
  charts across both columns (``pdfcharts``), each with a caption paragraph; every label
  drawn is listed in ``GeneratedPaper.figure_labels``;
- ``line_numbers``: a review copy. ``"ruler"`` (or True) numbers both margins (000, 001, …)
  at the text's pitch but not on its baselines, as ICLR's style does; ``"lines"`` numbers
  each printed line on its own baseline, in the outer margin of its column, as the
  ``lineno`` package does for NeurIPS, ICML or ACL submissions;
- ``with_contents``: a contents page after the first, with dotted leaders and page numbers;
- ``with_tables``: two tables set as LaTeX's booktabs sets them (rules above, under the header
  and below; no vertical rules), or with ``"grid"`` ruled both ways (a rule under every row,
  one between every two columns): one in a column, captioned above, that interrupts a
  paragraph (its lines go on under the table), and one across both columns at the top of a
  later page, captioned below. They are listed in ``GeneratedPaper.tables``;
- ``math_heading``: a subsection heading set in body-size bold with an italic math symbol and
  a smaller subscript (``2.1 Scaling with N_params``), as ``\textbf{… $N_{params}$}`` prints.

Everything is deterministic for a given set of arguments (``seed`` picks the wording).
"""

import random
import re
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate

import pymupdf

from tests.support import pdfcharts

PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US Letter, like most arXiv papers
MARGIN_X = 54.0
BODY_TOP, BODY_BOTTOM = 72.0, 720.0
GUTTER = 18.0
BODY_SIZE, BODY_LEADING = 10.0, 12.0
PARAGRAPH_GAP = 3.0
INDENT = 10.0
HEADING_SIZE, SUBHEADING_SIZE = 12.0, 11.0
REFERENCE_SIZE, REFERENCE_LEADING = 9.0, 11.0
CAPTION_SIZE, CAPTION_LEADING = 9.0, 11.0
HEADER_BASELINE, FOOTER_BASELINE = 44.0, 756.0

LIGATURES = (("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02"))

_SUBJECTS = (
    "our method", "the proposed architecture", "this representation", "the efficient baseline",
    "a different classifier", "the retrieval module", "the transformer encoder", "each workflow",
    "the offline evaluation", "the final model", "a sufficient condition", "the affine projection",
)  # fmt: skip
_VERBS = (
    "improves", "reflects", "influences", "stabilizes", "outperforms", "simplifies", "regularizes",
    "shuffles", "accelerates", "generalizes", "fine-tunes", "calibrates",
)  # fmt: skip
_OBJECTS = (
    "the generalization of long-context models", "state-of-the-art benchmarks",
    "the coefficient of interpretability", "an end-to-end optimization", "multimodal hallucination",
    "the probability distribution of tokens", "difficult demonstrations", "flexible supervision",
    "computational convergence", "in-context preference learning", "the mixture-of-experts layer",
    "chain-of-thought inference", "the official tokenization", "a baffling regularization effect",
    "the contrastive representation", "the field of reinforcement learning",
)  # fmt: skip
_CONNECTIVES = (
    "in practice", "across all settings", "without additional supervision", "for the first time",
    "under a fixed computational budget", "on every benchmark we consider",
    "with a finite number of demonstrations",
)  # fmt: skip
_SECTION_NAMES = (
    "Introduction", "Related Work", "Method", "Experiments", "Results", "Analysis",
    "Ablation Studies", "Scaling Behaviour", "Efficiency", "Robustness", "Discussion",
    "Limitations", "Conclusion",
)  # fmt: skip
_SUBSECTION_NAMES = ("Setup", "Training Details", "Evaluation Protocol", "Baselines", "Main Findings")
_AUTHORS = ("Aiko Tanaka", "Ben Carter", "Chiara Rossi", "Daniel Okafor", "Emi Suzuki", "Felix Wagner")
_VENUES = ("NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "CVPR", "arXiv preprint")


@dataclass(frozen=True)
class GeneratedParagraph:
    """One paragraph as a correct extraction renders it: ligatures expanded, no hyphens added."""

    section: str
    marker: str
    text: str
    is_reference: bool = False


@dataclass(frozen=True)
class GeneratedTable:
    """A table as a correct extraction renders it: the caption, then one line per row."""

    caption: str
    rows: tuple[tuple[str, ...], ...]  # the header row first

    @property
    def text(self) -> str:
        return "\n".join([self.caption, *(" | ".join(row) for row in self.rows)])


_COLUMN_TABLE = (
    ("Model", "Calls", "Unanimity"),
    ("Claude Haiku 4.5", "300", "87.3%"),
    ("GPT-5.4", "300", "84.3%"),
    ("Gemini 3.5 Flash", "300", "86.3%"),
    ("Llama 3.1 8B", "300", "99.7%"),
)
_WIDE_TABLE = (
    ("System", "MNLI-(m/mm)", "QQP", "QNLI", "SST-2", "Average"),
    ("Pre-OpenAI SOTA", "80.6/80.1", "66.1", "82.3", "93.2", "74.0"),
    ("BiLSTM+ELMo+Attn", "76.4/76.1", "64.8", "79.8", "90.4", "71.0"),
    ("OpenAI GPT", "82.1/81.4", "70.3", "87.4", "91.3", "75.1"),
    ("BERT Large", "86.7/85.9", "72.1", "92.7", "94.9", "82.1"),
)


@dataclass(frozen=True)
class GeneratedPaper:
    pdf: bytes
    title: str
    short_title: str
    page_count: int
    sections: tuple[str, ...]
    paragraphs: tuple[GeneratedParagraph, ...]  # in reading order, abstract first
    hyphenated_words: tuple[str, ...]  # whole words the layout broke across two lines
    figure_labels: tuple[str, ...] = ()  # every readable label drawn inside a chart
    contents_page: int | None = None  # page number of the contents page, if any
    tables: tuple[GeneratedTable, ...] = ()  # in reading order
    interrupted_marker: str | None = None  # the paragraph a table cuts in two

    @property
    def markers(self) -> tuple[str, ...]:
        return tuple(p.marker for p in self.paragraphs)

    @property
    def body_markers(self) -> tuple[str, ...]:
        return tuple(p.marker for p in self.paragraphs if not p.is_reference)

    @property
    def reference_markers(self) -> tuple[str, ...]:
        return tuple(p.marker for p in self.paragraphs if p.is_reference)


MARKER_RE = re.compile(r"\b(?:PM|RF|FG)\d{4}\b")


def markers_in(text: str) -> list[str]:
    """The paragraph markers in ``text``, in order of appearance."""
    return MARKER_RE.findall(text)


def make_paper_pdf(
    *,
    title: str,
    pages: int = 3,
    two_columns: bool = True,
    with_header_footer: bool = True,
    with_hyphenation: bool = True,
    with_ligatures: bool = True,
    with_references: bool = True,
    seed: int = 0,
) -> bytes:
    """The PDF bytes of :func:`generate_paper` with the same arguments."""
    return generate_paper(
        title=title,
        pages=pages,
        two_columns=two_columns,
        with_header_footer=with_header_footer,
        with_hyphenation=with_hyphenation,
        with_ligatures=with_ligatures,
        with_references=with_references,
        seed=seed,
    ).pdf


def generate_paper(
    *,
    title: str,
    pages: int = 3,
    two_columns: bool = True,
    with_header_footer: bool = True,
    with_hyphenation: bool = True,
    with_ligatures: bool = True,
    with_references: bool = True,
    with_figures: bool | str = False,
    line_numbers: bool | str = False,
    with_contents: bool = False,
    math_heading: bool = False,
    with_tables: bool | str = False,
    seed: int = 0,
) -> GeneratedPaper:
    """Lay out a paper of exactly ``pages`` pages (one more with ``with_contents``) and return
    it with its expected content. ``with_figures="matplotlib"``: the figures are matplotlib's
    own PDFs (a heatmap image among them), included whole."""
    if pages < 1:
        raise ValueError("pages must be at least 1")
    if with_figures and pages < 3:
        raise ValueError("figures need at least 3 pages")
    drawn_by = "matplotlib" if with_figures == "matplotlib" else ""
    fonts = _Fonts()
    layout = _Layout(fonts, pages, two_columns, with_hyphenation, with_ligatures)
    text = _TextSource(random.Random(seed))
    short_title = " ".join(title.split()[:4])
    if with_tables and pages < 3:
        raise ValueError("tables need at least 3 pages")
    grid = with_tables == "grid"
    tables: list[GeneratedTable] = []
    interrupted: str | None = None

    abstract = text.paragraph("PM0001")
    layout.front_matter(title, text.authors(), abstract)
    paragraphs = [GeneratedParagraph("Abstract", "PM0001", abstract)]
    sections = ["Abstract"]
    reserve = layout.back_matter_height(with_references)
    counter = 2
    for number in range(1, 1000):
        heading = f"{number} {_SECTION_NAMES[(number - 1) % len(_SECTION_NAMES)]}"
        body = [text.paragraph(f"PM{counter + i:04d}") for i in range(text.rng.randint(3, 5))]
        # Near the end of the page budget a section shrinks, and stops when nothing fits.
        while body and not layout.fits_section(body, reserve):
            body.pop()
        if not body:
            break
        if with_tables and number == 3:
            # A table* across both columns at the top of a page of its own, captioned below.
            caption = "Table 2: GLUE test results of every system, scored by the evaluation server."
            layout.table(caption, _WIDE_TABLE, wide=True, caption_above=False, grid=grid)
            tables.append(GeneratedTable(caption, _WIDE_TABLE))
        if with_figures and number == 3:
            # A figure* across both columns, at the top of a page of its own (so that no
            # paragraph runs around it), captioned in the section before.
            _figure(layout, text, paragraphs, sections[-1], number=2, wide=True, drawn_by=drawn_by, seed=seed)
        sections.append(heading)
        layout.heading(heading, HEADING_SIZE)
        for index, paragraph in enumerate(body):
            if index == 2 and number % 2 == 0:
                if math_heading and number == 2:
                    subheading = f"{number}.1 Scaling with Nparams"
                    layout.math_heading(f"{number}.1 Scaling with".split(), "N", "params")
                else:
                    subheading = f"{number}.1 {_SUBSECTION_NAMES[number % len(_SUBSECTION_NAMES)]}"
                    layout.heading(subheading, SUBHEADING_SIZE)
                sections.append(subheading)
            if with_tables and number == 1 and index == 2:
                # A table set "here" in the column, captioned above, cutting this paragraph
                # after its second line.
                caption = "Table 1: Repeated-call self-consistency of each judge model."
                layout.paragraph(
                    paragraph,
                    after_line=1,
                    insert=partial(layout.table, caption, _COLUMN_TABLE, wide=False, caption_above=True, grid=grid),
                )
                tables.append(GeneratedTable(caption, _COLUMN_TABLE))
                interrupted = f"PM{counter:04d}"
            else:
                layout.paragraph(paragraph)
            paragraphs.append(GeneratedParagraph(sections[-1], f"PM{counter:04d}", paragraph))
            counter += 1
            if with_figures and number == 1 and index == 1:
                _figure(layout, text, paragraphs, sections[-1], number=1, wide=False, drawn_by=drawn_by, seed=seed)
            if with_figures == "matplotlib" and number == 4 and index == 1:
                # A second chart in a column, beside the other column's paragraphs.
                _figure(layout, text, paragraphs, sections[-1], number=3, wide=False, drawn_by=drawn_by, seed=seed + 1)

    thanks = text.paragraph(f"PM{counter:04d}")
    sections.append("Acknowledgments")
    layout.heading("Acknowledgments", HEADING_SIZE)
    layout.paragraph(thanks)
    paragraphs.append(GeneratedParagraph("Acknowledgments", f"PM{counter:04d}", thanks))
    if with_references:
        sections.append("References")
        layout.heading("References", HEADING_SIZE)
        for number in range(1, _REFERENCE_COUNT + 1):
            entry = text.reference(number, f"RF{number:04d}")
            layout.reference(entry)
            paragraphs.append(GeneratedParagraph("References", f"RF{number:04d}", entry, is_reference=True))

    if with_contents:
        layout.contents_page(after=1)
    pdf = layout.render(short_title if with_header_footer else None, line_numbers=line_numbers)
    return GeneratedPaper(
        pdf=pdf,
        title=title,
        short_title=short_title,
        page_count=layout.page_count,
        sections=tuple(sections),
        paragraphs=tuple(paragraphs),
        hyphenated_words=tuple(dict.fromkeys(layout.hyphenated)),
        figure_labels=tuple(text for chart in layout.all_charts() for text in chart.texts),
        contents_page=2 if with_contents else None,
        tables=tuple(tables),
        interrupted_marker=interrupted,
    )


def _figure(
    layout: "_Layout",
    text: "_TextSource",
    paragraphs: list,
    section: str,
    *,
    number: int,
    wide: bool,
    drawn_by: str = "",
    seed: int = 0,
) -> None:
    """Place figure ``number`` and its caption, a paragraph marked ``FG000n``."""
    marker = f"FG{number:04d}"
    caption = f"Figure {number}: " + text.paragraph(marker)
    layout.figure(caption, wide=wide, drawn_by=drawn_by, seed=seed)
    paragraphs.append(GeneratedParagraph(section, marker, caption))


_REFERENCE_COUNT = 10


# --- text --------------------------------------------------------------------------------


class _TextSource:
    """Deterministic ML-flavoured prose, rich in ligatures, long words and compounds."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self) -> str:
        pick = self.rng.choice
        words = f"{pick(_SUBJECTS)} {pick(_VERBS)} {pick(_OBJECTS)} {pick(_CONNECTIVES)}"
        return words[0].upper() + words[1:] + "."

    def paragraph(self, marker: str) -> str:
        sentences = [f"Marker {marker} opens this paragraph."]
        sentences.extend(self.sentence() for _ in range(self.rng.randint(4, 7)))
        return " ".join(sentences)

    def authors(self) -> str:
        return ", ".join(self.rng.sample(_AUTHORS, 3))

    def reference(self, number: int, marker: str) -> str:
        authors = " and ".join(self.rng.sample(_AUTHORS, 2))
        topic = self.rng.choice(_OBJECTS)
        venue = self.rng.choice(_VENUES)
        year = 2015 + (number * 7) % 10
        return f"[{number}] {authors}. {marker} On {topic}. In {venue}, {year}."


# --- layout ------------------------------------------------------------------------------


@dataclass
class _Fonts:
    regular: pymupdf.Font = field(default_factory=lambda: pymupdf.Font("tiro"))
    bold: pymupdf.Font = field(default_factory=lambda: pymupdf.Font("tibo"))
    italic: pymupdf.Font = field(default_factory=lambda: pymupdf.Font("tiit"))


@dataclass(frozen=True)
class _Word:
    x: float
    text: str


@dataclass(frozen=True)
class _Item:
    """One line of text placed on a page; ``zone`` decides the (scrambled) writing order."""

    zone: str  # "left", "right", "wide", "header", "footer"
    baseline: float
    words: tuple[_Word, ...]
    font: pymupdf.Font
    size: float


class _Layout:
    def __init__(self, fonts: _Fonts, pages: int, two_columns: bool, hyphenate: bool, ligatures: bool) -> None:
        self.fonts = fonts
        self.target_pages = pages
        self.two_columns = two_columns
        self.hyphenate = hyphenate
        self.ligatures = ligatures
        text_width = PAGE_WIDTH - 2 * MARGIN_X
        self.column_width = (text_width - GUTTER) / 2 if two_columns else text_width
        self.items: list[list[_Item]] = [[]]
        self.column = 0
        self.top = BODY_TOP
        self.y = BODY_TOP  # top of the next line box
        self.hyphenated: list[str] = []
        self._widths: dict[tuple[str, str, float], float] = {}
        self.charts: list[list[pdfcharts.Chart]] = [[]]
        self.headings: list[tuple[str, float, int]] = []  # (text, size, page index)

    @property
    def page_count(self) -> int:
        return len(self.items)

    # -- flowing content

    def front_matter(self, title: str, authors: str, abstract: str) -> None:
        width = PAGE_WIDTH - 2 * MARGIN_X
        y = 90.0
        for line in self._break_words(title.split(), 17.0, width, self.fonts.bold, allow_hyphens=False):
            y += 21.0
            self._centered(line, y, self.fonts.bold, 17.0)
        y += 22.0
        self._centered(authors.split(), y, self.fonts.regular, 11.0)
        y += 30.0
        self._centered(["Abstract"], y, self.fonts.bold, 11.0)
        y += 6.0
        abstract_x, abstract_width = MARGIN_X + 36.0, width - 72.0
        for line, last in self._lines(abstract, abstract_width, first_indent=0.0):
            y += BODY_LEADING
            self._place(line, "wide", abstract_x, y, abstract_width, last, self.fonts.regular, BODY_SIZE)
        self.top = self.y = y + 24.0

    def back_matter_height(self, with_references: bool) -> float:
        """Room kept free on the last page for the acknowledgements and references."""
        height = HEADING_SIZE * 2.2 + 12 * BODY_LEADING
        if with_references:
            height += HEADING_SIZE * 2 + _REFERENCE_COUNT * (3 * REFERENCE_LEADING + 2)
        return height

    def fits_section(self, body: list[str], reserve: float) -> bool:
        """Whether another section belongs before the back matter, given the page budget."""
        if self.page_count < self.target_pages:
            return True
        needed = HEADING_SIZE * 2 + sum(self._paragraph_height(p) for p in body) + reserve
        return needed <= self._room_left_on_page()

    def heading(self, text: str, size: float) -> None:
        # Keep the heading with at least three lines of its first paragraph.
        self._need(size * 2.2 + 3 * BODY_LEADING)
        baseline = self.y + size * 1.6
        self._place(text.split(), self._zone(), self._column_x(), baseline, None, True, self.fonts.bold, size)
        self.y = baseline + size * 0.6
        self.headings.append((text, size, len(self.items) - 1))

    def math_heading(self, words: list[str], symbol: str, subscript: str) -> None:
        """A body-size bold heading ending in an italic symbol with a smaller, lowered subscript."""
        size = BODY_SIZE
        self._need(size * 2.2 + 3 * BODY_LEADING)
        baseline = self.y + size * 1.6
        self._place(words, self._zone(), self._column_x(), baseline, None, True, self.fonts.bold, size)
        x = self._column_x() + self._width(self.fonts.bold, " ".join(words) + " ", size)
        self._place([symbol], self._zone(), x, baseline, None, True, self.fonts.italic, size)
        x += self._width(self.fonts.italic, symbol, size)
        self._place([subscript], self._zone(), x, baseline + 2.5, None, True, self.fonts.italic, size * 0.7)
        self.y = baseline + size * 0.6
        self.headings.append((" ".join(words) + f" {symbol}{subscript}", SUBHEADING_SIZE, len(self.items) - 1))

    def figure(self, caption: str, *, wide: bool, drawn_by: str = "", seed: int = 0) -> None:
        """A chart with its caption: in the current column, or across the page at the top of
        a new page. ``drawn_by="matplotlib"``: matplotlib's own PDFs, included whole."""
        if wide and self.two_columns:
            self._new_page()
            x, width, height = MARGIN_X, PAGE_WIDTH - 2 * MARGIN_X, 150.0
            half = (width - 30) / 2
            if drawn_by == "matplotlib":
                self.charts[-1].append(pdfcharts.matplotlib_chart("bars", x, self.y, half, height, seed=seed))
                self.charts[-1].append(
                    pdfcharts.matplotlib_chart("heatmap", x + half + 30, self.y, half, height, seed=seed)
                )
            else:
                self.charts[-1].append(pdfcharts.bar_chart(x, self.y, half, height, self._measure))
                self.charts[-1].append(pdfcharts.line_chart(x + half + 30, self.y, half, height, self._measure))
            zone, caption_x, caption_width = "wide", x, width
        else:
            height = 130.0
            self._need(height + 10 + 3 * BODY_LEADING)
            self.y += 10  # float separation, as \intextsep
            x, width = self._column_x(), self.column_width
            if drawn_by == "matplotlib":
                kind = "lines" if seed % 2 == 0 else "scatter"
                self.charts[-1].append(pdfcharts.matplotlib_chart(kind, x, self.y, width, height, seed=seed))
            else:
                self.charts[-1].append(pdfcharts.line_chart(x, self.y, width, height, self._measure))
            zone, caption_x, caption_width = self._zone(), x, width
        self.y += height + 4
        for line, last in self._lines(caption, caption_width, first_indent=0.0, size=CAPTION_SIZE):
            if zone != "wide":
                self._need(CAPTION_LEADING)
            self.y += CAPTION_LEADING
            self._place(line, zone, caption_x, self.y, caption_width, last, self.fonts.regular, CAPTION_SIZE)
        self.y += 14.0  # \textfloatsep before the text goes on
        if zone == "wide":
            self.top = self.y  # both columns start below the figure

    def contents_page(self, *, after: int) -> None:
        """Insert a contents page after page ``after``: headings, dotted leaders, page numbers."""
        index = after
        items: list[_Item] = []
        baseline = BODY_TOP + 20
        title = "Contents"
        items.append(_Item("wide", baseline, (_Word(MARGIN_X, title),), self.fonts.bold, 14.0))
        right = PAGE_WIDTH - MARGIN_X
        for text, size, page_index in self.headings:
            baseline += 14.0
            # As LaTeX's article class sets it: sections in bold with the page number far
            # right, subsections indented with dotted leaders.
            top_level = size >= HEADING_SIZE
            font = self.fonts.bold if top_level else self.fonts.regular
            x = MARGIN_X + (0.0 if top_level else 16.0)
            page_number = str(page_index + 1 + (1 if page_index >= index else 0))
            number_x = right - self._width(font, page_number, BODY_SIZE)
            words = [_Word(x, text)]
            if not top_level:
                start = x + self._width(font, text, BODY_SIZE) + 6
                dots = " ".join("." * max(4, int((number_x - 6 - start) / self._width(font, ". ", BODY_SIZE))))
                words.append(_Word(start, dots))
            words.append(_Word(number_x, page_number))
            items.append(_Item("wide", baseline, tuple(words), font, BODY_SIZE))
        self.items.insert(index, items)
        self.charts.insert(index, [])

    def all_charts(self) -> list[pdfcharts.Chart]:
        return [chart for page in self.charts for chart in page]

    def _measure(self, text: str, size: float, bold: bool) -> float:
        return self._width(self.fonts.bold if bold else self.fonts.regular, text, size)

    def paragraph(self, text: str, *, after_line: int | None = None, insert=None) -> None:
        """Place a paragraph; ``insert`` (a float set "here") is called after line ``after_line``."""
        for index, (line, last) in enumerate(self._lines(text, self.column_width, first_indent=INDENT)):
            self._need(BODY_LEADING)
            self.y += BODY_LEADING
            x = self._column_x() + (INDENT if index == 0 else 0.0)
            width = self._width_from(x)
            self._place(line, self._zone(), x, self.y, width, last, self.fonts.regular, BODY_SIZE)
            if index == after_line and insert is not None:
                insert()
        self.y += PARAGRAPH_GAP

    def table(
        self, caption: str, rows: tuple[tuple[str, ...], ...], *, wide: bool, caption_above: bool, grid: bool
    ) -> None:
        """A table as booktabs sets it (thick top and bottom rules, a thin one under the
        header), or ruled both ways with ``grid``: in the column, or across the page at the
        top of a new page. Cells are left-aligned in columns as wide as their longest text."""
        size, leading = 9.0, 12.0
        if wide and self.two_columns:
            self._new_page()
            x, width, zone = MARGIN_X, PAGE_WIDTH - 2 * MARGIN_X, "wide"
        else:
            x, width, zone = self._column_x(), self.column_width, self._zone()
        caption_lines = list(self._lines(caption, width, first_indent=0.0, size=CAPTION_SIZE))
        height = len(rows) * leading + 14 + len(caption_lines) * CAPTION_LEADING + 12
        if not wide:
            self._need(height + 24)
            self.y += 12  # \intextsep
        pad = 6.0  # \tabcolsep
        widths = [
            max(self._width(self.fonts.regular, row[c], size) for row in rows) + 2 * pad for c in range(len(rows[0]))
        ]
        table_width = sum(widths)
        left = x + (width - table_width) / 2
        starts = list(accumulate([left, *widths[:-1]]))

        def place_caption() -> None:
            for line, last in caption_lines:
                self.y += CAPTION_LEADING
                self._place(line, zone, x, self.y, width, last, self.fonts.regular, CAPTION_SIZE)

        if caption_above:
            place_caption()
            self.y += 6
        strokes = []

        def rule(y: float, thickness: float) -> pdfcharts.Stroke:
            return pdfcharts.Stroke(((left, y), (left + table_width, y)), width=thickness)

        top = self.y
        strokes.append(rule(self.y, 0.8))
        for index, row in enumerate(rows):
            self.y += leading
            words = tuple(_Word(start + pad, cell) for start, cell in zip(starts, row, strict=True))
            self.items[-1].append(_Item(zone, self.y, words, self.fonts.regular, size))
            if index == 0 or (grid and index < len(rows) - 1):
                strokes.append(rule(self.y + 3.5, 0.5))
        self.y += 3.5
        strokes.append(rule(self.y, 0.8))
        if grid:
            for boundary in accumulate(widths):
                strokes.append(pdfcharts.Stroke(((left + boundary, top), (left + boundary, self.y)), width=0.4))
            strokes.append(pdfcharts.Stroke(((left, top), (left, self.y)), width=0.4))
        self.charts[-1].append(pdfcharts.Chart(tuple(strokes), ()))
        if not caption_above:
            self.y += 4
            place_caption()
        self.y += 14.0 if wide else 8.0
        if wide and self.two_columns:
            self.top = self.y  # both columns start below the table

    def reference(self, text: str) -> None:
        # Hanging indent, as bibliography styles set it.
        lines = self._lines(text, self.column_width - INDENT, first_indent=0.0, size=REFERENCE_SIZE)
        for index, (line, last) in enumerate(lines):
            self._need(REFERENCE_LEADING)
            self.y += REFERENCE_LEADING
            x = self._column_x() + (0.0 if index == 0 else INDENT)
            width = self._width_from(x)
            self._place(line, self._zone(), x, self.y, width, last, self.fonts.regular, REFERENCE_SIZE)
        self.y += 2.0

    # -- geometry helpers

    def _zone(self) -> str:
        if not self.two_columns:
            return "wide"
        return "left" if self.column == 0 else "right"

    def _column_x(self) -> float:
        return MARGIN_X + self.column * (self.column_width + GUTTER)

    def _width_from(self, x: float) -> float:
        return self._column_x() + self.column_width - x

    def _need(self, height: float) -> None:
        if self.y + height <= BODY_BOTTOM:
            return
        if self.two_columns and self.column == 0:
            self.column = 1
            self.y = self.top
        else:
            self._new_page()

    def _new_page(self) -> None:
        self.items.append([])
        self.charts.append([])
        self.column = 0
        self.top = self.y = BODY_TOP

    def _room_left_on_page(self) -> float:
        room = BODY_BOTTOM - self.y
        if self.two_columns and self.column == 0:
            room += BODY_BOTTOM - self.top
        return room

    def _paragraph_height(self, text: str) -> float:
        lines = sum(1 for _ in self._lines(text, self.column_width, first_indent=INDENT, record=False))
        return lines * BODY_LEADING + PARAGRAPH_GAP

    # -- line breaking

    def _lines(
        self,
        text: str,
        width: float,
        *,
        first_indent: float,
        size: float = BODY_SIZE,
        record: bool = True,
    ):
        """Yield (words, is_last_line) for ``text`` broken into lines of ``width`` points."""
        words = text.split()
        lines = self._break_words(
            words, size, width, self.fonts.regular, allow_hyphens=self.hyphenate, first_indent=first_indent,
            record=record,
        )  # fmt: skip
        for index, line in enumerate(lines):
            yield line, index == len(lines) - 1

    def _break_words(
        self,
        words: list[str],
        size: float,
        width: float,
        font: pymupdf.Font,
        *,
        allow_hyphens: bool,
        first_indent: float = 0.0,
        record: bool = True,
    ) -> list[list[str]]:
        space = self._width(font, " ", size)
        lines: list[list[str]] = []
        current: list[str] = []
        used = 0.0
        available = width - first_indent
        pending = list(words)
        while pending:
            word = pending.pop(0)
            length = self._width(font, self._glyphs(word), size)
            gap = space if current else 0.0
            if used + gap + length <= available:
                current.append(word)
                used += gap + length
                continue
            split = self._hyphenate(word, available - used - gap, size, font) if allow_hyphens else None
            if split is not None and current:
                head, tail = split
                current.append(head)
                pending.insert(0, tail)
                if record:
                    self.hyphenated.append(word.strip(".,"))
            else:
                pending.insert(0, word)
                if not current:  # a single word wider than the line: place it anyway
                    current.append(pending.pop(0))
            lines.append(current)
            current, used, available = [], 0.0, width
        if current:
            lines.append(current)
        return lines

    def _hyphenate(self, word: str, room: float, size: float, font: pymupdf.Font) -> tuple[str, str] | None:
        """Split ``word`` so the head (with its hyphen) fits ``room``, as TeX would."""
        core = word.rstrip(".,")
        if core.count("-") >= 2:
            # A long compound breaks at one of its own hyphens, never inside a part.
            for index in range(len(core) - 1, 0, -1):
                if core[index] == "-" and self._width(font, self._glyphs(word[: index + 1]), size) <= room:
                    return word[: index + 1], word[index + 1 :]
            return None
        if "-" in core or not core.isalpha() or not core.islower() or len(core) < 7:
            return None
        for index in range(len(core) - 3, 2, -1):
            if self._width(font, self._glyphs(word[:index] + "-"), size) <= room:
                return word[:index] + "-", word[index:]
        return None

    def _width(self, font: pymupdf.Font, text: str, size: float) -> float:
        # Line breaking measures the same words over and over; MuPDF calls are the cost.
        key = (font.name, text, size)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = font.text_length(text, size)
        return width

    def _glyphs(self, text: str) -> str:
        if not self.ligatures:
            return text
        for letters, ligature in LIGATURES:
            text = text.replace(letters, ligature)
        return text

    # -- placing words

    def _place(
        self,
        words: list[str],
        zone: str,
        x: float,
        baseline: float,
        width: float | None,
        last: bool,
        font: pymupdf.Font,
        size: float,
    ) -> None:
        """Place one line; justified (LaTeX style) unless it is the paragraph's last line."""
        glyphs = [self._glyphs(word) if font is self.fonts.regular else word for word in words]
        lengths = [self._width(font, g, size) for g in glyphs]
        space = self._width(font, " ", size)
        gap = space
        if width is not None and not last and len(words) > 1:
            gap = max(space, (width - sum(lengths)) / (len(words) - 1))
        placed = []
        for glyph, length in zip(glyphs, lengths, strict=True):
            placed.append(_Word(x, glyph))
            x += length + gap
        self.items[-1].append(_Item(zone, baseline, tuple(placed), font, size))

    def _centered(self, words: list[str], baseline: float, font: pymupdf.Font, size: float) -> None:
        width = self._width(font, " ".join(words), size)
        self._place(words, "wide", (PAGE_WIDTH - width) / 2, baseline, None, True, font, size)

    # -- output

    def render(self, running_header: str | None, *, line_numbers: bool | str = False) -> bytes:
        doc = pymupdf.open()
        numbered = 0
        for number, (items, charts) in enumerate(zip(self.items, self.charts, strict=True), start=1):
            page = doc.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
            for chart in charts:
                self._draw(page, chart)
            furniture = self._furniture(number, running_header) if running_header else []
            if line_numbers == "lines":
                margin = self._numbers_on_lines(numbered, items)
            else:
                margin = self._line_numbers(numbered) if line_numbers else []
            numbered += len(margin)
            labels = [item for chart in charts for item in self._label_items(chart)]
            writer = pymupdf.TextWriter(page.rect)
            # Stream order is not reading order: right column first, page furniture and chart
            # labels in the middle, then the left column and the full-width lines last.
            order = {"right": 0, "footer": 1, "figure": 2, "margin": 3, "header": 4, "left": 5, "wide": 6}
            for item in sorted([*items, *furniture, *margin, *labels], key=lambda item: order[item.zone]):
                for word in item.words:
                    writer.append((word.x, item.baseline), word.text, font=item.font, fontsize=item.size)
            writer.write_text(page)
            self._rotated_labels(page, charts)
        doc.set_metadata({})
        return doc.tobytes(garbage=3, deflate=True, no_new_id=True)

    @staticmethod
    def _draw(page: pymupdf.Page, chart: pdfcharts.Chart) -> None:
        if isinstance(chart, pdfcharts.EmbeddedChart):
            with pymupdf.open(stream=chart.pdf, filetype="pdf") as source:
                page.show_pdf_page(pymupdf.Rect(chart.box), source, 0)
            return
        shape = page.new_shape()
        for stroke in chart.strokes:
            shape.draw_polyline(stroke.points)
            shape.finish(color=stroke.color, fill=stroke.fill, width=stroke.width, closePath=stroke.closed)
        shape.commit()

    def _label_items(self, chart: pdfcharts.Chart) -> list[_Item]:
        return [
            _Item("figure", label.baseline, (_Word(label.x, label.text),), self._label_font(label), label.size)
            for label in chart.labels
            if not label.rotated
        ]

    def _rotated_labels(self, page: pymupdf.Page, charts: list[pdfcharts.Chart]) -> None:
        for label in (label for chart in charts for label in chart.labels if label.rotated):
            writer = pymupdf.TextWriter(page.rect)
            writer.append((label.x, label.baseline), label.text, font=self._label_font(label), fontsize=label.size)
            writer.write_text(page, morph=(pymupdf.Point(label.x, label.baseline), pymupdf.Matrix(-90)))

    def _label_font(self, label: pdfcharts.Label) -> pymupdf.Font:
        return self.fonts.bold if label.bold else self.fonts.regular

    def _line_numbers(self, first: int) -> list[_Item]:
        """A review copy's margin numbers: both margins, at the text's pitch, between its baselines."""
        items = []
        sides = [MARGIN_X - 26.0, PAGE_WIDTH - MARGIN_X + 12.0]
        number = first
        for x in sides:
            baseline = BODY_TOP + BODY_LEADING / 2
            while baseline < BODY_BOTTOM:
                items.append(_Item("margin", baseline, (_Word(x, f"{number:03d}"),), self.fonts.regular, 7.0))
                number += 1
                baseline += BODY_LEADING
        return items

    def _numbers_on_lines(self, first: int, items: list[_Item]) -> list[_Item]:
        """lineno's numbers: one per printed line, on its baseline, in its column's outer margin."""
        numbers = []
        left, right = MARGIN_X - 20.0, PAGE_WIDTH - MARGIN_X + 8.0
        lines = sorted(items, key=lambda item: (item.zone == "right", item.baseline))
        for number, item in enumerate(lines, start=first):
            x = right if item.zone == "right" else left
            numbers.append(_Item("margin", item.baseline, (_Word(x, str(number)),), self.fonts.regular, 7.0))
        return numbers

    def _furniture(self, number: int, running_header: str) -> list[_Item]:
        footer = str(number)
        furniture = [self._centered_item("footer", footer, FOOTER_BASELINE, self.fonts.regular, 9.0)]
        if number > 1:
            header = self._centered_item("header", running_header, HEADER_BASELINE, self.fonts.italic, 9.0)
            furniture.append(header)
        return furniture

    @staticmethod
    def _centered_item(zone: str, text: str, baseline: float, font: pymupdf.Font, size: float) -> _Item:
        x = (PAGE_WIDTH - font.text_length(text, size)) / 2
        return _Item(zone, baseline, (_Word(x, text),), font, size)


# --- small pages for one behaviour each ----------------------------------------------------

# (words with their fonts, size, space above the line)
_PageLine = tuple[list[tuple[str, pymupdf.Font]], float, float]

_FILLER = (
    "Our method improves the generalization of long-context models across all settings and the proposed"
    " architecture stabilizes the offline evaluation under a fixed computational budget in practice."
)


def _single_column_page(lines: list[_PageLine], *, box_around: range | None = None) -> bytes:
    """One page of ``lines`` down a single column; ``box_around`` (line indexes) are set in a
    framed, shaded box, drawn before the text as LaTeX boxes are."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    baselines = list(accumulate(gap for _words, _size, gap in lines))
    baselines = [BODY_TOP + baseline for baseline in baselines]
    if box_around is not None:
        top = baselines[box_around.start] - BODY_LEADING
        bottom = baselines[box_around.stop - 1] + 6
        frame = (MARGIN_X - 6, top, PAGE_WIDTH - MARGIN_X + 6, bottom)
        page.draw_rect(frame, color=(0.4, 0.4, 0.4), fill=(0.92, 0.95, 1.0))
    writer = pymupdf.TextWriter(page.rect)
    for (words, size, _gap), baseline in zip(lines, baselines, strict=True):
        x = MARGIN_X
        for word, font in words:
            writer.append((x, baseline), word, font=font, fontsize=size)
            x += font.text_length(word + " ", size)
    writer.write_text(page)
    doc.set_metadata({})
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def _words(text: str, font: pymupdf.Font) -> list[tuple[str, pymupdf.Font]]:
    return [(word, font) for word in text.split()]


def _filler_lines(font: pymupdf.Font, *, first_gap: float = BODY_LEADING) -> list[_PageLine]:
    words = (_FILLER + " " + _FILLER).split()
    chunks = [" ".join(words[i : i + 14]) for i in range(0, len(words), 14)]
    return [(_words(chunk, font), BODY_SIZE, first_gap if i == 0 else BODY_LEADING) for i, chunk in enumerate(chunks)]


def make_boxed_prose_pdf() -> bytes:
    """A paragraph in a shaded, framed box between two ordinary ones (a "takeaway" box)."""
    fonts = _Fonts()
    boxed = [
        "The boxed takeaway says that retrieval helps most on long documents. It matters",
        "for every model we tried, and the effect grows with the length of the input, which",
        "is why we recommend retrieval whenever documents run past a few thousand tokens.",
    ]
    lines: list[_PageLine] = [(_words("1 Introduction", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE)]
    lines += _filler_lines(fonts.regular)
    start = len(lines)
    for index, line in enumerate(boxed):
        lines.append((_words(line, fonts.regular), BODY_SIZE, BODY_LEADING + (16 if index == 0 else 0)))
    lines += _filler_lines(fonts.regular, first_gap=BODY_LEADING + 16)
    return _single_column_page(lines, box_around=range(start, start + len(boxed)))


def make_run_in_heads_pdf() -> bytes:
    """Paragraphs opening with a numbered bold run-in head ("1.1 Setup. We train…"), as run-in
    subsubsection styles set them."""
    fonts = _Fonts()
    lines: list[_PageLine] = [(_words("Abstract", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE)]
    lines += _filler_lines(fonts.regular)
    lines.append((_words("1 Introduction", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE))
    for head in ("1.1 Setup.", "1.2 Results."):
        opening = _words(head, fonts.bold) + _words("We train every model on the same data", fonts.regular)
        lines.append((opening, BODY_SIZE, BODY_LEADING + 6))
        lines += _filler_lines(fonts.regular)
    return _single_column_page(lines)


def make_wrapped_headings_pdf() -> bytes:
    """Headings that take two lines: an IEEE-style numbered heading in plain capitals with a
    research question in it ("IV. RQ1: HOW COMMON DO PROJECTS APPLY" / "CONVENTIONAL
    COMMITS?"), and a long bold heading wrapped in a narrow column; then a heading with a
    version number in it ("5.3 SQuAD v1.1") and a bold row of measurements that is none."""
    fonts = _Fonts()
    lines: list[_PageLine] = [(_words("Abstract", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE)]
    lines += _filler_lines(fonts.regular)
    lines.append((_words("IV. RQ1: HOW COMMON DO PROJECTS APPLY", fonts.regular), BODY_SIZE, 2 * HEADING_SIZE))
    lines.append((_words("CONVENTIONAL COMMITS?", fonts.regular), BODY_SIZE, BODY_LEADING + 1))
    lines.append((_words("Projects that adopt the convention do so early", fonts.regular), BODY_SIZE, BODY_LEADING + 6))
    lines += _filler_lines(fonts.regular)
    lines.append((_words("5.2 Scene Motion Planning Pipeline for", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE))
    lines.append((_words("Long-Horizon Household Tasks", fonts.bold), HEADING_SIZE, HEADING_SIZE + 2))
    lines.append((_words("The planner proposes waypoints for each step", fonts.regular), BODY_SIZE, BODY_LEADING + 6))
    lines += _filler_lines(fonts.regular)
    lines.append((_words("5.3 SQuAD v1.1", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE))
    lines.append((_words("The Stanford Question Answering Dataset is a collection", fonts.regular), BODY_SIZE, 18))
    lines += _filler_lines(fonts.regular)
    lines.append((_words("5.4 82.1 84.6", fonts.bold), HEADING_SIZE, 2 * HEADING_SIZE))
    lines += _filler_lines(fonts.regular)
    return _single_column_page(lines)


# --- PDFs that must fail ------------------------------------------------------------------


def make_encrypted_pdf() -> bytes:
    """A one-page paper that needs a user password to open."""
    plain = pymupdf.open(stream=make_paper_pdf(title="Locked Paper", pages=1), filetype="pdf")
    return plain.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="reader", owner_pw="owner")


def make_image_only_pdf(pages: int = 2) -> bytes:
    """A "scanned" paper: every page is one picture, there is no text layer."""
    doc = pymupdf.open()
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 300, 400), False)
    pixmap.clear_with(255)
    for row in range(40, 360, 12):  # grey bars standing in for lines of scanned text
        pixmap.set_rect(pymupdf.IRect(30, row, 270, row + 5), (90,))
    for _ in range(pages):
        page = doc.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
        page.insert_image(page.rect, pixmap=pixmap)
    doc.set_metadata({})
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def make_empty_pdf(*, zero_pages: bool = False) -> bytes:
    """Blank pages (a rule drawn, no text, no image), or with ``zero_pages`` a PDF without pages."""
    if zero_pages:
        # PyMuPDF refuses to save a document without pages, so write the few objects by hand.
        return (
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R /Size 3 >>\n%%EOF\n"
        )
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
        page.draw_line((MARGIN_X, 100), (PAGE_WIDTH - MARGIN_X, 100))
    doc.set_metadata({})
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def make_corrupt_pdf() -> bytes:
    """Starts like a PDF, but the rest is noise: what a broken download looks like."""
    noise = random.Random(7).randbytes(4096)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + noise
