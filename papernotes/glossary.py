"""Reads of the glossary (term base), shared by drafting and the editors' checks."""

import re
from functools import lru_cache

from papernotes.models import GlossaryEntry


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    # Word-boundary aware for Latin text: "RAG" must not match inside "leverage", and a
    # regular English plural ("models", "batches") still counts as the term.
    words = [re.escape(word) for word in term.split()]
    return re.compile(r"(?<![0-9A-Za-z])" + r"\s+".join(words) + r"(?:s|es)?(?![0-9A-Za-z])", re.IGNORECASE)


def glossary_entries_for_text(*, text: str) -> list[GlossaryEntry]:
    """Glossary entries whose term occurs in ``text`` (English), case-insensitively,
    as whole words; in glossary order.

    Used by drafting to put the relevant renderings into the prompt, and by the checks.
    A cheap substring test on the lower-cased text rules most entries out before any
    regular expression runs, so a few hundred entries cost about a millisecond.
    """
    if not text:
        return []
    lowered = " ".join(text.lower().split())
    found = []
    for entry in GlossaryEntry.objects.all():
        term = " ".join(entry.term.lower().split())
        if term and term in lowered and _term_pattern(term).search(lowered):
            found.append(entry)
    return found
