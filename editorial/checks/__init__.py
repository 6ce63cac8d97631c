"""Quality checks of a note's Japanese texts: pure functions, one module per kind.

``run_checks(NoteText)`` runs every registered check; ``editorial.checks.services``
stores the findings of a note (on save, on demand) and records dismissals.
"""

# Importing the modules registers their checks in REGISTRY.
from . import glossary, names, numbers, qa, style, text
from .base import REGISTRY, Finding, GlossaryTerm, NoteText, QAText


def run_checks(note: NoteText) -> list[Finding]:
    """Every finding of every check, in a stable order (field, Q&A, code)."""
    findings = [found for info in REGISTRY.values() for found in info.function(note)]
    field_order = {"": 0, "summary": 1, "abstract_ja": 2, "question": 3, "answer": 4}
    return sorted(findings, key=lambda f: (f.qa_position or 0, field_order.get(f.field, 9), f.code))


__all__ = [
    "REGISTRY",
    "Finding",
    "GlossaryTerm",
    "NoteText",
    "QAText",
    "glossary",
    "names",
    "numbers",
    "qa",
    "run_checks",
    "style",
    "text",
]
