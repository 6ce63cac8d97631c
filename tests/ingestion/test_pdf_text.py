"""extract_pdf: a paper's PDF read as an editor expects, bad PDFs refused in Japanese."""

import gc
import os
import random
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pymupdf
import pytest

from papernotes.external.errors import ExternalError
from papernotes.ingestion.pdf_text import (
    MAX_PASSAGE_CHARS,
    MIN_PASSAGE_CHARS,
    ExtractedDocument,
    PdfExtractionError,
    extract_pdf,
)
from tests.support import pdfgen
from tests.support.pdfgen import GeneratedPaper, generate_paper, markers_in

REPO = Path(__file__).resolve().parents[2]
TITLE = "Kolmogorov-Arnold Networks for Efficient Representation Learning"
LIGATURE_CHARS = set("\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06")


@cache
def _paper(**options) -> GeneratedPaper:
    return generate_paper(title=TITLE, **{"pages": 4, **options})


@cache
def _extracted(**options) -> ExtractedDocument:
    return extract_pdf(_paper(**options).pdf, max_pages=50, time_limit=60)


def _text(document: ExtractedDocument) -> str:
    return "\n\n".join(passage.text for passage in document.passages)


# --- reading order and clean text ---------------------------------------------------------


def test_two_columns_are_read_left_then_right_page_by_page():
    # Given a two-column paper whose PDF writes the right column before the left one
    paper = _paper()
    naive = "".join(page.get_text() for page in pymupdf.open(stream=paper.pdf, filetype="pdf"))
    assert markers_in(naive) != list(paper.markers)  # plain get_text() gets it wrong
    # When it is extracted
    document = _extracted()
    # Then every paragraph comes in reading order: abstract, body, references
    assert markers_in(_text(document)) == list(paper.markers)
    assert document.page_count == 4


def test_every_paragraph_reads_exactly_as_written():
    # Given a paper with ligature glyphs, hyphenated line ends, headers and page numbers
    paper = _paper()
    text = _text(_extracted())
    # Then each paragraph's text is found whole: words rejoined, ligatures expanded,
    # and no header, footer or page number inserted where a page or column breaks
    missing = [paragraph.marker for paragraph in paper.paragraphs if paragraph.text not in text]
    assert missing == []


def test_ligatures_are_expanded():
    paper = _paper()
    raw = "".join(page.get_text() for page in pymupdf.open(stream=paper.pdf, filetype="pdf"))
    assert _has_ligatures(raw)  # the PDF really uses ligature glyphs
    text = _text(_extracted())
    assert not _has_ligatures(text)
    for word in ("efficient", "workflow", "different", "shuffles", "coefficient", "baffling"):
        assert word in text


def _has_ligatures(text: str) -> bool:
    return bool(LIGATURE_CHARS & set(text))


def test_hyphenated_line_ends_are_joined():
    # Given words the layout broke across lines ("repre-" / "sentation")
    paper = _paper()
    plain = [word for word in paper.hyphenated_words if "-" not in word]
    assert len(plain) >= 10
    text = _text(_extracted())
    words = set(text.replace("\n", " ").split(" "))
    # Then each is whole again, and no fragment with a trailing hyphen is left
    for word in plain:
        assert word in text
    assert not [w for w in words if w.endswith("-")]


def test_real_hyphens_survive_a_line_break():
    # Given a paper where compounds were broken at one of their own hyphens
    paper = _paper(seed=2, pages=2)
    compounds = [word for word in paper.hyphenated_words if "-" in word]
    assert compounds, "the layout must break at least one compound for this test"
    text = _text(_extracted(seed=2, pages=2))
    # Then the compound keeps all its hyphens
    for compound in compounds:
        assert compound in text
    assert "state-of-the-art" in text
    assert "stateoftheart" not in text


def test_running_headers_and_page_numbers_are_dropped():
    # Given the same paper with and without a running header and page numbers
    with_furniture = _extracted()
    without = _extracted(with_header_footer=False)
    # Then the passages are the same: the furniture left no trace
    assert [(p.section, p.text) for p in with_furniture.passages] == [(p.section, p.text) for p in without.passages]
    short_title = _paper().short_title
    assert _text(with_furniture).count(short_title) == 1  # only the title itself


