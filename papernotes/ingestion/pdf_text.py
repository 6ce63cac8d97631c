"""Text of a paper's PDF, in reading order and cut into passages, with PyMuPDF.

What the drafting and checking steps need from a PDF is the body text a reader reads, so
this module:

- orders each page's lines for reading: on two-column pages the left column before the
  right one, with full-width lines (title, abstract, wide captions) cutting the page into
  bands read top to bottom;
- expands ligatures (ﬁ → fi), joins words hyphenated at line ends ("repre-/sentation") but
  keeps real compounds ("state-of-the-art");
- drops running headers, footers and page numbers, the margin line numbers of review copies
  and the entries of contents pages (see :mod:`.pdf_noise`);
- keeps the text of charts (ticks, legends, axis titles) out of the body, wherever the chart
  sits (in a column, across the page, beside a paragraph): charts are found from their paths,
  their images and their rotated labels, and their text becomes passages of its own, marked
  ``is_figure_text``, so that what is retrieved and quoted is prose;
- reads tables found by their rules (see :mod:`.pdf_tables`) as passages of their own,
  marked ``is_table`` and kept in the body (their numbers are evidence): the caption, then one
  row per line with cells split by " | ", where the table stands; a paragraph it interrupts
  reads on across it;
- detects section headings (bold ones with a math symbol in them too) and keeps the
  references apart (``is_reference``);
- cuts the text into passages of whole paragraphs, about 800–1500 characters, that never
  cross a section boundary. Figure passages come after the others, one per chart.

Bad input never escapes as anything but :class:`PdfExtractionError`, whose ``code`` says
what went wrong and whose message tells an editor what to do.

Importable without Django settings (the benchmark runs it bare): messages are translated
only once Django is set up.
"""

import gc
import re
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import accumulate, chain, count, repeat
from operator import attrgetter, itemgetter
from typing import Literal

import pymupdf
from django.apps import apps
from django.utils.translation import gettext

from papernotes.external.errors import ExternalError
from papernotes.ingestion import pdf_noise, pdf_tables

# MuPDF writes repair messages for damaged files to stdout, where nobody reads them; a
# damaged file reaches the editor as ExtractedDocument.warnings or PdfExtractionError.
pymupdf.TOOLS.mupdf_display_errors(False)

ErrorCode = Literal["corrupt", "encrypted", "empty", "image_only", "too_many_pages", "timeout"]

MIN_PASSAGE_CHARS = 800
MAX_PASSAGE_CHARS = 1500
# Share of the page height at the top and bottom where running headers and footers live.
MARGIN_BAND = 0.1
# A margin text counts as a running header/footer when it recurs on this share of pages.
RUNNING_TEXT_SHARE = 0.3
# Less text than this in the whole document means there is no usable text layer.
MIN_DOCUMENT_CHARS = 100

# Ligatures are expanded by MuPDF when TEXT_PRESERVE_LIGATURES is off; the table catches
# fonts whose ToUnicode maps a ligature glyph to its presentation-form codepoint anyway.
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
_SPACES_RE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# Not PyMuPDF's defaults for "dict", which keep ligatures and collect images: text on the
# page, and the outlines of vector paths (how charts are found) from the same pass.
_TEXT_FLAGS = pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_COLLECT_VECTORS
_BOLD_FLAG = pymupdf.TEXT_FONT_BOLD
_MATH_FLAGS = pymupdf.TEXT_FONT_ITALIC | pymupdf.TEXT_FONT_SUPERSCRIPT
_VECTOR_BLOCK = 3
_HORIZONTAL = (1.0, 0.0)  # a line's "dir": the common case, tested at once
_SIZE_OF, _TEXT_OF = itemgetter("size"), itemgetter("text")
_ROW_KEY, _X0 = attrgetter("baseline", "x0"), attrgetter("x0")
_BOLD, _MATH, _PLAIN = 1, 2, 3  # styles of a span
# Fonts of TeX math and symbols: a span in one of them inside a bold heading is its formula.
_MATH_FONT_RE = re.compile(r"cmmi|cmsy|cmex|msbm|msam|eufm|rsfs|math|symbol|italic|oblique", re.IGNORECASE)
# A span this much smaller than its line is a sub- or superscript.
_SCRIPT_SHRINK = 1.5

