"""Admin screens, one module per concern: content, the note review screen, issues,
the glossary, workflow records, ingestion, and drafting."""

from . import content, drafting, glossary, ingestion, issues, notes, records

__all__ = ["content", "drafting", "glossary", "ingestion", "issues", "notes", "records"]
