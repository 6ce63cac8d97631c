"""Ingestion: from a list of papers to arXiv metadata and parsed PDF passages."""