def test_single_column_papers_read_top_to_bottom():
    paper = _paper(two_columns=False, pages=3)
    document = _extracted(two_columns=False, pages=3)
    assert markers_in(_text(document)) == list(paper.markers)
    assert [p.marker for p in paper.paragraphs if p.text not in _text(document)] == []


# --- sections, references, passages -------------------------------------------------------


def test_section_headings_are_detected():
    paper = _paper()
    document = _extracted()
    assert document.sections == paper.sections
    assert document.sections[:3] == ("Abstract", "1 Introduction", "2 Related Work")
    assert "2.1 Evaluation Protocol" in document.sections
    assert document.sections[-2:] == ("Acknowledgments", "References")


def test_each_passage_carries_the_section_of_its_paragraphs():
    paper = _paper()
    section_of = {paragraph.marker: paragraph.section for paragraph in paper.paragraphs}
    document = _extracted()
    for passage in document.passages:
        markers = markers_in(passage.text)
        if markers:  # the title block before "Abstract" has none
            assert {section_of[marker] for marker in markers} == {passage.section}
    assert document.passages[0].section == ""
    assert document.passages[0].text.startswith(TITLE)


def test_references_are_kept_apart():
    paper = _paper()
    document = _extracted()
    references = [p for p in document.passages if p.is_reference]
    assert references
    assert all(p.section == "References" for p in references)
    assert markers_in("\n".join(p.text for p in references)) == list(paper.reference_markers)
    body = "\n".join(p.text for p in document.body)
    assert markers_in(body) == list(paper.body_markers)
    assert references[0].text.startswith("[1] ")


def test_a_paper_without_references_has_no_reference_passages():
    document = _extracted(with_references=False)
    assert not any(p.is_reference for p in document.passages)
    assert "References" not in document.sections


def test_passages_are_paragraph_chunks_of_bounded_size():
    document = extract_pdf(generate_paper(title=TITLE, pages=12, seed=5).pdf, max_pages=50, time_limit=60)
    sizes = [len(p.text) for p in document.passages]
    assert max(sizes) <= MAX_PASSAGE_CHARS
    within = [size for size in sizes if MIN_PASSAGE_CHARS <= size <= MAX_PASSAGE_CHARS]
    assert len(within) >= 0.6 * len(sizes)
    assert [p.position for p in document.passages] == list(range(len(document.passages)))
    # Paragraphs are separated by a blank line inside a passage and never cut mid-word
    assert any("\n\n" in p.text for p in document.passages)
    assert all(p.text == p.text.strip() for p in document.passages)


def test_passages_know_their_pages():
    paper = _paper()
    document = _extracted()
    assert document.passages[0].page_start == 1
    assert all(1 <= p.page_start <= p.page_end <= paper.page_count for p in document.passages)
    assert document.passages[-1].page_end == paper.page_count
    assert any(p.page_start < p.page_end for p in document.passages)  # a paragraph across pages


# --- what is not body text: charts, review line numbers, contents pages --------------------

# Three or more bare numbers in a row ("0.8 0.6 0.4", "0 20 40 60"): chart or table debris.
NUMBER_RUN_RE = re.compile(r"(?:(?<!\S)[-−]?\d+(?:[.,]\d+)?%?(?:\s+|$)){3,}")
# Labels of the generated charts that no sentence of the generated prose contains.
CHART_WORDS = ("Training Steps", "1 Layer", "2 Layers", "Base-7B", "Base-70B")


def _body_text(document: ExtractedDocument) -> str:
    return "\n\n".join(passage.text for passage in document.body)


def test_chart_labels_stay_out_of_the_body():
    # Given a two-column paper with a line chart in a column and two charts across the page,
    # with tick numbers, axis titles, bar values and bold legend entries ("2 Layers")
    paper = _paper(pages=5, with_figures=True)
    assert set(CHART_WORDS) <= set(paper.figure_labels)
    document = _extracted(pages=5, with_figures=True)
    body = _body_text(document)
    # Then no label is in the body passages, and no run of bare numbers either
    assert [word for word in CHART_WORDS if word in body] == []
    assert [p.position for p in document.body if NUMBER_RUN_RE.search(p.text)] == []
    # And the legend entries did not become section names
    assert document.sections == paper.sections


