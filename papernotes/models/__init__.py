"""Content models, one module per concern."""

from .choices import (
    BATCH_ITEM_FINISHED,
    DRAFTING_FINISHED,
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    DraftingBatchItemStatus,
    DraftingBatchStatus,
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
from .drafting import AnswerEvidence, DraftingBatch, DraftingBatchItem, LlmCall, NoteDrafting
from .glossary import GlossaryEntry
from .ingestion import IssueSourceList, PaperIngestion, PaperPdf, Passage
from .issue import NEWSLETTER_NAME, Note, QuestionAnswer, WeeklyIssue
from .paper import Paper
from .shown import PaperAsShown

__all__ = [
    "BATCH_ITEM_FINISHED",
    "DRAFTING_FINISHED",
    "NEWSLETTER_NAME",
    "ONCE_PUBLISHED_ISSUE_STATES",
    "PUBLIC_ISSUE_STATES",
    "AnswerEvidence",
    "DraftingBatch",
    "DraftingBatchItem",
    "DraftingBatchItemStatus",
    "DraftingBatchStatus",
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
