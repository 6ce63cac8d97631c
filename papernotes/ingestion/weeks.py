"""Week headings of the "ML Papers of the Week" list, and the Monday each one names.

The list's headings are written by hand, so the Monday has to be read the way an editor
reads it:

- ``## Top ML Papers of the Week (April 29 - May 5) - 2024`` names the week of Monday
  2024-04-29; month names may be abbreviated, with or without a dot ("Sept.", "Mar"), and
  the range may be written ``May 22-28`` or ``Jan 30-Feb 5``;
- a heading whose first day is a Sunday or a Tuesday still names a week: the list has a few
  such off-by-one days ("(April 6 - April 13) - 2025", "(March 26 - March 31) - 2024"), and
  the Monday next to the first day is the week meant. Two or more days off is not a week;
- headings of 2023 have no year. The year comes from the neighbouring headings when a whole
  list is pasted (the list is newest-first, but each heading is only a week away from the
  next, so the year that puts it nearest its neighbour is right in either order, across New
  Year too), or else from the week the editor gives;
- a week across New Year, ``(December 30 - January 5) - 2025``, carries the year of its end.

When the editor gives a week and a single section is pasted, that section is the week
whatever its heading says, with a notice saying so; with several sections, the week picks one.
Every way of failing says its real reason in Japanese (no year, no Monday, several weeks…).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from papernotes.ingestion.ids import _

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

# dair.ai renamed the list over time ("ML", later "AI"), so accept both. What follows the
# parentheses is read for a year only ("- 2024", ", 2024", "– 2024").
_WEEK_HEADING_RE = re.compile(
    r"^#{1,6}\s*(?:\*\*|__)?\s*Top\s+(?:ML|AI|LLM)\s+Papers\s+of\s+the\s+Week\s*\((?P<range>[^)]*)\)(?P<tail>.*)$",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?!\d)")
_DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?"
_MONTH = r"(?P<{}>[A-Za-z]{{3,9}})\.?"
_RANGE_SEPARATOR = r"\s*(?:[-–—~〜]|to|until)\s*"
# "April 29 - May 5", "May 22-28", "Jan 30-Feb 5"; also "29 April - 5 May".
_MONTH_FIRST_RE = re.compile(
    rf"^\s*{_MONTH.format('m1')}\s*{_DAY.format('d1')}"
    rf"(?:{_RANGE_SEPARATOR}(?:{_MONTH.format('m2')}\s*)?{_DAY.format('d2')})?",
    re.IGNORECASE,
)
_DAY_FIRST_RE = re.compile(
    rf"^\s*{_DAY.format('d1')}\s+{_MONTH.format('m1')}"
    rf"(?:{_RANGE_SEPARATOR}{_DAY.format('d2')}(?:\s+{_MONTH.format('m2')})?)?",
    re.IGNORECASE,
)
# How many section labels an error message names before "ほか N 件".
_LABELS_SHOWN = 3


@dataclass(frozen=True)
class WeekHeading:
    """A week heading as written: its label and the dates it names (``year`` may be missing)."""

    label: str
    line_no: int
    month: int | None  # None when the range cannot be read
    day: int | None
    end_month: int | None
    year: int | None


@dataclass(frozen=True)
class WeekSection:
    """A week heading and the Monday it names; ``start`` is None when that cannot be known,
    and then ``problem`` says why, in Japanese."""

    label: str
    start: date | None
    line_no: int
    problem: str | None = None


@dataclass(frozen=True)
class WeekChoice:
    """Which sections' rows to keep (None: all of them) and the week of the issue.

    ``week_start`` is None when it cannot be decided; ``problem`` then says why.
    """

    sections: frozenset[int] | None
    week_start: date | None
    problem: str | None = None
    notices: tuple[str, ...] = ()


class WeekNotFound(ValueError):
    """The editor's week is none of the pasted sections; ``str()`` is for the editor."""


def read_week_heading(line: str, line_no: int) -> WeekHeading | None:
    """The heading on ``line``, or None when the line is not a week heading."""
    match = _WEEK_HEADING_RE.match(line.strip())
    if not match:
        return None
    label = line.strip().lstrip("#").strip()
    range_text = match.group("range")
    # The year after the parentheses, or at the end of the range ("April 29 - May 5, 2024").
    year_match = _YEAR_RE.search(match.group("tail")) or _YEAR_RE.search(range_text)
    year = int(year_match.group("year")) if year_match else None
    dates = _MONTH_FIRST_RE.match(range_text) or _DAY_FIRST_RE.match(range_text)
    month = _MONTHS.get(dates.group("m1").lower()) if dates else None
    if dates is None or month is None:
        return WeekHeading(label, line_no, None, None, None, year)
    end_month = _MONTHS.get((dates.group("m2") or "").lower(), month) if dates.group("d2") else None
    return WeekHeading(label, line_no, month, int(dates.group("d1")), end_month, year)


def monday_near(day: date) -> date | None:
    """The Monday ``day`` stands for as a week's first day: itself, or one day off either way."""
    offset = {0: 0, 6: 1, 1: -1}.get(day.weekday())
    return None if offset is None else day + timedelta(days=offset)


def resolve_weeks(headings: list[WeekHeading], *, week: date | None) -> list[WeekSection]:
    """The Monday of each heading, years filled in from the neighbours or from ``week``."""
    first_days: list[date | None] = [_first_day_with_own_year(heading) for heading in headings]
    _fill_years_from_neighbours(headings, first_days)
    if week is not None:
        # Headings no dated neighbour reaches (a pasted stretch of 2023): the editor's week
        # settles those that name it, and their neighbours follow.
        for index, heading in enumerate(headings):
            day = _nearest_date(heading, week) if first_days[index] is None else None
            if day is not None and monday_near(day) == week:
                first_days[index] = day
        _fill_years_from_neighbours(headings, first_days)
    return [_section(heading, day) for heading, day in zip(headings, first_days, strict=True)]


