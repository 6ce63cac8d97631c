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


def test_a_single_section_without_year_explains_why_it_has_no_week():
    text = (
        "## Top ML Papers of the Week (May 1-7)\n"
        "| 1) **A Paper** - text | [Paper](https://arxiv.org/abs/2305.01863) |\n"
    )
    result = parse_paper_list(text)
    assert result.week_start is None
    assert result.week_problem == (
        "見出し「Top ML Papers of the Week (May 1-7)」に年が書かれていないため、週を決められません。"
        "週の開始日(月曜日)を指定してください。"
    )
    # And with the editor's week, the same text is that week, nothing to remark
    with_week = parse_paper_list(text, week=date(2023, 5, 1))
    assert (with_week.week_start, with_week.week_problem, with_week.notices) == (date(2023, 5, 1), None, ())


# --- whole lists: several weeks, years from the neighbours ----------------------------------

# Four weeks across New Year, newest first, as the list runs: only 2024 headings carry a year,
# and the 2024 one starts on a Sunday (the list's own off-by-one).
NEW_YEAR_LIST = """\
## Top ML Papers of the Week (January 8 - January 14) - 2024
| **Paper**  | **Links** |
| ------------- | ------------- |
| 1) **Paper Of January Eight** - text. | [Paper](https://arxiv.org/abs/2401.04088), [Tweet](https://x.com/a/status/1) |

## Top ML Papers of the Week (December 31 - January 7) - 2024
| **Paper**  | **Links** |
| ------------- | ------------- |
| 1) **Paper Of New Year** - text. | [Paper](https://arxiv.org/abs/2401.01335), [Tweet](https://x.com/a/status/2) |

## Top ML Papers of the Week (December 25 - December 31)
| **Paper**                         | **Links**                                   |
| --------------------------------- | ------------------------------------------- |
| 1) **Paper Of Christmas** - x. | [Paper](https://arxiv.org/abs/2312.08914), [Tweet](https://twitter.com/a/3?s=2) |
| 2) **Second Of Christmas** - x. | [Paper](https://arxiv.org/abs/2312.10868), [Tweet](https://twitter.com/a/4?s=2) |

## Top ML Papers of the Week (Dec 18 - Dec 24)
| **Paper**                         | **Links**                                   |
| --------------------------------- | ------------------------------------------- |
| 1) **Paper Of December** - x.  | [Paper](https://arxiv.org/abs/2312.11444), [Tweet](https://twitter.com/a/5?s=2) |
"""


def test_a_whole_list_knows_every_weeks_monday_across_new_year():
    result = parse_paper_list(NEW_YEAR_LIST)
    assert [week.start for week in result.weeks] == [
        date(2024, 1, 8),
        date(2024, 1, 1),
        date(2023, 12, 25),
        date(2023, 12, 18),
    ]
    # No week chosen: every row is kept, and the reason there is no week is the real one
    assert len(result.entries) == 5
    assert result.week_start is None
    assert result.week_problem.startswith("4 週分の見出しが貼り付けられています(")


@pytest.mark.parametrize(
    ("week", "ids"),
    [
        (date(2024, 1, 1), ["2401.01335"]),
        (date(2023, 12, 25), ["2312.08914", "2312.10868"]),
        (date(2023, 12, 18), ["2312.11444"]),
    ],
)
def test_a_whole_list_gives_the_week_the_editor_picks_even_without_a_year_in_its_heading(week, ids):
    result = parse_paper_list(NEW_YEAR_LIST, week=week)
    assert [entry.ref.arxiv_id for entry in result.entries] == ids
    assert result.week_start == week
    assert result.notices == ()


def test_a_list_of_2023_weeks_alone_is_placed_by_the_editors_week():
    # Given only the 2023 part: no heading has a year
    text = NEW_YEAR_LIST[NEW_YEAR_LIST.index("## Top ML Papers of the Week (December 25") :]
    result = parse_paper_list(text, week=date(2023, 12, 18))
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2312.11444"]
    assert [week.start for week in result.weeks] == [date(2023, 12, 25), date(2023, 12, 18)]


def test_a_week_the_list_does_not_have_is_an_error_about_the_week():
    with pytest.raises(PaperListError) as info:
        parse_paper_list(NEW_YEAR_LIST, week=date(2023, 12, 11))
    assert info.value.field == "week_start"
    assert "2023-12-11 から始まる週の見出しが見つかりません" in str(info.value)
    assert "ほか 1 件" in str(info.value)


def test_one_section_and_another_week_given_is_that_week_with_a_notice(readme):
    # Given the 2024-04-29 section alone, and the editor preparing the issue of 2024-05-06
    section = _section(readme, "## Top ML Papers of the Week (April 29")
    result = parse_paper_list(section, week=date(2024, 5, 6))
    # Then the section's papers are that week's, and the editor is told the heading differs
    assert [entry.ref.arxiv_id for entry in result.entries] == WEEK_2024_IDS
    assert result.week_start == date(2024, 5, 6)
    (notice,) = result.notices
    assert "2024-04-29 からの週ですが、指定された週 2024-05-06 の号として読み込みました" in notice


def test_a_heading_in_an_html_comment_is_no_section():
    text = (
        "<!-- ## Top ML Papers of the Week (April 22 - April 28) - 2024 -->\n"
        "## Top ML Papers of the Week (April 29 - May 5) - 2024\n"
        "| 1) **Kolmogorov-Arnold Networks** - text | [Paper](https://arxiv.org/abs/2404.19756) |\n"
    )
    result = parse_paper_list(text, week=date(2024, 4, 29))
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2404.19756"]
    assert len(result.weeks) == 1


