"""Admin screens, one module per concern: content editing and ingestion."""

from . import content, ingestion

__all__ = ["content", "ingestion"]
