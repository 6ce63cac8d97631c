"""Week headings: the Monday each one names, however the list wrote it, and why not when not."""

from datetime import date

import pytest

from papernotes.ingestion.weeks import (
    WeekNotFound,
    choose_week,
    monday_near,
    read_week_heading,
    resolve_weeks,
)


def _mondays(*headings: str, week: date | None = None) -> list[date | None]:
    read = [read_week_heading(heading, line_no) for line_no, heading in enumerate(headings, start=1)]
    assert all(read), "each test heading must read as a week heading"
    return [section.start for section in resolve_weeks(read, week=week)]


def _one(heading: str, week: date | None = None):
    (section,) = resolve_weeks([read_week_heading(heading, 1)], week=week)
    return section


@pytest.mark.parametrize(
    ("heading", "monday"),
    [
        ("## Top ML Papers of the Week (April 29 - May 5) - 2024", date(2024, 4, 29)),
        ("## Top AI Papers of the Week (June 23 - June 29) - 2025", date(2025, 6, 23)),
        # The list's own off-by-one first days: a Sunday, a Tuesday
        ("## Top ML Papers of the Week (April 6 - April 13) - 2025", date(2025, 4, 7)),
        ("## Top ML Papers of the Week (March 26 - March 31) - 2024", date(2024, 3, 25)),
        # Abbreviations, with and without dots, "Sept", en and em dashes, odd spacing
        ("## Top ML Papers of the Week (Sept. 2 – Sept. 8) – 2024", date(2024, 9, 2)),
        ("## Top ML Papers of the Week (Sep 30-Oct 6) - 2024", date(2024, 9, 30)),
        ("##   Top ML Papers of the Week  ( Mar 18 — Mar 24 )  —  2024", date(2024, 3, 18)),
        ("### top ml papers of the week (dec. 9 - dec. 15) - 2024", date(2024, 12, 9)),
        ("## Top ML Papers of the Week (May 20-26) - 2024", date(2024, 5, 20)),
        ("## Top ML Papers of the Week (July 1st - July 7th) - 2024", date(2024, 7, 1)),
        # The year inside the parentheses, or after a comma
        ("## Top ML Papers of the Week (April 29 - May 5, 2024)", date(2024, 4, 29)),
        ("## Top ML Papers of the Week (April 29 - May 5), 2024", date(2024, 4, 29)),
        # Day before month
        ("## Top ML Papers of the Week (29 April - 5 May) - 2024", date(2024, 4, 29)),
        # Across New Year: the year is the end's…
        ("## Top AI Papers of the Week (December 30 - January 5) - 2025", date(2024, 12, 30)),
        # …unless the start's year is the one that gives a Monday
        ("## Top AI Papers of the Week (December 30 - January 5) - 2024", date(2024, 12, 30)),
        ("## Top ML Papers of the Week (Dec 31 - Jan 6) - 2024", date(2024, 1, 1)),  # a Sunday start
    ],
)
def test_a_heading_names_the_monday_an_editor_reads_in_it(heading, monday):
    section = _one(heading)
    assert section.start == monday
    assert section.problem is None


def test_only_a_day_off_counts_as_the_monday():
    assert monday_near(date(2024, 4, 28)) == date(2024, 4, 29)  # Sunday
    assert monday_near(date(2024, 4, 30)) == date(2024, 4, 29)  # Tuesday
    assert monday_near(date(2024, 4, 29)) == date(2024, 4, 29)
    assert [monday_near(date(2024, 5, day)) for day in (1, 2, 3, 4)] == [None] * 4


def test_a_heading_two_days_off_a_monday_names_no_week_and_says_so():
    section = _one("## Top ML Papers of the Week (May 1 - May 7) - 2024")  # a Wednesday
    assert section.start is None
    assert section.problem == (
        "見出し「Top ML Papers of the Week (May 1 - May 7) - 2024」の最初の日(2024-05-01)が"
        "月曜日でもその前後の日でもないため、週を決められません。週の開始日(月曜日)を指定してください。"
    )


