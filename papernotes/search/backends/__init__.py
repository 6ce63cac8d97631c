"""One search backend per database vendor; each gives the same subquery of matching note ids."""

from django.db import connection
from django.db.models.expressions import RawSQL

from . import postgresql, sqlite


def matched_note_ids_sql(terms: tuple[str, ...]) -> RawSQL:
    """Ids of notes (in any state: the caller filters to public ones) whose summary and
    概要 together, paper title, or one Q&A pair contains every term, case-insensitively."""
    backend = postgresql if connection.vendor == "postgresql" else sqlite
    return backend.matched_note_ids_sql(terms)
