"""Content models, one module per concern."""

from .choices import (
    DRAFTING_FINISHED,
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    SUPPRESSED_SUBSCRIBER_STATUSES,
    DeliveryEventType,
    DraftingStatus,
    DraftingStep,
    EmailFormat,
    EvidenceFoundIn,
    IngestionStage,
    IngestionStatus,
    IssueState,
    LlmCallOutcome,
    MailingKind,
    NoteState,
    PipelineRowState,
    SendState,
    SubscriberStatus,
    TextSource,
)
from .delivery import DeliveryEvent, Mailing, NewsletterIssue, SendLog, Subscriber
from .drafting import AnswerEvidence, LlmCall, NoteDrafting
from .glossary import GlossaryEntry
from .ingestion import IssueSourceList, PaperIngestion, PaperPdf, Passage
from .issue import NEWSLETTER_NAME, Note, QuestionAnswer, WeeklyIssue
from .paper import Paper
from .shown import PaperAsShown
from .stamps import PublicStamp

__all__ = [
    "DRAFTING_FINISHED",
    "NEWSLETTER_NAME",
    "ONCE_PUBLISHED_ISSUE_STATES",
    "PUBLIC_ISSUE_STATES",
    "SUPPRESSED_SUBSCRIBER_STATUSES",
    "AnswerEvidence",
    "DeliveryEvent",
    "DeliveryEventType",
    "DraftingStatus",
    "DraftingStep",
    "EmailFormat",
    "EvidenceFoundIn",
    "GlossaryEntry",
    "IngestionStage",
    "IngestionStatus",
    "IssueSourceList",
    "IssueState",
    "LlmCall",
    "LlmCallOutcome",
    "Mailing",
    "MailingKind",
    "NewsletterIssue",
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
    "SendLog",
    "SendState",
    "Subscriber",
    "SubscriberStatus",
    "TextSource",
    "WeeklyIssue",
]
