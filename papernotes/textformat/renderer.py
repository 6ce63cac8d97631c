"""Renderer for the weekly issue text format: the inverse of the parser."""

from .document import HEADING_PREFIX, IssueDocument, PaperSection, QAPair


def _ja_date(value) -> str:
    return f"{value.year:04d}年{value.month:02d}月{value.day:02d}日"


def render_document(document: IssueDocument) -> str:
    """The issue as the blog publishes it: LF line ends, no final newline."""
    lines = [f"{HEADING_PREFIX}:【{document.week_start:%Y-%m-%d}~ {document.week_end:%Y-%m-%d}】", ""]
    if document.intro:
        lines += [document.intro, ""]
    for number, paper in enumerate(document.papers, start=1):
        lines += [
            f"  {number}. {paper.title}",
            f"    発行日:{_ja_date(paper.first_published_on)}",
            f"    {paper.summary}",
        ]
    for paper in document.papers:
        lines += [
            "",
            paper.title,
            "",
            f"著者:{', '.join(paper.authors)}",
            f"発行日:{_ja_date(paper.first_published_on)}",
            f"最終更新日:{_ja_date(paper.latest_updated_on)}",
            f"URL:{paper.pdf_url}",
            "",
            f"カテゴリ:{', '.join(paper.category_names)}",
            "",
            "概要:",
            "",
            paper.abstract_ja,
            "",
            "Q&A:",
        ]
        for qa in paper.qas:
            lines += ["", f"Q: {qa.question}", f"A: {qa.answer}"]
    return "\n".join(lines)


def document_from_issue(issue) -> IssueDocument:
    """Build the document of a stored issue.

    Expects ``issue.notes`` with ``paper`` and ``qas`` loaded in order (see
    ``papernotes.selectors``); otherwise it still works, with more queries.
    """
    return IssueDocument(
        week_start=issue.week_start,
        intro=issue.intro,
        papers=tuple(_section(note) for note in issue.notes.all()),
    )


def _section(note) -> PaperSection:
    shown = note.paper_as_shown
    return PaperSection(
        title=shown.title,
        summary=note.summary,
        authors=shown.authors,
        first_published_on=shown.first_published_on,
        latest_updated_on=shown.latest_updated_on,
        pdf_url=shown.pdf_url,
        category_names=shown.category_names,
        abstract_ja=note.abstract_ja,
        qas=tuple(QAPair(question=qa.question, answer=qa.answer) for qa in note.qas.all()),
    )


def render_issue(issue) -> str:
    return render_document(document_from_issue(issue))
