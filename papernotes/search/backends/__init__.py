"""One search backend per database vendor; each gathers and scores the same candidates."""

from django.db import connection
from django.db.models import QuerySet

from ..query import Term
from . import postgresql, sqlite


def ranked_candidates(notes: QuerySet, terms: tuple[Term, ...], *, cap: int) -> list[tuple]:
    """Up to ``cap`` notes of ``notes`` (a queryset of notes) that match every term, as
    (id, week, position, tier, score), in no particular order."""
    if connection.vendor != "postgresql":
        return sqlite.ranked_candidates(notes, terms, cap=cap)
    with connection.cursor() as cursor:
        return postgresql.ranked_candidates(notes, terms, cap=cap, cursor=cursor)