def test_chart_labels_are_kept_as_figure_text_of_their_page_and_section():
    paper = _paper(pages=5, with_figures=True)
    document = _extracted(pages=5, with_figures=True)
    figures = document.figure_text
    # One passage per chart: the column chart on page 1, the two across page 3
    assert [(p.page_start, p.page_end) for p in figures] == [(1, 1), (3, 3), (3, 3)]
    assert all(p.is_figure_text and not p.is_reference for p in figures)
    assert "0.8" in figures[0].text and "0 20 40 60 80 100 Training Steps" in figures[0].text
    assert "1 Layer" in figures[0].text and "2 Layers" in figures[0].text
    assert all(label in " ".join(p.text for p in figures) for label in paper.figure_labels)
    # Each chart is filed under the section its caption is in
    caption_sections = [p.section for p in paper.paragraphs if p.marker.startswith("FG")]
    assert [figures[0].section, figures[1].section] == caption_sections
    # Figure passages come after the body and references, numbered on
    assert [p.position for p in document.passages] == list(range(len(document.passages)))
    assert document.passages[-len(figures) :] == figures


def test_a_paper_with_charts_still_reads_every_paragraph_and_caption_in_order():
    paper = _paper(pages=5, with_figures=True)
    text = _text(_extracted(pages=5, with_figures=True))
    assert markers_in(text) == list(paper.markers)
    assert [p.marker for p in paper.paragraphs if p.text not in text] == []
    assert any(marker.startswith("FG") for marker in paper.markers)


# Between them, every kind of chart in every place: the line chart and the scatter plot in a
# column (beside the other column's text, or alone), the bar panels and the heatmap across.
@pytest.mark.parametrize(("two_columns", "seed"), [(True, 0), (False, 1)], ids=["two-column", "single-column"])
def test_matplotlib_charts_leave_no_label_in_the_body_wherever_they_sit(two_columns, seed):
    # Given matplotlib's own PDFs included whole: a line chart on a transparent background with
    # slanted tick labels and its legend outside the axes, or a scatter plot with annotated
    # points, in a column beside the other column's text; across the page, two bar panels with
    # one legend above and printed values, and a heatmap image with its colour bar
    paper = _paper(pages=6, two_columns=two_columns, with_figures="matplotlib", seed=seed)
    document = _extracted(pages=6, two_columns=two_columns, with_figures="matplotlib", seed=seed)

    # Then no label is in a body passage (labels are matched as whole words)
    body = document.body
    leaked = {
        label
        for label in paper.figure_labels
        for passage in body
        if re.search(rf"(?<![\w.]){re.escape(label)}(?![\w.])", passage.text)
    }
    assert leaked == set()
    # ...they are figure text, and every paragraph and caption is read, in order, in the body
    figure_text = " ".join(p.text for p in document.figure_text)
    assert {"Training steps", "Mistral 7B", "GPT-4", "Attention to the first token"} & set(paper.figure_labels) <= {
        label for label in paper.figure_labels if label in figure_text
    }
    assert markers_in(_body_text(document)) == [m for m in paper.markers if not m.startswith("RF")]


def test_prose_in_a_framed_box_stays_body_text():
    # Given a paragraph set inside a shaded box (a "takeaway" box), a drawing behind text
    document = extract_pdf(pdfgen.make_boxed_prose_pdf(), max_pages=5, time_limit=60)
    # Then the box is no chart: its sentences are body text
    body = _body_text(document)
    assert "The boxed takeaway says that retrieval helps most on long documents." in body
    assert document.figure_text == ()


