"""Models of the editors' side, one module per concern."""

from .checks import FindingDismissal, QualityFinding
from .workflow import NoteAssignment, ReviewComment, ScheduledPublication, WorkflowEvent

__all__ = [
    "FindingDismissal",
    "NoteAssignment",
    "QualityFinding",
    "ReviewComment",
    "ScheduledPublication",
    "WorkflowEvent",
]
