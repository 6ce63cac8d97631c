"""One search backend per database vendor; each gathers and scores the same candidates."""

from django.db import connection
from django.db.models import QuerySet

from ..query import Term
from . import postgresql, sqlite


def ranked_candidates(notes: QuerySet, terms: tuple[Term, ...], *, cap: int, stamp: str | None = None) -> list[tuple]:
    """Up to ``cap`` notes of ``notes`` (a queryset of notes) that match every term, as
    (id, week, position, tier, score), in no particular order. ``stamp``, the version of
    public content, lets a backend reuse what depends on it alone."""
    if connection.vendor != "postgresql":
        return sqlite.ranked_candidates(notes, terms, cap=cap)
    with connection.cursor() as cursor:
        return postgresql.ranked_candidates(notes, terms, cap=cap, cursor=cursor, stamp=stamp)
