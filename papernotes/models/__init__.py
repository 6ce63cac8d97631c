"""Content models, one module per concern."""

from .choices import (
    DRAFTING_FINISHED,
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    DraftingStatus,
    DraftingStep,
    EvidenceFoundIn,
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

__all__ = [
    "DRAFTING_FINISHED",
    "NEWSLETTER_NAME",
    "ONCE_PUBLISHED_ISSUE_STATES",
    "PUBLIC_ISSUE_STATES",
    "AnswerEvidence",
    "DraftingStatus",
    "DraftingStep",
    "EvidenceFoundIn",
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
    "QuestionAnswer",
    "TextSource",
    "WeeklyIssue",
]