_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?$",
    re.IGNORECASE,
)
# Names that open a section even in plain type, when they are the whole line.
_KNOWN_HEADING_RE = re.compile(
    r"^(?:(?:\d{1,2}|[A-Z]|[IVX]{1,5})\.?\s+)?"
    r"(?:abstract|references|bibliography|literature cited|works cited|acknowledge?ments?|"
    r"appendix(?:\s+[A-Z0-9]{1,3})?|appendices|supplementary materials?)[.:]?$",
    re.IGNORECASE,
)
# "Appendix A: Proofs" carries a title, so like numbered headings it must be set off by type.
_APPENDIX_HEADING_RE = re.compile(r"^appendix\s+[A-Z0-9]{1,3}\b[.:]?\s+(?P<title>\S.*)$", re.IGNORECASE)
_NUMBERED_HEADING_RE = re.compile(
    r"^(?P<number>\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-H](?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.)\s+(?P<title>[A-Z].*)$"
)
_REFERENCE_NAMES = frozenset({"references", "bibliography", "literature cited", "works cited"})
_INLINE_ABSTRACT_RE = re.compile(r"^(?P<head>abstract)\s*[.:—–-]\s*(?P<rest>\S.*)$", re.IGNORECASE)
# A measurement in a title marks a table row ("4.2 85.3 91.0"), not a heading; a version
# number ("4.2 SQuAD v1.1", "GPT-3.5") does not.
_DECIMAL_RE = re.compile(r"(?<![A-Za-z\d.-])\d+\.\d+")
# "1 INTRODUCTION" in plain type: words of capitals only (not "CARD32 OFFSET_LIST"), with
# research-question labels and their punctuation ("IV. RQ1: HOW COMMON DO PROJECTS APPLY").
_CAPS_WORD = r"(?:[A-Z]{2,}|[A-Z]{1,3}\d{1,2}:?)"
_CAPS_TITLE_RE = re.compile(rf"{_CAPS_WORD}(?:[ &'’-]+{_CAPS_WORD})*\??")
# A heading's second line: close under the first, in the same type.
_HEADING_CONTINUATION_LINES = 2
_HEADING_CONTINUATION_MAX_CHARS = 60
_DIGITS_RE = re.compile(r"\d+")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_TERMINAL_PUNCTUATION = (".", "!", "?", ":")
_HYPHENS = ("-", "\u2010", "\u00ad")
_REFERENCE_START_RE = re.compile(r"^(?:\[\d{1,4}\]|\d{1,4}\.\s)")
_TABLE_LABEL_RE = re.compile(r"^(?:table|tab\.)\s*(?:[A-Z]?\d{1,3}|[IVXL]{1,6})\b", re.IGNORECASE)


def _(message: str) -> str:
    """Translate ``message``; before Django is set up (scripts, the benchmark) keep the msgid,
    which is the Japanese text itself."""
    return gettext(message) if apps.ready else message


class PdfExtractionError(ExternalError):
    """The PDF cannot give usable text. ``code`` is machine-readable; ``str()`` is for an editor.

    Never retryable: the same bytes give the same result.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code, message)


@dataclass(frozen=True)
class Passage:
    """A chunk of whole paragraphs of one section. ``position`` counts from 0; pages from 1."""

    position: int
    page_start: int
    page_end: int
    section: str  # "" before the first heading (title, authors)
    text: str
    is_reference: bool
    is_figure_text: bool = False  # the labels of one chart, not prose
    is_table: bool = False  # one table: its caption, then a row per line ("cell | cell")


@dataclass(frozen=True)
class ExtractedDocument:
    page_count: int
    passages: tuple[Passage, ...]
    sections: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def body(self) -> tuple[Passage, ...]:
        """The passages a reader reads and a draft may quote: no references, no chart labels."""
        return tuple(p for p in self.passages if not p.is_reference and not p.is_figure_text)

    @property
    def figure_text(self) -> tuple[Passage, ...]:
        return tuple(p for p in self.passages if p.is_figure_text)

    @property
    def tables(self) -> tuple[Passage, ...]:
        """The body passages that are tables (caption, then a row per line)."""
        return tuple(p for p in self.passages if p.is_table)


def extract_pdf(data: bytes, *, max_pages: int, time_limit: float) -> ExtractedDocument:
    """Extract ``data``'s text as passages; raise :class:`PdfExtractionError` for unusable PDFs.

    ``time_limit`` (seconds) is checked before each page, so one pathological page can
    overrun it by its own cost but a long document cannot.
    """
    with _collector_paused():
        return _extract(data, max_pages, time_limit)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off while a document is read.

    PyMuPDF builds a dict for every span (tens of thousands per paper) and we free them
    page by page: nothing here makes reference cycles, yet those allocations alone trigger
    collections that traverse every live object, which cost about a tenth of the whole
    extraction (more in a worker with Django loaded, whose heap is bigger). Whatever cyclic
    garbage other code leaves meanwhile is collected as usual once the collector is back on.
    """
    if not gc.isenabled():  # paused by the caller, or a nested call: theirs to restore
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _extract(data: bytes, max_pages: int, time_limit: float) -> ExtractedDocument:
    started = time.monotonic()
    document = _open(data)
    with document:
        _check_openable(document, max_pages)
        pages = _read_pages(document, started, time_limit)
        for page in pages:
            _set_aside_margin_numbers_and_figures(page)
        body_size = _body_size(chain.from_iterable(page.lines for page in pages))
        _drop_running_text(pages, body_size)
        if not _has_text(pages):
            raise _no_text_error(document)
        warnings: tuple[str, ...] = ()
        if document.is_repaired:
            warnings = (_("PDF の一部が壊れていたため修復して読み込みました。本文が欠けている可能性があります。"),)
        page_count = document.page_count
    for page in pages:
        page.lines.extend(map(_table_stand_in, page.tables, repeat(page.number)))
    ordered = [line for page in pages for line in _without_contents(_reading_order(page))]
    figures = [_Figure(page.number, labels) for page in pages for labels in page.figures]
    paragraphs, headings = _paragraphs(ordered, body_size, figures)
    passages = list(_passages(paragraphs))
    passages.extend(_figure_passages(figures, start=len(passages)))
    return ExtractedDocument(page_count, tuple(passages), tuple(headings), warnings)


# --- opening and error mapping ------------------------------------------------------------


def _open(data: bytes) -> pymupdf.Document:
    if not data:
        raise PdfExtractionError("empty", _("PDF ファイルが空です(0 バイト)。取得し直してください。"))
    # MuPDF sniffs the content and would happily open an HTML error page as a document.
    if b"%PDF-" not in data[:1024]:
        raise PdfExtractionError(
            "corrupt",
            _("PDF ファイルではありません(取得したデータが PDF の形式ではありません)。URL を確認してください。"),
        )
    try:
        return pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for broken files; all mean the same here.
        raise _corrupt_error() from exc


