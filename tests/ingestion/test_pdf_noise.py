"""pdf_noise: which lines of a page are margin numbers, chart labels or contents entries.

The PDF-level behaviour is tested in test_pdf_text.py on generated papers; these cases pin
the rules on lines made by hand, including what must *not* be set aside.
"""

import random
from dataclasses import dataclass

import pytest

from papernotes.ingestion import pdf_noise
from papernotes.ingestion.pdf_noise import contents_rows, figure_text_groups, line_number_columns


@dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def baseline(self) -> float:
        return self.y1 - 2


def _body(top: float, count: int, *, x0: float = 54, x1: float = 300) -> list[Line]:
    text = "words of an ordinary line of body text"
    return [Line(x0, top + 12 * i, x1, top + 12 * i + 10, text) for i in range(count)]


def _numbers(values: list[int], *, x0: float, top: float = 100) -> list[Line]:
    return [Line(x0, top + 12 * i + 6, x0 + 12, top + 12 * i + 13, f"{value:03d}") for i, value in enumerate(values)]


def test_a_margin_column_of_counting_numbers_is_line_numbers():
    lines = _body(100, 10) + _numbers(list(range(42, 52)), x0=28)
    assert line_number_columns(lines) == set(range(10, 20))


def test_numbers_set_flush_left_are_one_column():
    # Given lineno's numbers as some styles print them: "98", "99", "100" share their left edge
    lines = _body(100, 10)
    for i, number in enumerate(range(96, 104)):
        lines.append(Line(34, 106 + 12 * i, 34 + 3.5 * len(str(number)), 113 + 12 * i, str(number)))
    assert line_number_columns(lines) == set(range(10, 18))


def test_every_fifth_line_numbered_counts_too():
    lines = _body(100, 10) + _numbers([5, 10, 15, 20, 25, 30], x0=28)
    assert line_number_columns(lines) == set(range(10, 16))


def test_numbers_under_the_text_are_a_table_column_not_line_numbers():
    # Given a ranked table's first column: counting numbers, but inside the text block
    lines = _body(60, 3) + _numbers(list(range(1, 9)), x0=60) + _body(220, 3)
    assert line_number_columns(lines) == set()


def test_numbers_that_do_not_count_up_are_not_line_numbers():
    lines = _body(100, 10) + _numbers([3, 17, 8, 2, 9, 40], x0=28)
    assert line_number_columns(lines) == set()


def test_a_few_numbers_are_not_a_column():
    lines = _body(100, 10) + _numbers([1, 2, 3, 4], x0=28)
    assert line_number_columns(lines) == set()


def test_labels_around_a_drawing_are_its_text_but_its_caption_is_not():
    plot = (100, 100, 300, 200)  # an axes frame
    lines = [
        Line(80, 105, 97, 112, "0.8"),  # a tick left of the frame
        Line(100, 203, 300, 210, "0 20 40 60 80 100"),  # ticks under it
        Line(170, 212, 230, 220, "Training Steps"),  # the axis title under the ticks
        Line(240, 104, 295, 111, "2 Layers"),  # a legend entry inside
        Line(60, 225, 320, 233, "Figure 2: Training loss"),  # a short caption, right under it
        Line(60, 236, 320, 244, "Training Steps"),  # the caption's next line: only the caption is near
        Line(54, 60, 320, 70, "the paragraph above the figure ends with a short line"),
    ]
    (group,) = figure_text_groups(lines, [plot], 612, 792)
    assert [lines[i].text for i in group] == ["2 Layers", "0.8", "0 20 40 60 80 100", "Training Steps"]


def test_thin_rules_and_page_backgrounds_are_no_figures():
    lines = [Line(60, 100, 200, 108, "1 Layer"), Line(60, 110, 200, 118, "0.8 0.6")]
    rules = [(54, 98, 300, 98.5), (54, 120, 300, 120.4)]  # a table's rules, a footnote rule
    background = (0, 0, 612, 792)
    assert figure_text_groups(lines, [*rules, background], 612, 792) == []


def test_a_frame_around_the_page_is_no_figure():
    # Given a page frame drawn as four rules around the text, and a heading inside it
    frame = [(40, 40, 572, 41), (40, 751, 572, 752), (40, 40, 41, 752), (571, 40, 572, 752)]
    lines = [Line(54, 100, 160, 112, "1 Introduction"), Line(54, 120, 300, 130, "0.8 0.6 0.4")]
    assert figure_text_groups(lines, frame, 612, 792) == []


def test_many_small_paths_of_one_chart_make_one_figure():
    # Given a scatter plot without a frame: two axis lines and two thousand markers
    paths = [(100, 100, 100.5, 300), (100, 299.5, 400, 300)]
    for i in range(2000):
        x, y = 110 + (i * 37) % 280, 110 + (i * 53) % 180
        paths.append((x, y, x + 2, y + 2))
    lines = [Line(100, 303, 400, 310, "0 1 2 3 4 5")]
    assert figure_text_groups(lines, paths, 612, 792) == [[0]]


@pytest.mark.parametrize("seed", range(20))
def test_paths_make_the_same_drawings_compared_pairwise_or_on_the_grid(monkeypatch, seed):
    # Given a page of frames, rules, markers and slivers, some touching, some apart
    rng = random.Random(seed)
    paths = []
    for _ in range(rng.randrange(1, 80)):
        x, y = rng.uniform(-20, 600), rng.uniform(-20, 780)
        width, height = rng.choice([0.0, 0.5, 3.0, 45.0, 200.0, -4.0]), rng.choice([0.0, 0.5, 3.0, 35.0, 150.0, -4.0])
        paths.append((x, y, x + width, y + height))
    lines = [
        Line(x, y, x + 30, y + 8, "0.5") for x, y in ((rng.uniform(0, 580), rng.uniform(0, 780)) for _ in range(30))
    ]
    # When drawings are merged both ways (the grid is meant for pages with many paths)
    found = []
    for pairwise_up_to in (0, 10_000):
        monkeypatch.setattr(pdf_noise, "_PAIRWISE_BOXES", pairwise_up_to)
        found.append(figure_text_groups(lines, paths, 612, 792))
    # Then they agree
    assert found[0] == found[1]


def test_a_contents_page_is_found_by_its_title_and_entries():
    rows = [
        Line(54, 80, 120, 94, "Contents"),
        Line(54, 100, 558, 110, "1 Introduction 3"),
        Line(70, 114, 558, 124, "1.1 Setup . . . . . . . . . . . . 3"),
        Line(54, 128, 558, 138, "2 Method 5"),
        Line(54, 142, 558, 152, "References 12"),
    ]
    assert contents_rows(rows) == {0, 1, 2, 3, 4}


def test_a_body_page_with_lines_ending_in_numbers_is_no_contents_page():
    rows = [
        Line(54, 100, 558, 110, "We trained for 3"),
        Line(54, 114, 558, 124, "Results improve by 5"),
        Line(54, 128, 558, 138, "Table 2 lists all 12"),
    ]
    assert contents_rows(rows) == set()
