"""Reads of the editors' side, shared by the admin, the workflow, commands and drafting."""

import re
from functools import lru_cache

from django.utils.translation import gettext as _

from editorial.models import GlossaryEntry
from papernotes.models import Note, NoteState, WeeklyIssue

# -- glossary ---------------------------------------------------------------------------


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


# -- workflow guards --------------------------------------------------------------------


def note_approval_blockers(*, note: Note) -> list[str]:
    """Why a note cannot be approved yet (empty when it can)."""
    from editorial.checks.selectors import undismissed_findings

    reasons = []
    if not note.summary.strip():
        reasons.append(_("一行要約が空です"))
    if not note.abstract_ja.strip():
        reasons.append(_("概要が空です"))
    if not note.qas.exists():
        reasons.append(_("Q&A がありません"))
    blocking = undismissed_findings(notes=[note], blocking_only=True)
    if blocking:
        reasons.append(_("要修正の指摘が {count} 件あります").format(count=len(blocking)))
    return reasons


def issue_publication_blockers(*, issue: WeeklyIssue) -> list[str]:
    """Why an issue cannot be published (or marked ready) yet; empty when it can."""
    from editorial.checks.selectors import undismissed_findings

    notes = list(issue.notes.select_related("paper").order_by("position"))
    if not notes:
        return [_("論文ノートがありません")]
    reasons = [
        _("{position}. {title} が承認されていません({state})").format(
            position=note.position, title=note.paper.title or note.paper.arxiv_id, state=note.get_state_display()
        )
        for note in notes
        if note.state != NoteState.APPROVED
    ]
    blocking = undismissed_findings(notes=notes, blocking_only=True)
    if blocking:
        reasons.append(_("要修正の指摘が {count} 件あります").format(count=len(blocking)))
    return reasons
