"""The issue as Markdown, for cross-posting to sites that take Markdown.

The texts are stored as Markdown already and go in as they are; metadata follows the
reader page (dates without zero padding, arXiv links over https, categories with codes).
"""

import re

from papernotes.categories import note_categories
from papernotes.templatetags.papernotes_tags import https, ja_date

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


def _plain(text: str) -> str:
    """A title or name as literal Markdown text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_issue_markdown(issue) -> str:
    """Expects the issue loaded by ``selectors.get_public_issue`` (approved notes only)."""
    notes = list(issue.notes.all())
    lines = [f"# {_plain(issue.title)}", ""]
    if issue.intro:
        lines += [issue.intro, ""]
    lines += ["## 目次", ""]
    for number, note in enumerate(notes, start=1):
        shown = note.paper_as_shown
        if number > 1:
            lines.append("")
        lines.append(f"{number}. [{_plain(shown.title)}](#{note.anchor}) (発行日: {ja_date(shown.first_published_on)})")
        if note.summary:
            # A paragraph of its own in the item: a line merely indented would run on after
            # the date in every Markdown renderer.
            lines += ["", f"    {note.summary}"]
    for number, note in enumerate(notes, start=1):
        shown = note.paper_as_shown
        categories = "; ".join(category.label for category in note_categories(note))
        lines += [
            "",
            f'<a id="{note.anchor}"></a>',
            "",
            f"## {number}. {_plain(shown.title)}",
            "",
            f"- 著者: {_plain(', '.join(shown.authors))}",
            f"- 発行日: {ja_date(shown.first_published_on)}",
            f"- 最終更新日: {ja_date(shown.latest_updated_on)}",
            f"- arXiv: <{https(shown.abs_url)}> ([PDF]({https(shown.pdf_url)}))",
            f"- カテゴリ: {_plain(categories)}",
            "",
            "### 概要",
            "",
            note.abstract_ja,
        ]
        qas = list(note.qas.all())
        if qas:
            lines += ["", "### Q&A"]
            for qa in qas:
                lines += ["", f"**Q: {qa.question}**", "", f"A: {qa.answer}"]
    return "\n".join(lines) + "\n"