def _corrupt_error() -> PdfExtractionError:
    return PdfExtractionError(
        "corrupt", _("PDF ファイルが壊れているため読み込めません。arXiv から取得し直してください。")
    )


def _check_openable(document: pymupdf.Document, max_pages: int) -> None:
    if document.needs_pass:
        raise PdfExtractionError("encrypted", _("PDF にパスワードが設定されているため、本文を読み取れません。"))
    if document.page_count == 0:
        raise PdfExtractionError("empty", _("PDF にページがありません。"))
    if document.page_count > max_pages:
        raise PdfExtractionError(
            "too_many_pages",
            _("PDF のページ数が多すぎます({pages} ページ。上限は {limit} ページです)。").format(
                pages=document.page_count, limit=max_pages
            ),
        )


def _no_text_error(document: pymupdf.Document) -> PdfExtractionError:
    if document.is_repaired:
        return _corrupt_error()
    try:
        has_images = any(page.get_images() or page.get_image_info() for page in document)
    except Exception:  # a page that cannot even list its images is a broken page
        return _corrupt_error()
    if has_images:
        return PdfExtractionError(
            "image_only",
            _(
                "PDF が画像だけでできているため(スキャンした文書など)、本文のテキストを読み取れません。"
                "テキストを含む版の PDF を指定してください。"
            ),
        )
    return PdfExtractionError("empty", _("PDF に本文のテキストがありません。"))


# --- reading pages ------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    """One printed line (or, after merging, one row of a column)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float
    text: str
    size: float
    bold: bool  # set in bold, but for a formula in it (a heading's style)
    math: bool = False  # only italic, math-font or script-size text (a formula, a subscript)
    group: tuple[int, int] = (0, 0)  # (page, n): same page, band and column
    edge_x0: float = 0.0  # left edge of the line's column
    table: "_Table | None" = None  # set on a table's stand-in line only (see _table_stand_in)


@dataclass
class _Page:
    number: int
    height: float
    width: float
    lines: list[_Line] = field(default_factory=list)
    paths: list[tuple[float, float, float, float]] = field(default_factory=list)  # vector outlines
    # Where a figure shows without paths of its own: its images, and its rotated text (axis
    # titles, slanted tick labels), which is not read but marks the figure's extent.
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)
    figures: list[list[_Line]] = field(default_factory=list)  # each chart's labels
    tables: list["_Table"] = field(default_factory=list)


@dataclass
class _Table:
    """A table taken out of a page's lines: its box, caption lines and rows (cells joined)."""

    box: tuple[float, float, float, float]
    caption: list[str]
    rows: list[str]


def _read_pages(document: pymupdf.Document, started: float, time_limit: float) -> list[_Page]:
    pages = []
    for index in range(document.page_count):
        if time.monotonic() - started >= time_limit:
            raise PdfExtractionError(
                "timeout",
                _(
                    "PDF の読み取りが制限時間({seconds} 秒)内に終わりませんでした({done}/{total} ページまで処理)。"
                ).format(seconds=f"{time_limit:g}", done=index, total=document.page_count),
            )
        try:
            page = document.load_page(index)
            content = page.get_text("dict", flags=_TEXT_FLAGS)
            # Images (a heatmap, a plot saved as pixels) are found without decoding them, and
            # only on pages that have any.
            images = [info["bbox"] for info in page.get_image_info()] if page.get_images(full=True) else []
        except Exception as exc:  # a broken content stream surfaces as any MuPDF error
            raise _corrupt_error() from exc
        parsed = _page_of(content, index + 1)
        parsed.marks.extend(images)
        pages.append(parsed)
        # Freed now, not when the next page's dict replaces it: that one then reuses this
        # memory while it is still in the CPU's cache (a page's dict is about a megabyte).
        del content
    return pages


def _page_of(content: dict, page_number: int) -> _Page:
    """The page's vector outlines, and its lines but for blank and rotated ones.

    This runs for every line of every page, the bulk of our own cost: the common lines are
    read here without a further call, and spans with ``map`` rather than a Python loop.
    """
    page = _Page(page_number, content["height"], content["width"])
    add_line, add_path, add_mark = page.lines.append, page.paths.append, page.marks.append
    for block in content["blocks"]:
        kind = block.get("type", 0)
        if kind != 0:
            if kind == _VECTOR_BLOCK:
                add_path(block["bbox"])
            continue
        for line in block["lines"]:
            direction = line["dir"]
            if direction != _HORIZONTAL:
                cos, sin = direction
                if cos <= 0 or abs(sin) > 0.05:
                    # Rotated text is not read (margin stamps such as arXiv's, axis titles), but
                    # marks where a figure is.
                    add_mark(line["bbox"])
                    continue
            spans = line["spans"]
            if not spans:
                continue  # every character clipped away (outside the page): nothing to read
            first = spans[0]
            text = first["text"]
            if text and not text.isspace():
                flags = first["flags"]
                style = _BOLD if flags & _BOLD_FLAG else _MATH if flags & _MATH_FLAGS else _font_style(first["font"])
                if len(spans) == 1:  # numbers, labels, short lines: no mixing of styles to weigh
                    x0, y0, x1, y1 = line["bbox"]
                    baseline, size, bold, math = first["origin"][1], first["size"], style == _BOLD, style == _MATH
                    add_line(_Line(page_number, x0, y0, x1, y1, baseline, _clean(text), size, bold, math))
                    continue
                if style == _PLAIN:
                    # Most lines of a paper: upright text from the start is neither a heading's
                    # bold nor a formula, whatever follows. Only the size needs every span.
                    size = max(map(_SIZE_OF, spans))
                    if first["size"] > size - _SCRIPT_SHRINK:
                        x0, y0, x1, y1 = line["bbox"]
                        text = _clean("".join(map(_TEXT_OF, spans)))
                        add_line(_Line(page_number, x0, y0, x1, y1, first["origin"][1], text, size, False, False))
                        continue
            parsed = _mixed_line(spans)
            if parsed is not None:
                add_line(_Line(page_number, *line["bbox"], *parsed))
    return page