def choose_week(sections: list[WeekSection], *, week: date | None) -> WeekChoice:
    """Which sections an issue for ``week`` (or for the pasted text alone) is made of."""
    if week is not None:
        return _choose_given_week(sections, week)
    if not sections:
        return WeekChoice(None, None, _("週を指定してください(貼り付けた一覧には週の見出しがありません)。"))
    if len(sections) == 1:
        (section,) = sections
        return WeekChoice(None, section.start, section.problem)
    # Several weeks and no choice made: keep every row but do not claim a week.
    problem = _(
        "{count} 週分の見出しが貼り付けられています({labels})。"
        "どの週の号を作るか、週の開始日(月曜日)を指定してください。"
    ).format(count=len(sections), labels=_labels(sections))
    return WeekChoice(None, None, problem)


def _choose_given_week(sections: list[WeekSection], week: date) -> WeekChoice:
    if not sections:
        return WeekChoice(None, week)
    if len(sections) == 1:
        # The editor said which week this is: the heading does not overrule them.
        (section,) = sections
        if section.start == week:
            return WeekChoice(None, week)
        if section.start is None:
            notice = _("見出し「{label}」からは週を決められないため、指定された週 {week} の号として読み込みました。")
        else:
            notice = _("見出し「{label}」は {start} からの週ですが、指定された週 {week} の号として読み込みました。")
        return WeekChoice(None, week, notices=(notice.format(label=section.label, start=section.start, week=week),))
    wanted = frozenset(index for index, section in enumerate(sections) if section.start == week)
    if not wanted:
        raise WeekNotFound(
            _("{week} から始まる週の見出しが見つかりません(貼り付けられた週: {found})。").format(
                week=week.isoformat(), found=_labels(sections)
            )
        )
    return WeekChoice(wanted, week)


def _labels(sections: list[WeekSection]) -> str:
    shown = "、".join(section.label for section in sections[:_LABELS_SHOWN])
    hidden = len(sections) - _LABELS_SHOWN
    return shown if hidden <= 0 else _("{shown} ほか {count} 件").format(shown=shown, count=hidden)


def _first_day_with_own_year(heading: WeekHeading) -> date | None:
    """The heading's first day in the year it states, when it states one."""
    if heading.year is None or heading.month is None or heading.day is None:
        return None
    # "(December 30 - January 5) - 2025": the year is the end's, the start is a year earlier,
    # unless the heading meant its start's year ("… - 2024" for the same week). A Monday decides.
    wraps = heading.end_month is not None and heading.end_month < heading.month
    years = (heading.year - 1, heading.year) if wraps else (heading.year,)
    days = [day for day in (_date(year, heading.month, heading.day) for year in years) if day is not None]
    exact = [day for day in days if day.weekday() == 0]
    near = [day for day in days if monday_near(day) is not None]
    return (exact or near or days or [None])[0]


def _fill_years_from_neighbours(headings: list[WeekHeading], first_days: list[date | None]) -> None:
    """Give each heading without a year the year that puts it nearest a dated neighbour.

    Neighbours are a week apart, so this is right whichever way the list runs and across New
    Year ("(Dec 25 - Dec 31)" next to "(Jan 1 - Jan 7) - 2024" is 2023). A heading whose year
    is settled becomes the anchor of the next one, so a whole year without years follows.
    """
    changed = True
    while changed:
        changed = False
        for index, heading in enumerate(headings):
            if first_days[index] is not None or heading.month is None:
                continue
            for neighbour in (index - 1, index + 1):
                anchor = first_days[neighbour] if 0 <= neighbour < len(headings) else None
                if anchor is not None:
                    first_days[index] = _nearest_date(heading, anchor)
                    changed = first_days[index] is not None or changed
                    break


def _nearest_date(heading: WeekHeading, anchor: date) -> date | None:
    """The heading's first day in whichever year puts it nearest ``anchor``."""
    if heading.month is None or heading.day is None:
        return None
    days = [_date(year, heading.month, heading.day) for year in (anchor.year - 1, anchor.year, anchor.year + 1)]
    candidates = [day for day in days if day is not None]
    return min(candidates, key=lambda day: abs(day - anchor)) if candidates else None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _section(heading: WeekHeading, first_day: date | None) -> WeekSection:
    if heading.month is None or heading.day is None or (heading.year is not None and first_day is None):
        problem = _(
            "見出し「{label}」の日付を読み取れないため、週を決められません。週の開始日(月曜日)を指定してください。"
        )
        return WeekSection(heading.label, None, heading.line_no, problem.format(label=heading.label))
    if first_day is None:
        problem = _(
            "見出し「{label}」に年が書かれていないため、週を決められません。週の開始日(月曜日)を指定してください。"
        )
        return WeekSection(heading.label, None, heading.line_no, problem.format(label=heading.label))
    monday = monday_near(first_day)
    if monday is None:
        problem = _(
            "見出し「{label}」の最初の日({day})が月曜日でもその前後の日でもないため、週を決められません。"
            "週の開始日(月曜日)を指定してください。"
        )
        return WeekSection(
            heading.label, None, heading.line_no, problem.format(label=heading.label, day=first_day.isoformat())
        )
    return WeekSection(heading.label, monday, heading.line_no)
