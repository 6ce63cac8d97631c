"""The parsed form of one weekly issue text: plain values, no database."""

import datetime
from dataclasses import dataclass

HEADING_PREFIX = "最新論文ノート"


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str


@dataclass(frozen=True)
class PaperSection:
    """One paper as the text shows it: table-of-contents line plus its section."""

    title: str
    summary: str
    authors: tuple[str, ...]
    first_published_on: datetime.date
    latest_updated_on: datetime.date
    pdf_url: str
    category_names: tuple[str, ...]
    abstract_ja: str
    qas: tuple[QAPair, ...]
    line_no: int = 0  # where the section starts in the parsed file, for messages


@dataclass(frozen=True)
class IssueDocument:
    week_start: datetime.date
    intro: str
    papers: tuple[PaperSection, ...]

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)