def _mixed_line(spans: list[dict]) -> tuple[float, str, float, bool, bool] | None:
    """(baseline, text, largest size, bold, math) of a line's spans; None for a blank line.

    A line is bold when its first word is and nothing in it is upright roman: a formula in
    a heading ("3.1 Scaling with N_params", the N in a math italic, "params" smaller) keeps
    it a heading, while a bold run-in head followed by ordinary text does not.
    """
    baseline: float | None = None
    size = 0.0
    first_bold = has_bold = False
    largest_plain = 0.0  # of upright, non-bold spans: plain text, unless script-size
    for span in spans:
        text = span["text"]
        if not text or text.isspace():
            continue  # synthetic spaces carry no style worth counting
        span_size = span["size"]
        if span_size > size:
            size = span_size
        flags = span["flags"]
        if flags & _BOLD_FLAG:
            style = _BOLD
        elif flags & _MATH_FLAGS:
            style = _MATH
        else:
            style = _font_style(span["font"])
        if baseline is None:
            baseline = span["origin"][1]
            first_bold = style == _BOLD
        if style == _BOLD:
            has_bold = True
        elif style == _PLAIN and span_size > largest_plain:
            largest_plain = span_size
    if baseline is None:
        return None
    plain = largest_plain > size - _SCRIPT_SHRINK
    return baseline, _clean("".join(map(_TEXT_OF, spans))), size, first_bold and not plain, not has_bold and not plain


@cache
def _font_style(font: str) -> int:
    """The style a font's name says, for spans whose flags say neither bold nor italic."""
    if "bold" in font.lower():
        return _BOLD
    return _MATH if _MATH_FONT_RE.search(font) else _PLAIN


def _clean(text: str) -> str:
    if text.isascii() and text.isprintable() and "  " not in text:
        return text.strip()  # the common case (no ligature, no odd space), without the regex
    return _SPACES_RE.sub(" ", text.translate(_LIGATURES)).strip()


def _set_aside_margin_numbers_and_figures(page: _Page) -> None:
    """Drop a review copy's margin line numbers; move tables to ``page.tables`` and chart
    labels to ``page.figures``.

    Tables go first: their lines must not be taken for a chart's labels (a grid table's rules
    make a drawing), nor their small type at the top of a page for a running header.
    """
    numbers = pdf_noise.line_number_columns(page.lines)
    if numbers:
        page.lines = [line for index, line in enumerate(page.lines) if index not in numbers]
    tables = pdf_tables.find_tables(page.lines, page.paths)
    if tables:
        lines = page.lines
        page.tables = [
            _Table(table.box, [lines[index].text for index in table.caption], table.rows) for table in tables
        ]
        taken = set().union(*(table.members for table in tables))
        page.lines = [line for index, line in enumerate(lines) if index not in taken]
        page.paths = pdf_tables.paths_outside(page.paths, tables)
    groups = pdf_noise.figure_text_groups(page.lines, page.paths, page.width, page.height, marks=page.marks)
    if groups:
        page.figures = [[page.lines[index] for index in group] for group in groups]
        taken = {index for group in groups for index in group}
        page.lines = [line for index, line in enumerate(page.lines) if index not in taken]


def _table_stand_in(table: _Table, page_number: int) -> _Line:
    """A line in the table's place, so that reading order puts the table where it is read: in
    its column, or across the page cutting it into bands.

    It has no text (the columns are weighed by their characters, and the table's are not
    prose) and no size, so that no line on a nearby baseline is merged into it.
    """
    x0, y0, x1, y1 = table.box
    return _Line(page_number, x0, y0, x1, y1, y0, "", 0.0, False, table=table)


def _without_contents(rows: list[_Line]) -> list[_Line]:
    """A page's rows without the title and entries of a contents page."""
    entries = pdf_noise.contents_rows(rows)
    return [row for index, row in enumerate(rows) if index not in entries] if entries else rows


def _drop_running_text(pages: list[_Page], body_size: float) -> None:
    """Remove page numbers, text repeated in the top/bottom margins of many pages, and
    small-type lines heading a page after the first (a running header seen only once or twice
    in a short paper)."""
    # Only the few lines in the margins are looked at twice (counted, then judged).
    margins = [_margin_lines(page) for page in pages]
    seen_on: Counter[str] = Counter()
    for lines in margins:
        seen_on.update({_running_key(line.text) for line in lines})
    threshold = max(2, round(len(pages) * RUNNING_TEXT_SHARE))
    for page, lines in zip(pages, margins, strict=True):
        top = page.height * MARGIN_BAND
        running = [
            line
            for line in lines
            if _PAGE_NUMBER_RE.match(line.text)
            or seen_on[_running_key(line.text)] >= threshold
            or (line.y1 <= top and page.number > 1 and line.size <= body_size - 0.5)
        ]
        if running:
            gone = set(map(id, running))
            page.lines = [line for line in page.lines if id(line) not in gone]


