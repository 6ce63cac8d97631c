"""Admin screens, one module per concern: content, the note review screen, issues,
the glossary, workflow records, and ingestion."""

from . import content, glossary, ingestion, issues, notes, records

__all__ = ["content", "glossary", "ingestion", "issues", "notes", "records"]
