"""parse_paper_list: what an editor pastes becomes papers, refusals and duplicates, nothing lost."""

from datetime import date
from pathlib import Path

import pytest

from papernotes.ingestion.ids import ArxivRef
from papernotes.ingestion.paper_list import PaperListError, parse_paper_list

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ml-papers-of-the-week-2024-04-29.md"

WEEK_2024_IDS = [
    "2404.19756",
    "2404.19737",
    "2404.18416",
    "2404.19705",
    "2404.19543",
    "2405.01535",
    "2405.00675",
    "2405.00208",
    "2404.18930",
    "2405.00200",
]


@pytest.fixture
def readme() -> str:
    return FIXTURE.read_text(encoding="utf-8")


def _section(readme: str, heading_start: str) -> str:
    """The lines of one week's section, as an editor would copy it from the README."""
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading_start))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end])


def test_the_2024_week_gives_its_ten_papers_in_order(readme):
    # Given the README with two weeks, and the editor choosing the week of 2024-04-29
    # When it is parsed
    result = parse_paper_list(readme, week=date(2024, 4, 29))
    # Then the ten arXiv papers of that week come out in the list's order, with their titles
    assert [entry.ref.arxiv_id for entry in result.entries] == WEEK_2024_IDS
    assert result.week_start == date(2024, 4, 29)
    assert result.entries[0].title == "Kolmogorov-Arnold Networks"
    assert result.entries[1].title == "Better and Faster LLMs via Multi-token Prediction"
    assert result.entries[3].title == "When to Retrieve?"
    assert all(entry.ref.version is None for entry in result.entries)
    assert result.rejected == ()
    assert result.duplicates == ()


def test_entries_point_back_at_the_pasted_line(readme):
    result = parse_paper_list(readme, week=date(2024, 4, 29))
    first = result.entries[0]
    assert readme.splitlines()[first.line_no - 1] == first.source_text
    assert "https://arxiv.org/abs/2404.19756" in first.source_text


def test_a_single_pasted_section_knows_its_week(readme):
    # Given only the 2024 section (heading and table) pasted
    result = parse_paper_list(_section(readme, "## Top ML Papers of the Week (April 29"))
    # Then the week comes from its heading without being asked
    assert result.week_start == date(2024, 4, 29)
    assert [entry.ref.arxiv_id for entry in result.entries] == WEEK_2024_IDS


def test_the_2025_rows_keep_non_arxiv_rows_as_refusals(readme):
    # Given the 2025-style section: plain titles, a versioned PDF link, a blog and a broken row
    result = parse_paper_list(readme, week=date(2025, 6, 23))
    # Then the two arXiv papers are entries, the titles end at the two spaces
    assert [entry.ref for entry in result.entries] == [ArxivRef("2506.01234"), ArxivRef("2506.04321", 2)]
    assert [entry.title for entry in result.entries] == [
        "Example Paper With Plain Title",
        "A Paper Linked With Version",
    ]
    # And the editor sees why the other two rows are not papers
    blog, no_link = result.rejected
    assert blog.title == "A Blog Post Not On arXiv"
    assert blog.text == "https://example.org/post"
    assert blog.reason == "arXiv の論文ではありません(リンク先: example.org)"
    assert no_link.title == "A Row Without Paper Link"
    assert no_link.reason == "論文へのリンクがありません"
    assert result.week_start == date(2025, 6, 23)


def test_several_weeks_without_a_choice_keep_every_row_but_claim_no_week(readme):
    # Given the whole README and no week chosen
    result = parse_paper_list(readme)
    # Then nothing is dropped, but no week is guessed
    assert len(result.entries) == 12
    assert len(result.rejected) == 2
    assert result.week_start is None
    assert [(week.label, week.start) for week in result.weeks] == [
        ("Top ML Papers of the Week (April 29 - May 5) - 2024", date(2024, 4, 29)),
        ("Top ML Papers of the Week (June 23 - June 29) - 2025", date(2025, 6, 23)),
    ]


def test_a_week_that_is_not_in_the_text_is_refused(readme):
    with pytest.raises(PaperListError) as info:
        parse_paper_list(readme, week=date(2024, 5, 6))
    assert "2024-05-06 から始まる週の見出しが見つかりません" in str(info.value)


def test_a_heading_without_year_gives_no_week():
    # Given a heading as older README sections write it, without the year
    text = (
        "## Top ML Papers of the Week (April 29 - May 5)\n"
        "| **Paper**  | **Links** |\n"
        "| ------------- | ------------- |\n"
        "| 1) **Kolmogorov-Arnold Networks** - an alternative to MLPs. | [Paper](https://arxiv.org/abs/2404.19756) |\n"
    )
    result = parse_paper_list(text)
    # Then the paper is read, but the week is left for the editor to say
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2404.19756"]
    assert result.week_start is None
    assert result.weeks[0].start is None


