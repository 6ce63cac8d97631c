"""Ingestion without network or database: arXiv ids, pasted paper lists, PDF text."""
