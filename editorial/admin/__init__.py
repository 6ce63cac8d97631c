"""Admin screens, one module per concern: content, the note review screen, issues,
the glossary, workflow records, ingestion, drafting, and email delivery."""

from . import content, delivery, drafting, glossary, ingestion, issues, notes, records

__all__ = ["content", "delivery", "drafting", "glossary", "ingestion", "issues", "notes", "records"]