# --- rows as the list wrote them over the years ----------------------------------------------


def _row(description: str, links: str = "[Paper](https://arxiv.org/abs/2501.06252), [Tweet](https://x.com/a/status/1)"):
    return f"| 1) {description} | {links} |"


def _title(description: str) -> str | None:
    (entry,) = parse_paper_list(_row(description)).entries
    return entry.title


@pytest.mark.parametrize(
    ("description", "title"),
    [
        # 2023: bold title with a colon, padded cells
        (
            "**Muse-Like Models: Text-To-Image Generation via Masked Transformers** - introduces a model;"
            " more efficient than diffusion models.                                      ",
            "Muse-Like Models: Text-To-Image Generation via Masked Transformers",
        ),
        # 2024: bold title, spaced dash
        ("**Kolmogorov-Arnold Networks** - learnable activations on edges.", "Kolmogorov-Arnold Networks"),
        ("  **Large Concept Models** - works on sentence-level representations.", "Large Concept Models"),
        # Early 2025: plain title, single spaces, a dash (hyphen, en or em) before the description
        (
            "Self-Tuning LLMs - introduces a self-adaptation framework that adapts LLMs to unseen tasks in real time;"
            " it adjusts singular components of weight matrices and is more efficient than LoRA with fewer parameters"
            " across different LLM architectures and tasks, with results on many benchmarks.",
            "Self-Tuning LLMs",
        ),
        ("Long Context vs. RAG for LLMs – evaluates long-context models against RAG.", "Long Context vs. RAG for LLMs"),
        ("1.58-bit Image Models — quantizes a state-of-the-art model.", "1.58-bit Image Models"),
        ("Can LLMs Design Good Questions? - evaluates the questions LLMs write.", "Can LLMs Design Good Questions?"),
        # 2025: two spaces end the title, bullets follow line breaks
        (
            "Fast Diffusion Language Models  This paper introduces a family of diffusion LLMs - fast. "
            "<br>● Parallel decoding - many tokens at once <br>● Coarse-to-fine refinement",
            "Fast Diffusion Language Models",
        ),
        ("PaperBench  OpenAI introduces a benchmark.   ● A rigorous replication challenge", "PaperBench"),
        ("Command B: An Enterprise-Ready LLM  Cohere announced a model.", "Command B: An Enterprise-Ready LLM"),
        ("A Title Alone<br>● and a bullet", "A Title Alone"),
        # 2025 rows whose title ends at a single space: the description's first words end it
        (
            "A Memory Operating System for LLM Agents Introduces a unified operating system for managing memory,"
            " addressing a key limitation in  current architectures: their lack of persistent memory.",
            "A Memory Operating System for LLM Agents",
        ),
        (
            "Conversational Agents with Workflow Graphs This paper presents a pragmatic framework for building"
            " agents with workflow graphs, with a focus on e-commerce scenarios and  evaluation.",
            "Conversational Agents with Workflow Graphs",
        ),
        # Colons: titles use them all the time…
        ("KAN: Kolmogorov-Arnold Networks", "KAN: Kolmogorov-Arnold Networks"),
        ("Scaling MLPs: A Tale of Inductive Bias", "Scaling MLPs: A Tale of Inductive Bias"),
        # …a colon ends the title only before a sentence, after more than an acronym
        (
            "Scaling Test-Time Compute: we show that spending more compute at inference time beats a larger model",
            "Scaling Test-Time Compute",
        ),
        (
            "MEM2: a framework that learns to consolidate memory and reasoning into a compact state",
            "MEM2: a framework that learns to consolidate memory and reasoning into a compact state",
        ),
        # Markdown and HTML inside the title cell
        ("[Linked Title](https://example.org/) - a description.", "Linked Title"),
    ],
)
def test_row_titles_end_where_an_editor_sees_them_end(description, title):
    assert _title(description) == title


def test_a_title_that_runs_on_is_cut_short():
    # Given a plain row with no separator at all: 700 characters of description
    description = "Plain Title Running Into Its Description " + "with many words and nothing to end it " * 18
    title = _title(description)
    # Then the placeholder is short, ends at a word, and says it was cut
    assert len(title) <= 120
    assert title.endswith("…")
    assert title.startswith("Plain Title Running Into Its Description with")
    assert not title[:-1].endswith(" ")


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/papers/2501.06252",
        "https://www.alphaxiv.org/abs/2501.06252",
        "https://alphaxiv.org/overview/2501.06252v2",
        "HTTPS://ARXIV.ORG/ABS/2501.06252",
    ],
)
def test_paper_links_to_hugging_face_alphaxiv_or_arxiv_in_capitals(url):
    result = parse_paper_list(_row("**A Paper** - text.", f"[Paper]({url}), [Tweet](https://x.com/a/status/1)"))
    assert [entry.ref.arxiv_id for entry in result.entries] == ["2501.06252"]
    assert result.rejected == ()


def test_a_hugging_face_model_link_is_no_paper():
    links = "[Models](https://huggingface.co/org/model-7b), [Tweet](https://x.com/a/status/1)"
    result = parse_paper_list(_row("**A Model Release** - weights on the Hub.", links))
    assert result.entries == ()
    (row,) = result.rejected
    assert row.reason == "arXiv の論文ではありません(リンク先: huggingface.co)"
