"""Content models, one module per concern."""

from .choices import (
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    IngestionStage,
    IngestionStatus,
    IssueState,
    NoteState,
    TextSource,
)
from .ingestion import IssueSourceList, PaperIngestion, PaperPdf, Passage
from .issue import NEWSLETTER_NAME, Note, QuestionAnswer, WeeklyIssue
from .paper import Paper
from .shown import PaperAsShown

__all__ = [
    "NEWSLETTER_NAME",
    "ONCE_PUBLISHED_ISSUE_STATES",
    "PUBLIC_ISSUE_STATES",
    "IngestionStage",
    "IngestionStatus",
    "IssueSourceList",
    "IssueState",
    "Note",
    "NoteState",
    "Paper",
    "PaperAsShown",
    "PaperIngestion",
    "PaperPdf",
    "Passage",
    "QuestionAnswer",
    "TextSource",
    "WeeklyIssue",
]
