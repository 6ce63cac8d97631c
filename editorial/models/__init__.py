"""Models of the editors' side, one module per concern."""

from .checks import FindingDismissal, QualityFinding
from .glossary import GlossaryEntry
from .workflow import NoteAssignment, ReviewComment, ScheduledPublication, WorkflowEvent

__all__ = [
    "FindingDismissal",
    "GlossaryEntry",
    "NoteAssignment",
    "QualityFinding",
    "ReviewComment",
    "ScheduledPublication",
    "WorkflowEvent",
]