def _margin_lines(page: _Page) -> list[_Line]:
    top = page.height * MARGIN_BAND
    bottom = page.height - top
    return [line for line in page.lines if line.y1 <= top or line.y0 >= bottom]


def _has_text(pages: list[_Page]) -> bool:
    """Whether the pages hold at least MIN_DOCUMENT_CHARS characters (counted until they do)."""
    chars = 0
    for page in pages:
        for line in page.lines:
            chars += len(line.text)
            if chars >= MIN_DOCUMENT_CHARS:
                return True
    return False


def _running_key(text: str) -> str:
    # Page numbers inside a header ("Short title 7") change from page to page.
    return _DIGITS_RE.sub("#", text.lower())


# --- reading order ------------------------------------------------------------------------


def _reading_order(page: _Page) -> list[_Line]:
    """The page's lines in reading order, each row of a column merged into one line."""
    lines = page.lines
    if not lines:
        return []
    groups = count()
    gutter = _least_covered_x(page)
    # One pass sorts the lines to the sides of the gutter and weighs them (see _two_columns).
    left: list[_Line] = []
    right: list[_Line] = []
    wide: list[_Line] = []
    left_chars = right_chars = total = 0
    before, after = gutter - 1, gutter + 1
    for line in lines:
        length = len(line.text)
        total += length
        if line.x1 <= after:
            left_chars += length
            left.append(line)
        elif line.x0 >= before:
            right_chars += length
            right.append(line)
        elif line.x0 < before and line.x1 > after:
            wide.append(line)  # full width: title, abstract, wide captions
    if not _two_columns(left_chars, right_chars, total):
        return _merge_rows(lines, group=(page.number, next(groups)))
    if wide:
        wide.sort(key=_ROW_KEY)
        wide_baselines = [line.baseline for line in wide]
        bands: list[tuple[list[_Line], list[_Line]]] = [([], []) for _ in range(len(wide) + 1)]
        for side, column in ((0, left), (1, right)):
            for line in column:
                bands[bisect_right(wide_baselines, line.baseline)][side].append(line)
    else:
        bands = [(left, right)]
    ordered: list[_Line] = []
    wide_group = None
    for index, (left_column, right_column) in enumerate(bands):
        for column in (left_column, right_column):
            if column:
                ordered.extend(_merge_rows(column, group=(page.number, next(groups))))
                wide_group = None
        if index < len(wide):
            # Consecutive full-width lines (title, abstract) read as one block.
            wide_group = wide_group or (page.number, next(groups))
            ordered.extend(_merge_rows([wide[index]], group=wide_group))
    return ordered