def test_a_heading_without_year_names_no_week_alone_and_says_so():
    section = _one("## Top ML Papers of the Week (May 1 - May 7)")
    assert section.start is None
    assert "年が書かれていない" in section.problem
    assert "Top ML Papers of the Week (May 1 - May 7)" in section.problem


def test_a_heading_whose_dates_cannot_be_read_says_so():
    section = _one("## Top ML Papers of the Week (the first week of May) - 2024")
    assert section.start is None
    assert "日付を読み取れない" in section.problem
    assert _one("## Top ML Papers of the Week (February 30 - March 5) - 2024").start is None


def test_a_heading_without_year_takes_it_from_the_editors_week():
    # 2023 headings carry no year; 2023-01-01 is a Sunday, so the week is Monday 2023-01-02
    assert _one("## Top ML Papers of the Week (Jan 1-8)", week=date(2023, 1, 2)).start == date(2023, 1, 2)
    assert _one("## Top ML Papers of the Week (May 1-7)", week=date(2023, 5, 1)).start == date(2023, 5, 1)
    # A week the heading does not name leaves it without one (the choice then explains)
    assert _one("## Top ML Papers of the Week (May 1-7)", week=date(2024, 4, 29)).start is None


def test_headings_without_year_take_it_from_their_neighbours_across_new_year():
    # Given a newest-first stretch of the list where only the 2024 headings carry a year
    mondays = _mondays(
        "## Top ML Papers of the Week (January 8 - January 14) - 2024",
        "## Top ML Papers of the Week (January 1 - January 7) - 2024",
        "## Top ML Papers of the Week (December 25 - December 31)",
        "## Top ML Papers of the Week (December 18 - December 24)",
    )
    # Then each yearless heading is the year that puts it a week from its neighbour
    assert mondays == [date(2024, 1, 8), date(2024, 1, 1), date(2023, 12, 25), date(2023, 12, 18)]


def test_a_whole_year_without_years_follows_from_one_dated_heading_in_either_order():
    # Given the 2023 headings from the last one back to the first, under the first of 2024
    months = [(12, 25), (12, 18), (12, 11), (12, 4), (11, 27)]
    names = {12: "December", 11: "November"}
    yearless = [f"## Top ML Papers of the Week ({names[m]} {d} - {names[m]} {d + 6})" for m, d in months]
    newest_first = ["## Top ML Papers of the Week (January 1 - January 7) - 2024", *yearless]
    expected = [date(2024, 1, 1)] + [date(2023, m, d) for m, d in months]
    assert _mondays(*newest_first) == expected
    # And pasted oldest-first, the same weeks
    assert _mondays(*reversed(newest_first)) == expected[::-1]


def test_only_the_editors_week_settles_a_stretch_without_any_year():
    mondays = _mondays(
        "## Top ML Papers of the Week (Jan 9-15)",
        "## Top ML Papers of the Week (Jan 1-8)",
        "## Top ML Papers of the Week (Dec 26 - Jan 1)",
        week=date(2023, 1, 9),
    )
    assert mondays == [date(2023, 1, 9), date(2023, 1, 2), date(2022, 12, 26)]


def test_lines_that_are_not_week_headings():
    assert read_week_heading("## 2024", 1) is None
    assert read_week_heading("- [Top ML Papers of the Week (May 1-7)](./#top)", 1) is None
    assert read_week_heading("Top ML Papers of the Week (May 1-7)", 1) is None


# --- choosing the week of the issue --------------------------------------------------------


def _sections(*headings: str, week: date | None = None):
    read = [read_week_heading(heading, line_no) for line_no, heading in enumerate(headings, start=1)]
    return resolve_weeks(read, week=week)


