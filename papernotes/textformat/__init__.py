"""The blog's weekly issue text format, both ways.

``parse_issue_text`` reads a back issue into an :class:`IssueDocument`;
``render_document`` writes one; ``render_issue`` renders a stored issue. Parsing then
rendering a file in this format gives back the same bytes.
"""

from .document import IssueDocument, PaperSection, QAPair
from .errors import IssueFormatError
from .parser import decode_issue_bytes, parse_issue_text
from .renderer import document_from_issue, render_document, render_issue

__all__ = [
    "IssueDocument",
    "IssueFormatError",
    "PaperSection",
    "QAPair",
    "decode_issue_bytes",
    "document_from_issue",
    "parse_issue_text",
    "render_document",
    "render_issue",
]