def _least_covered_x(page: _Page) -> float:
    """Where the gutter is, if the page has two columns (see :func:`_two_columns`).

    Coverage is counted in 2-point bins over the middle of the page; the gutter is the least
    covered x. Full-width lines cross the gutter, so they lower the contrast but do not hide it.
    """
    bins = int(page.width // 2) + 2
    coverage = [0] * (bins + 1)
    for line in page.lines:
        start = int(line.x0 // 2)
        start = 0 if start < 0 else bins if start > bins else start
        end = int(line.x1 // 2) + 1
        end = start if end < start else bins if end > bins else end
        coverage[start] += 1
        coverage[end] -= 1
    profile = list(accumulate(coverage))
    low, high, centre = int(page.width * 0.35 // 2), int(page.width * 0.65 // 2), page.width / 4
    middle = range(low, min(high, bins) + 1)
    # Least covered bin; among equals, the one nearest the page centre (the first of those).
    least = min([profile[i] for i in middle])
    best_bin = min([i for i in middle if profile[i] == least], key=lambda i: abs(i - centre))
    return best_bin * 2 + 1.0


def _two_columns(left: int, right: int, total: int) -> bool:
    """Whether enough of the page's text (in characters) lies entirely on each side of the gutter."""
    columns = left + right
    return not (columns < 0.25 * total or left < 0.2 * columns or right < 0.2 * columns)


def _merge_rows(lines: list[_Line], *, group: tuple[int, int]) -> list[_Line]:
    """Sort a column top to bottom and merge the pieces of each row, left to right.

    Justified text with wide word gaps reaches us as several "lines" on one baseline.
    """
    rows: list[list[_Line]] = []
    row: list[_Line] = []
    baseline = size = 0.0  # of the row's first piece
    for line in sorted(lines, key=_ROW_KEY):
        smaller = size if size < line.size else line.size  # min(line.size, size), inlined
        if row and abs(line.baseline - baseline) <= 0.3 * smaller:
            row.append(line)
        else:
            row = [line]
            rows.append(row)
            baseline, size = line.baseline, line.size
    merged = [_merge_row(row) if len(row) > 1 else row[0] for row in rows]
    edge_x0 = min(map(_X0, merged))
    for line in merged:
        line.group, line.edge_x0 = group, edge_x0
    return merged


def _merge_row(pieces: list[_Line]) -> _Line:
    pieces = sorted(pieces, key=lambda piece: piece.x0)
    first = pieces[0]
    return _Line(
        page=first.page,
        x0=first.x0,
        y0=min(piece.y0 for piece in pieces),
        x1=max(piece.x1 for piece in pieces),
        y1=max(piece.y1 for piece in pieces),
        baseline=first.baseline,
        text=" ".join(piece.text for piece in pieces),
        size=max(piece.size for piece in pieces),
        # A subscript printed on its own baseline is a piece of its own: it does not unbold.
        bold=any(piece.bold for piece in pieces) and all(piece.bold or piece.math for piece in pieces),
        math=all(piece.math for piece in pieces),
    )


# --- headings and paragraphs --------------------------------------------------------------


@dataclass
class _Paragraph:
    section: str
    section_index: int  # which heading occurrence; two "Appendix" headings stay apart
    is_reference: bool
    page_start: int
    page_end: int
    lines: list[str] = field(default_factory=list)
    is_table: bool = False  # lines are the caption (if any), then the rows

    @property
    def text(self) -> str:
        return "\n".join(self.lines) if self.is_table else _join_lines(self.lines)


def _body_size(lines: Iterable[_Line]) -> float:
    """The size, to half a point, of most of the text."""
    # Summed per exact size first: a paper has a handful of sizes, so rounding (and the
    # Counter) run for each size rather than each line. Sizes keep the order in which lines
    # first show them, which is how most_common breaks ties.
    chars_by_size: dict[float, int] = {}
    for line in lines:
        size = line.size
        chars_by_size[size] = chars_by_size.get(size, 0) + len(line.text)
    sizes: Counter[float] = Counter()
    for size, chars in chars_by_size.items():
        sizes[round(size * 2) / 2] += chars
    return sizes.most_common(1)[0][0] if sizes else 10.0


@dataclass
class _Figure:
    """A chart's labels, and the section it belongs to once the reading has reached it."""

    page: int
    labels: list[_Line]
    section: str | None = None

    def __post_init__(self) -> None:
        self.box = (
            min(line.x0 for line in self.labels),
            min(line.y0 for line in self.labels),
            max(line.x1 for line in self.labels),
            max(line.y1 for line in self.labels),
        )

    def sits_over(self, line: _Line) -> bool:
        """Whether ``line`` is text under the chart (its caption, or the column going on)."""
        x0, _y0, x1, y1 = self.box
        return line.page == self.page and line.y0 >= y1 - 1 and line.x0 < x1 and line.x1 > x0


def _paragraphs(lines: list[_Line], body_size: float, figures: list[_Figure]) -> tuple[list[_Paragraph], list[str]]:
    """The paragraphs in reading order and the section headings met on the way.

    Each figure gets the section of the first line read under it (``_Figure.section``), or
    that of the end of its page.
    """
    paragraphs: list[_Paragraph] = []
    headings: list[str] = []
    waiting = list(figures)
    section, section_index, in_references = "", 0, False
    current: _Paragraph | None = None
    previous: _Line | None = None
    # Left and right of the current paragraph's lines in the current column.
    extent_x0 = extent_x1 = 0.0
    styled_size = body_size + 0.5
    # The heading's last line while the next may continue it (headings wrap, see below).
    heading_line: _Line | None = None
    continued = 0
    # Tables read since the current paragraph's last line: they are placed after it, since
    # a paragraph a table interrupts goes on under it.
    tables: list[_Paragraph] = []
    for line in lines:
        if waiting:
            waiting = _place_figures(waiting, line, section)
        text = line.text
        if not text:  # only a table's stand-in has no text
            tables.append(_table_paragraph(line, section, section_index, in_references))
            heading_line = None
            continue
        if heading_line is not None:
            if continued < _HEADING_CONTINUATION_LINES and _continues_heading(heading_line, line):
                section = headings[-1] = f"{section} {text}"
                heading_line, continued = line, continued + 1
                continue
            heading_line = None
        # _heading's first test, inlined: most lines are plain body text, too long for a
        # heading in plain type.
        if len(text) > 100 or (
            len(text) > 40
            and not line.bold
            and not line.size >= styled_size
            and not text.isupper()
            and (section_index > 0 or line.page > 2)
        ):
            heading = None
        else:
            heading, rest = _heading(line, body_size, seen_heading=section_index > 0)
        if heading is not None:
            if tables:
                paragraphs.extend(tables)
                tables = []
            section, section_index = heading, section_index + 1
            in_references = _is_reference_heading(heading)
            current, previous = None, None
            if not headings or headings[-1] != heading:
                headings.append(heading)
            if rest is None:
                heading_line, continued = line, 0
                continue
            line = replace(line, text=rest)
        if (
            current is None
            or previous is None
            or (
                _starts_paragraph(line, previous, extent_x0, extent_x1, in_references)
                if not tables  # the common case, called as before (keywords cost in this loop)
                else _starts_paragraph(line, previous, extent_x0, extent_x1, in_references, across_table=True)
            )
        ):
            if tables:
                paragraphs.extend(tables)
                tables = []
            current = _Paragraph(section, section_index, in_references, line.page, line.page)
            paragraphs.append(current)
            extent_x0, extent_x1 = line.x0, line.x1
        elif line.group != previous.group:
            extent_x0, extent_x1 = line.x0, line.x1
        else:
            # min() and max(), inlined: this runs for most lines.
            if line.x0 < extent_x0:
                extent_x0 = line.x0
            if line.x1 > extent_x1:
                extent_x1 = line.x1
        current.lines.append(line.text)
        current.page_end = line.page
        previous = line
    paragraphs.extend(tables)
    for figure in waiting:
        figure.section = section
    return paragraphs, headings


def _table_paragraph(line: _Line, section: str, section_index: int, in_references: bool) -> _Paragraph:
    """The table behind a stand-in line as a paragraph of its own: caption, then rows."""
    table = line.table
    assert table is not None
    caption = [_join_lines(table.caption)] if table.caption else []
    paragraph = _Paragraph(section, section_index, in_references, line.page, line.page, is_table=True)
    paragraph.lines = [*caption, *table.rows]
    return paragraph


def _continues_heading(heading: _Line, line: _Line) -> bool:
    """Whether ``line`` is the next line of the wrapped heading ``heading``: right under it, in
    the same type (bold, or plain capitals), short, and no heading of its own."""
    text = line.text
    return (
        line.page == heading.page
        and line.group == heading.group
        and line.bold == heading.bold
        and abs(line.size - heading.size) < 0.3
        and 0 < line.baseline - heading.baseline <= 1.6 * heading.size
        and len(text) <= _HEADING_CONTINUATION_MAX_CHARS
        and not heading.text.endswith(_TERMINAL_PUNCTUATION)
        and (heading.bold or (heading.text.isupper() and text.isupper()))
        and not _NUMBERED_HEADING_RE.match(text)
        and not _KNOWN_HEADING_RE.match(text)
    )


def _place_figures(waiting: list[_Figure], line: _Line, section: str) -> list[_Figure]:
    """Settle the section of the figures ``line`` is read under, or whose page is behind us."""
    still = []
    for figure in waiting:
        if figure.page < line.page or figure.sits_over(line):
            figure.section = section
        else:
            still.append(figure)
    return still


def _heading(line: _Line, body_size: float, *, seen_heading: bool) -> tuple[str | None, str | None]:
    """(heading, rest of the line) when ``line`` opens a section, else (None, None)."""
    text = line.text
    styled = line.bold or line.size >= body_size + 0.5
    if len(text) > 100 or (
        # The common case, cheaply: a line of plain body text. Unstyled headings are short
        # known names, capitals, or an inline "Abstract:" on the first pages.
        not styled and len(text) > 40 and not text.isupper() and (seen_heading or line.page > 2)
    ):
        return None, None
    if pdf_noise.has_leaders(text):
        return None, None
    if _KNOWN_HEADING_RE.match(text):
        return text.rstrip(".:"), None
    appendix = _APPENDIX_HEADING_RE.match(text)
    if appendix and styled and _plausible_title(appendix.group("title")):
        return text, None
    inline = _INLINE_ABSTRACT_RE.match(text)
    if inline and line.page <= 2 and not seen_heading:
        return inline.group("head").capitalize(), inline.group("rest")
    numbered = _NUMBERED_HEADING_RE.match(text)
    if numbered and _plausible_title(numbered.group("title")):
        title = numbered.group("title")
        if styled or _CAPS_TITLE_RE.fullmatch(title):
            return text, None
    if (
        seen_heading
        and line.bold
        and line.size >= body_size + 1.0
        and text[0].isupper()
        and sum(ch.isalpha() for ch in text) >= 3
        and _plausible_title(text)
    ):
        return text, None
    return None, None


def _plausible_title(title: str) -> bool:
    words = title.split()
    numeric = sum(1 for word in words if word.replace(".", "").replace(",", "").isdigit())
    return (
        len(words) <= 12
        and not title.endswith((".", ",", ";", ":"))
        and not _DECIMAL_RE.search(title)
        and numeric <= 1
        and any(ch.isalpha() for ch in title)
    )


def _is_reference_heading(heading: str) -> bool:
    name = re.sub(r"^(?:\d{1,2}|[A-Z]|[IVX]{1,5})\.?\s+", "", heading).strip().lower()
    return name in _REFERENCE_NAMES


def _starts_paragraph(
    line: _Line, previous: _Line, extent_x0: float, extent_x1: float, in_references: bool, *, across_table: bool = False
) -> bool:
    """Whether ``line`` opens a new paragraph after ``previous``.

    The extent (``extent_x0`` to ``extent_x1``) spans the current paragraph's lines in
    ``previous``'s column, so indents and short lines are judged against the paragraph itself
    (an abstract set narrower than the body is not "indented"); on a column change the new
    column's edge is the reference. With ``across_table`` a table stood between the two: the
    gap it leaves says nothing, indents and line ends still do.
    """
    same_group = line.group == previous.group
    size, previous_size = line.size, previous.size
    larger = previous_size if previous_size > size else size  # max(), inlined
    if same_group and line.baseline - previous.baseline > 1.45 * larger and not across_table:
        return True
    left = extent_x0 if same_group else line.edge_x0
    indent = line.x0 - left
    if in_references:
        # Entries start with a label ("[12]", "12.") or, in author–year lists with hanging
        # indents, back at the column edge.
        if _REFERENCE_START_RE.match(line.text):
            return True
        return indent < 0.5 * size and previous.x0 - extent_x0 > 0.5 * previous_size
    previous_text = previous.text
    if previous_text.endswith(_HYPHENS):
        return False
    if abs(size - previous_size) >= 1.0:
        return True
    if not previous_text.endswith(_TERMINAL_PUNCTUATION):
        return False
    right = (line.x1 if line.x1 > extent_x1 else extent_x1) if same_group else extent_x1
    short_previous = previous.x1 < right - 2 * previous_size
    return short_previous or indent > 0.5 * size


def _join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines, undoing end-of-line hyphenation but keeping compounds."""
    previous = lines[0]
    parts = [previous]
    for line in lines[1:]:
        if not previous.endswith(_HYPHENS):  # most line ends, with one test
            parts.append(" ")
        elif previous.endswith("\u00ad"):
            parts[-1] = previous[:-1]
        elif len(previous) > 1 and previous[-2].isalpha():
            fragment = previous.rsplit(" ", 1)[-1][:-1]
            following = line.split(" ", 1)[0]
            # "repre-/sentation" is one word; "state-of-/the-art" and "GPT-/4" keep the hyphen.
            if line[:1].islower() and "-" not in fragment and "-" not in following:
                parts[-1] = previous[:-1]
        else:
            parts.append(" ")
        parts.append(line)
        previous = line
    return "".join(parts)


# --- passages -----------------------------------------------------------------------------

# Cost of cutting a passage inside a paragraph, in the units of the short-passage cost
# (squared missing characters): as bad as a passage 200 characters short.
_MID_PARAGRAPH_CUT_COST = 200**2


@dataclass(frozen=True)
class _Unit:
    """A paragraph, or one sentence of a paragraph too long for a single passage."""

    text: str
    page_start: int
    page_end: int
    opens_paragraph: bool

    @property
    def joiner(self) -> str:
        return "\n\n" if self.opens_paragraph else " "


def _passages(paragraphs: list[_Paragraph]) -> Iterator[Passage]:
    """Passages of a section's paragraphs; a table is always a passage (or more) of its own,
    and the prose before and after it is chunked apart."""
    position = 0
    start = 0
    for end in range(1, len(paragraphs) + 1):
        if (
            end == len(paragraphs)
            or paragraphs[end].section_index != paragraphs[start].section_index
            or paragraphs[end].is_table
            or paragraphs[start].is_table
        ):
            section = paragraphs[start]
            if section.is_table:
                for text in _table_pieces(section.lines):
                    yield Passage(
                        position, section.page_start, section.page_end, section.section, text, section.is_reference,
                        is_table=True,
                    )  # fmt: skip
                    position += 1
                start = end
                continue
            for units in _chunks(list(_units(paragraphs[start:end]))):
                text = units[0].text + "".join(unit.joiner + unit.text for unit in units[1:])
                page_start = min(unit.page_start for unit in units)
                page_end = max(unit.page_end for unit in units)
                yield Passage(position, page_start, page_end, section.section, text, section.is_reference)
                position += 1
            start = end


def _table_pieces(lines: list[str]) -> list[str]:
    """A table's text, cut between rows into pieces of at most MAX_PASSAGE_CHARS.

    A piece after the first opens with the table's label ("Table 4 (continued)"), so that a
    piece retrieved alone still says which table its numbers are from.
    """
    label = _TABLE_LABEL_RE.match(lines[0])
    heading = f"{label.group(0)} (continued)" if label else ""
    pieces: list[str] = []
    piece: list[str] = []
    length = 0
    for line in lines:
        while len(line) > MAX_PASSAGE_CHARS:  # a caption or a row too long on its own
            cut = line.rfind(" ", 0, MAX_PASSAGE_CHARS)
            cut = cut if cut > 0 else MAX_PASSAGE_CHARS
            if piece:
                pieces.append("\n".join(piece))
                piece, length = [], 0
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        if piece and length + 1 + len(line) > MAX_PASSAGE_CHARS:
            pieces.append("\n".join(piece))
            piece, length = ([heading], len(heading)) if heading else ([], 0)
        piece.append(line)
        length += len(line) + 1
    if piece:
        pieces.append("\n".join(piece))
    return pieces


def _figure_passages(figures: list[_Figure], *, start: int) -> Iterator[Passage]:
    """One passage per chart (cut at spaces if very long), after all the others."""
    position = start
    for figure in figures:
        text = " ".join(line.text for line in figure.labels)
        for piece in _sentences(text):
            yield Passage(position, figure.page, figure.page, figure.section or "", piece, False, is_figure_text=True)
            position += 1


def _units(paragraphs: list[_Paragraph]) -> Iterator[_Unit]:
    for paragraph in paragraphs:
        text = paragraph.text
        pieces = [text] if len(text) <= MAX_PASSAGE_CHARS else _sentences(text)
        for index, piece in enumerate(pieces):
            yield _Unit(piece, paragraph.page_start, paragraph.page_end, opens_paragraph=index == 0)


def _sentences(text: str) -> list[str]:
    """Sentences, each cut at spaces if longer than a passage (tables, lists, run-ons)."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END_RE.split(text):
        while len(sentence) > MAX_PASSAGE_CHARS:
            cut = sentence.rfind(" ", 0, MAX_PASSAGE_CHARS)
            cut = cut if cut > 0 else MAX_PASSAGE_CHARS
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if sentence:
            pieces.append(sentence)
    return pieces


def _chunks(units: list[_Unit]) -> list[list[_Unit]]:
    """Group a section's units into passages of at most MAX_PASSAGE_CHARS, as even as can be.

    Dynamic programming over cut points: a passage shorter than MIN_PASSAGE_CHARS costs the
    square of what it lacks, a cut inside a paragraph costs _MID_PARAGRAPH_CUT_COST, and each
    passage costs 1 so that fewer passages win ties. A passage spans only as many units as fit
    in MAX_PASSAGE_CHARS, so the work is linear in the number of units for a given passage size.
    """
    count = len(units)
    best = [0.0] + [float("inf")] * count
    cut_at = [0] * (count + 1)
    for end in range(1, count + 1):
        length = 0
        for start in range(end - 1, -1, -1):
            length += len(units[start].text) + (len(units[start + 1].joiner) if start < end - 1 else 0)
            if length > MAX_PASSAGE_CHARS and start < end - 1:
                break
            cost = best[start] + 1 + max(0, MIN_PASSAGE_CHARS - length) ** 2
            if start > 0 and not units[start].opens_paragraph:
                cost += _MID_PARAGRAPH_CUT_COST
            if cost < best[end]:
                best[end], cut_at[end] = cost, start
    chunks: list[list[_Unit]] = []
    end = count
    while end > 0:
        chunks.append(units[cut_at[end] : end])
        end = cut_at[end]
    return chunks[::-1]