A_2024 = "## Top ML Papers of the Week (April 29 - May 5) - 2024"
B_2024 = "## Top ML Papers of the Week (May 6 - May 12) - 2024"


def test_one_section_and_no_week_is_the_headings_week():
    choice = choose_week(_sections(A_2024), week=None)
    assert (choice.week_start, choice.problem, choice.notices) == (date(2024, 4, 29), None, ())


def test_one_section_and_the_editors_week_is_that_week_with_a_notice_when_the_heading_differs():
    # Given the editor's week is not the heading's
    choice = choose_week(_sections(A_2024, week=date(2024, 5, 6)), week=date(2024, 5, 6))
    # Then the week is the editor's, every row is kept, and the editor is told
    assert choice.week_start == date(2024, 5, 6)
    assert choice.sections is None
    assert choice.notices == (
        "見出し「Top ML Papers of the Week (April 29 - May 5) - 2024」は 2024-04-29 からの週ですが、"
        "指定された週 2024-05-06 の号として読み込みました。",
    )
    # And when they agree, nothing to say
    assert choose_week(_sections(A_2024, week=date(2024, 4, 29)), week=date(2024, 4, 29)).notices == ()


def test_one_section_whose_heading_names_no_week_takes_the_editors_with_a_notice():
    heading = "## Top ML Papers of the Week (May 1 - May 7) - 2024"  # a Wednesday
    choice = choose_week(_sections(heading, week=date(2024, 4, 29)), week=date(2024, 4, 29))
    assert choice.week_start == date(2024, 4, 29)
    (notice,) = choice.notices
    assert "週を決められないため、指定された週 2024-04-29 の号として読み込みました" in notice


def test_several_sections_and_a_week_keep_that_section():
    choice = choose_week(_sections(A_2024, B_2024, week=date(2024, 5, 6)), week=date(2024, 5, 6))
    assert (choice.sections, choice.week_start) == (frozenset({1}), date(2024, 5, 6))


def test_several_sections_and_a_week_none_of_them_names_is_refused():
    with pytest.raises(WeekNotFound) as info:
        choose_week(_sections(A_2024, B_2024, week=date(2024, 5, 13)), week=date(2024, 5, 13))
    assert str(info.value) == (
        "2024-05-13 から始まる週の見出しが見つかりません(貼り付けられた週: "
        "Top ML Papers of the Week (April 29 - May 5) - 2024、Top ML Papers of the Week (May 6 - May 12) - 2024)。"
    )


def test_several_sections_and_no_week_say_that_a_week_must_be_chosen():
    headings = [f"## Top ML Papers of the Week (May {d} - May {d + 6}) - 2024" for d in (6, 13, 20, 27)]
    choice = choose_week(_sections(*headings), week=None)
    assert choice.week_start is None and choice.sections is None
    assert choice.problem.startswith("4 週分の見出しが貼り付けられています(")
    assert "ほか 1 件" in choice.problem  # long lists are not spelled out
    assert choice.problem.endswith("どの週の号を作るか、週の開始日(月曜日)を指定してください。")


def test_no_heading_and_no_week_asks_for_the_week():
    choice = choose_week([], week=None)
    assert choice.week_start is None
    assert choice.problem == "週を指定してください(貼り付けた一覧には週の見出しがありません)。"
    assert choose_week([], week=date(2024, 4, 29)).week_start == date(2024, 4, 29)


def test_one_section_without_year_and_no_week_says_the_year_is_missing_not_something_else():
    choice = choose_week(_sections("## Top ML Papers of the Week (May 1-7)"), week=None)
    assert choice.week_start is None
    assert "年が書かれていない" in choice.problem


def test_one_dated_section_off_a_monday_says_so_not_that_a_year_is_missing():
    choice = choose_week(_sections("## Top ML Papers of the Week (May 1 - May 7) - 2024"), week=None)
    assert "月曜日でもその前後の日でもない" in choice.problem
    assert "年が書かれていない" not in choice.problem