def test_a_week_across_new_year_starts_on_the_monday():
    text = (
        "## Top AI Papers of the Week (December 30 - January 5) - 2025\n"
        "| 1) **A Paper** - text | [Paper](https://arxiv.org/abs/2412.19437) |\n"
    )
    assert parse_paper_list(text).week_start == date(2024, 12, 30)


def test_a_plain_list_of_ids_and_urls():
    # Given ids and URLs one per line, on one line with commas, and as list items
    text = (
        "2404.19756\n"
        "arXiv:2404.19737, https://arxiv.org/abs/2404.18416v2\n"
        "1. https://arxiv.org/pdf/2405.00200.pdf\n"
        "- [Paper](https://arxiv.org/abs/2405.00675)\n"
    )
    result = parse_paper_list(text)
    assert [entry.ref.versioned for entry in result.entries] == [
        "2404.19756",
        "2404.19737",
        "2404.18416v2",
        "2405.00200",
        "2405.00675",
    ]
    assert [entry.line_no for entry in result.entries] == [1, 2, 2, 3, 4]
    assert all(entry.title is None for entry in result.entries)
    assert result.week_start is None


def test_duplicates_keep_the_first_mention_with_the_highest_version():
    # Given the same paper three times, once without a version, then v2, then v1
    text = "2405.01535\nhttps://arxiv.org/abs/2404.19756\narXiv:2405.01535v2\nhttps://arxiv.org/pdf/2405.01535v1\n"
    result = parse_paper_list(text)
    # Then it is listed once, where it was first mentioned, at v2
    assert [entry.ref for entry in result.entries] == [ArxivRef("2405.01535", 2), ArxivRef("2404.19756")]
    assert result.entries[0].line_no == 1
    # And the later mentions are reported, pointing at the first
    assert [(dup.line_no, dup.ref.versioned, dup.first_line_no) for dup in result.duplicates] == [
        (3, "2405.01535v2", 1),
        (4, "2405.01535v1", 1),
    ]


def test_duplicates_across_old_style_subject_class():
    result = parse_paper_list("math.AG/0601001\nmath/0601001v2\n")
    assert [entry.ref for entry in result.entries] == [ArxivRef("math/0601001", 2)]
    assert len(result.duplicates) == 1


def test_nothing_pasted_is_silently_dropped_from_a_plain_list():
    # Given a list with a blog URL and a mistyped id among the papers
    result = parse_paper_list("2404.19756\nhttps://example.org/paper.pdf\n2405.0153\n")
    # Then both appear as refusals with the reason in Japanese
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2404.19756"]
    blog, typo = result.rejected
    assert (blog.line_no, blog.text) == (2, "https://example.org/paper.pdf")
    assert blog.reason == "arXiv の論文ではありません(リンク先: example.org)"
    assert (typo.line_no, typo.text) == (3, "2405.0153")
    assert "2405.0153" in typo.reason
    assert "桁数が正しくありません" in typo.reason


def test_a_table_row_whose_arxiv_link_has_no_paper_id_is_refused():
    text = "| 1) **Some List** - a listing page | [Paper](https://arxiv.org/list/cs.CL/recent) |\n"
    result = parse_paper_list(text)
    assert result.entries == ()
    (row,) = result.rejected
    assert row.title == "Some List"
    assert "論文の ID が含まれていません" in row.reason


def test_an_arxiv_link_in_the_row_is_used_when_the_paper_link_is_elsewhere():
    text = "| 1) **A Paper** - text | [Paper](https://github.com/org/repo), [arXiv](https://arxiv.org/abs/2405.00200) |"
    result = parse_paper_list(text)
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2405.00200"]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_input_is_refused(text):
    with pytest.raises(PaperListError, match="貼り付けられたテキストが空です"):
        parse_paper_list(text)


def test_text_with_no_paper_in_it_is_refused():
    with pytest.raises(PaperListError, match="arXiv の ID や URL が見つかりません"):
        parse_paper_list("Here are this week's papers\nthanks!")


def test_a_readme_table_with_only_headers_is_refused():
    with pytest.raises(PaperListError, match="論文の一覧として読み取れる行がありません"):
        parse_paper_list("| **Paper**  | **Links** |\n| ------------- | ------------- |\n")


def test_prose_around_the_table_adds_only_arxiv_references():
    # Given a README excerpt with its contents list and a paper the editor added below the table
    text = (
        "- [Top ML Papers of the Week (April 29 - May 5)](https://github.com/dair-ai/ML-Papers-of-the-Week#top)\n"
        "## Top ML Papers of the Week (April 29 - May 5) - 2024\n"
        "| 1) **Kolmogorov-Arnold Networks** - text | [Paper](https://arxiv.org/abs/2404.19756) |\n"
        "Also this one: arXiv:2405.01535v2\n"
    )
    result = parse_paper_list(text)
    # Then the contents link is no paper and no refusal, the added id is an entry
    assert [entry.ref.versioned for entry in result.entries] == ["2404.19756", "2405.01535v2"]
    assert result.rejected == ()
    assert result.week_start == date(2024, 4, 29)