@pytest.mark.parametrize(
    ("style", "printed"),
    [("ruler", "042"), ("lines", "42")],
    ids=["ICLR-ruler-between-baselines", "lineno-on-each-baseline"],
)
def test_a_review_copys_line_numbers_leave_no_trace(style, printed):
    # Given the same paper as a line-numbered review copy: numbers down both margins, either
    # a ruler between the text's baselines or one number on each printed line
    plain = _extracted(pages=4)
    review = _extracted(pages=4, line_numbers=style)
    raw = "".join(page.get_text() for page in pymupdf.open(stream=_paper(pages=4, line_numbers=style).pdf))
    assert re.search(rf"^{printed}$", raw, re.MULTILINE)  # the numbers are really there
    # Then the passages are exactly those of the clean copy: words split by a number are
    # whole again, headings have no number glued on, references are found
    assert [(p.section, p.text, p.is_reference) for p in review.passages] == [
        (p.section, p.text, p.is_reference) for p in plain.passages
    ]
    assert "References" in review.sections
    assert not re.search(r"\b\d{3}\b", _body_text(review))


def test_a_review_copy_with_charts_and_contents_reads_like_the_clean_paper():
    options = {"pages": 5, "with_figures": True, "with_contents": True, "math_heading": True}
    clean = _extracted(**options)
    review = _extracted(**options, line_numbers=True)
    assert [(p.section, p.text) for p in review.passages] == [(p.section, p.text) for p in clean.passages]


def test_a_contents_page_gives_no_section_names():
    # Given a contents page after the first: bold section entries with their page numbers far
    # right, subsection entries with dotted leaders
    paper = _paper(pages=4, with_contents=True)
    document = _extracted(pages=4, with_contents=True)
    raw = pymupdf.open(stream=paper.pdf)[paper.contents_page - 1].get_text()
    assert "Contents" in raw and "1 Introduction" in raw and ". . . ." in raw
    # Then the sections are the paper's own, once each, and the entries are in no passage
    assert document.sections == paper.sections
    assert ". . . ." not in _text(document)
    assert "Contents" not in _text(document)
    assert [p.marker for p in paper.paragraphs if p.text not in _text(document)] == []
    assert document.page_count == paper.page_count == 5


def test_a_bold_heading_with_a_math_symbol_stays_a_heading():
    # Given "2.1 Scaling with N_params": body-size bold words, an italic N, a smaller subscript
    paper = _paper(pages=4, math_heading=True)
    assert "2.1 Scaling with Nparams" in paper.sections
    document = _extracted(pages=4, math_heading=True)
    # Then it opens a section like any other heading
    assert document.sections == paper.sections
    section_of = {p.marker: p.section for p in paper.paragraphs}
    under = [p for p in document.passages if p.section == "2.1 Scaling with Nparams"]
    assert under and all({section_of[m] for m in markers_in(p.text)} == {p.section} for p in under)


def test_a_bold_run_in_head_is_no_heading():
    # Given paragraphs that open with a bold run-in head ("Setup. We train…"), as \paragraph does
    document = extract_pdf(pdfgen.make_run_in_heads_pdf(), max_pages=5, time_limit=60)
    # Then they stay paragraphs of the section they are in
    assert document.sections == ("Abstract", "1 Introduction")
    assert "Setup. We train every model on the same data" in _text(document)


def test_headings_as_real_papers_set_them():
    # Given an IEEE heading in plain capitals with "RQ1:" in it, and a long bold heading, each
    # wrapped onto a second line, a heading with a version number (BERT's "4.2 SQuAD v1.1"),
    # and a bold line of measurements
    document = extract_pdf(pdfgen.make_wrapped_headings_pdf(), max_pages=5, time_limit=60)
    # Then each heading is one section name, its second line is not the start of the body,
    # and the measurements are no heading
    assert document.sections == (
        "Abstract",
        "IV. RQ1: HOW COMMON DO PROJECTS APPLY CONVENTIONAL COMMITS?",
        "5.2 Scene Motion Planning Pipeline for Long-Horizon Household Tasks",
        "5.3 SQuAD v1.1",
    )
    texts = {p.section: p.text for p in document.passages}
    assert texts[document.sections[1]].startswith("Projects that adopt the convention do so early")
    assert texts[document.sections[2]].startswith("The planner proposes waypoints for each step")


# --- tables ------------------------------------------------------------------------------

TABLE_CELLS = ("87.3%", "99.7%", "Claude Haiku 4.5", "80.6/80.1", "BiLSTM+ELMo+Attn", "MNLI-(m/mm)")


