"""Content models, one module per concern."""

from .choices import (
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    DraftingStatus,
    DraftingStep,
    IngestionStage,
    IngestionStatus,
    IssueState,
    LlmCallOutcome,
    NoteState,
    PipelineRowState,
    TextSource,
)
from .drafting import AnswerEvidence, LlmCall, NoteDrafting
from .glossary import GlossaryEntry
from .ingestion import IssueSourceList, PaperIngestion, PaperPdf, Passage
from .issue import NEWSLETTER_NAME, Note, QuestionAnswer, WeeklyIssue
from .paper import Paper
from .shown import PaperAsShown
from .stamps import PublicStamp

__all__ = [
    "NEWSLETTER_NAME",
    "ONCE_PUBLISHED_ISSUE_STATES",
    "PUBLIC_ISSUE_STATES",
    "AnswerEvidence",
    "DraftingStatus",
    "DraftingStep",
    "GlossaryEntry",
    "IngestionStage",
    "IngestionStatus",
    "IssueSourceList",
    "IssueState",
    "LlmCall",
    "LlmCallOutcome",
    "Note",
    "NoteDrafting",
    "NoteState",
    "Paper",
    "PaperAsShown",
    "PaperIngestion",
    "PaperPdf",
    "Passage",
    "PipelineRowState",
    "PublicStamp",
    "QuestionAnswer",
    "TextSource",
    "WeeklyIssue",
]
