"""A paper's metadata as one issue shows it.

A published issue must not change when arXiv does: a paper's later version, new title or
dates update the :class:`~papernotes.models.Paper` row, while each note keeps the
metadata its issue was published (or imported) with. This is that frozen copy.
"""

import datetime
from dataclasses import asdict, dataclass

from papernotes import taxonomy


@dataclass(frozen=True)
class PaperAsShown:
    title: str
    authors: tuple[str, ...]
    first_published_on: datetime.date | None
    latest_updated_on: datetime.date | None
    pdf_url: str
    abs_url: str
    category_names: tuple[str, ...]

    @classmethod
    def of_paper(cls, paper) -> "PaperAsShown":
        return cls(
            title=paper.title,
            authors=tuple(paper.authors),
            first_published_on=paper.first_published_on,
            latest_updated_on=paper.latest_updated_on,
            pdf_url=paper.pdf_url,
            abs_url=paper.abs_url,
            category_names=tuple(taxonomy.name_for(code) for code in paper.categories),
        )

    @classmethod
    def from_json(cls, data: dict) -> "PaperAsShown":
        def day(value: str | None) -> datetime.date | None:
            return datetime.date.fromisoformat(value) if value else None

        return cls(
            title=data["title"],
            authors=tuple(data["authors"]),
            first_published_on=day(data["first_published_on"]),
            latest_updated_on=day(data["latest_updated_on"]),
            pdf_url=data["pdf_url"],
            abs_url=data["abs_url"],
            category_names=tuple(data["category_names"]),
        )

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("first_published_on", "latest_updated_on"):
            data[key] = data[key].isoformat() if data[key] else None
        data["authors"] = list(self.authors)
        data["category_names"] = list(self.category_names)
        return data