@pytest.mark.parametrize("rules", ["booktabs", "grid"])
def test_a_table_is_a_passage_of_its_own_caption_first_then_a_row_per_line(rules):
    # Given a two-column paper with a booktabs table in a column, captioned above, that cuts a
    # paragraph in two, and one across both columns at the top of a page, captioned below (or
    # the same tables ruled both ways)
    paper = _paper(pages=5, with_tables=rules)
    # When it is extracted
    document = _extracted(pages=5, with_tables=rules)
    # Then each table is one body passage: its caption, then its rows with cells apart
    assert [p.text for p in document.tables] == [table.text for table in paper.tables]
    column_table = document.tables[0].text.splitlines()
    assert column_table[0] == "Table 1: Repeated-call self-consistency of each judge model."
    assert column_table[2] == "Claude Haiku 4.5 | 300 | 87.3%"
    assert all(p in document.body and not p.is_figure_text for p in document.tables)
    # And no chart was seen in the rules of a grid
    assert document.figure_text == ()


@pytest.mark.parametrize("rules", ["booktabs", "grid"])
def test_prose_around_a_table_reads_as_written_without_its_cells(rules):
    paper = _paper(pages=5, with_tables=rules)
    document = _extracted(pages=5, with_tables=rules)
    prose = [p for p in document.passages if not p.is_table]
    prose_text = "\n\n".join(p.text for p in prose)
    # The paragraph the column table interrupts reads on across it, whole, in one passage
    interrupted = next(p for p in paper.paragraphs if p.marker == paper.interrupted_marker)
    assert any(interrupted.text in p.text for p in prose)
    # Every paragraph reads exactly as written, in order, and none holds a cell or a caption
    assert [p.marker for p in paper.paragraphs if p.text not in prose_text] == []
    assert markers_in(prose_text) == list(paper.markers)
    assert [cell for cell in TABLE_CELLS if cell in prose_text] == []
    assert "Table 1:" not in prose_text and "Table 2:" not in prose_text
    # And the sections are the paper's own
    assert document.sections == paper.sections


def test_a_table_is_read_where_it_stands_in_its_section():
    paper = _paper(pages=5, with_tables=True)
    document = _extracted(pages=5, with_tables=True)
    column_table, wide_table = document.tables
    # The column table comes right after the paragraph it interrupts, in that paragraph's section
    before = document.passages[column_table.position - 1]
    assert paper.interrupted_marker in markers_in(before.text)
    assert column_table.section == before.section == "1 Introduction"
    # The table across the page opens its page, before either column
    assert wide_table.page_start == 3
    after = document.passages[wide_table.position + 1]
    assert after.page_start == 3 and not after.is_table


def test_a_table_too_long_for_one_passage_is_cut_between_rows():
    # Given a table of many rows (what _table_pieces gets from a stand-in)
    from papernotes.ingestion.pdf_text import _table_pieces

    rows = [f"Model {n} | {n}.5 | {n % 7}.25%" for n in range(200)]
    pieces = _table_pieces(["Table 9: Every model we ran.", *rows])
    # Then every piece fits, no row is cut, and later pieces say which table they continue
    assert all(len(piece) <= MAX_PASSAGE_CHARS for piece in pieces)
    assert pieces[0].startswith("Table 9: Every model we ran.\nModel 0 | 0.5 | 0.25%")
    assert all(piece.startswith("Table 9 (continued)\n") for piece in pieces[1:])
    read = [line for piece in pieces for line in piece.splitlines() if line.startswith("Model")]
    assert read == rows


