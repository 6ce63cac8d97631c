"""Full-text search over published notes and Q&A that works for Japanese.

Japanese has no spaces between words, so the index is of character trigrams: PostgreSQL's
``pg_trgm`` (GIN indexes on the note, Q&A and paper-title texts) and SQLite's FTS5 with
the ``trigram`` tokenizer locally. Both find any substring of three characters or more
through the index; shorter terms (two-character words such as 「学習」 are common) are
matched by a scan. One interface, ``service.search_public_notes``, with one backend per
database vendor (``backends/``); what is public comes from ``papernotes.selectors``.
"""