# --- PDFs that cannot be used -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (pdfgen.make_corrupt_pdf, "corrupt", "PDF ファイルが壊れている"),
        (lambda: pdfgen.make_paper_pdf(title=TITLE, pages=2)[:20000], "corrupt", "壊れている"),
        (lambda: b"<!DOCTYPE html><html><body>Not Found</body></html>", "corrupt", "PDF ファイルではありません"),
        (pdfgen.make_encrypted_pdf, "encrypted", "パスワード"),
        (lambda: b"", "empty", "PDF ファイルが空です"),
        (lambda: pdfgen.make_empty_pdf(zero_pages=True), "empty", "ページがありません"),
        (pdfgen.make_empty_pdf, "empty", "本文のテキストがありません"),
        (pdfgen.make_image_only_pdf, "image_only", "画像だけ"),
    ],
    ids=["noise", "truncated", "html", "encrypted", "zero-bytes", "zero-pages", "blank-pages", "scanned"],
)
def test_unusable_pdfs_are_refused_with_a_code_and_a_japanese_message(make, code, fragment):
    # Given a PDF that cannot give text
    # When it is extracted
    with pytest.raises(PdfExtractionError) as info:
        extract_pdf(make(), max_pages=50, time_limit=60)
    # Then the code says why and the message tells the editor in Japanese
    assert info.value.code == code
    assert fragment in str(info.value)
    # ...and the pipeline's one error type, final: the same bytes fail the same way again.
    assert isinstance(info.value, ExternalError) and not info.value.retryable


def test_too_many_pages_is_refused_before_reading():
    with pytest.raises(PdfExtractionError) as info:
        extract_pdf(_paper().pdf, max_pages=3, time_limit=60)
    assert info.value.code == "too_many_pages"
    assert str(info.value) == "PDF のページ数が多すぎます(4 ページ。上限は 3 ページです)。"


def test_the_time_limit_is_checked_between_pages():
    with pytest.raises(PdfExtractionError) as info:
        extract_pdf(_paper().pdf, max_pages=50, time_limit=0)
    assert info.value.code == "timeout"
    assert "制限時間(0 秒)" in str(info.value)
    assert "0/4 ページ" in str(info.value)


@pytest.mark.parametrize("seed", range(12))
def test_damaged_pdfs_never_raise_anything_else(seed):
    # Given a real paper with bytes flipped, zeroed or cut off
    rng = random.Random(seed)
    data = bytearray(_paper(pages=2).pdf)
    if seed % 3 == 0:
        for _ in range(30):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif seed % 3 == 1:
        del data[rng.randrange(len(data)) :]
    else:
        start = rng.randrange(len(data))
        data[start : start + 800] = bytes(800)
    # When it is extracted, it either works or fails as a PdfExtractionError
    try:
        document = extract_pdf(bytes(data), max_pages=50, time_limit=60)
    except PdfExtractionError as error:
        assert error.code in {"corrupt", "empty"}
    else:
        assert document.page_count >= 1


def test_a_repaired_pdf_is_read_with_a_warning():
    # Given a paper whose end (cross-reference table) is damaged, which MuPDF can repair
    data = _paper(pages=2).pdf
    damaged = data[:-200] + b"garbage" * 10
    document = extract_pdf(damaged, max_pages=50, time_limit=60)
    assert document.passages
    (warning,) = document.warnings
    assert warning == "PDF の一部が壊れていたため修復して読み込みました。本文が欠けている可能性があります。"
    assert _extracted(pages=2).warnings == ()


def test_the_garbage_collector_is_left_as_it_was_found():
    # Given a process whose collector is on (extraction pauses it while it reads)
    assert gc.isenabled()
    # When a PDF is extracted, or refused
    extract_pdf(_paper(pages=2).pdf, max_pages=50, time_limit=60)
    with pytest.raises(PdfExtractionError):
        extract_pdf(pdfgen.make_empty_pdf(), max_pages=50, time_limit=60)
    # Then the collector is on again
    assert gc.isenabled()
    # ...and a caller who had turned it off finds it off
    gc.disable()
    try:
        extract_pdf(_paper(pages=2).pdf, max_pages=50, time_limit=60)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_importable_and_usable_without_django_settings():
    # Given a bare Python process (the benchmark runs like this)
    code = (
        "from papernotes.ingestion.pdf_text import extract_pdf, PdfExtractionError\n"
        "try:\n"
        "    extract_pdf(b'', max_pages=1, time_limit=1)\n"
        "except PdfExtractionError as error:\n"
        "    print(error.code, error)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "empty PDF ファイルが空です(0 バイト)。取得し直してください。"
