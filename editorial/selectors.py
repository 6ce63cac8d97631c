"""Reads of the editors' side, shared by the admin, the workflow, commands and the API."""

from django.utils.translation import gettext as _

from editorial.checks.selectors import undismissed_findings
from papernotes.models import Note, NoteState, WeeklyIssue

# -- workflow guards --------------------------------------------------------------------


def note_approval_blockers(*, note: Note) -> list[str]:
    """Why a note cannot be approved yet (empty when it can)."""
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


def issue_publication_blocker_keys(*, issue: WeeklyIssue) -> list[str]:
    """The blockers of :func:`issue_publication_blockers` as stable keys, one per problem
    ("note:<id>:<state>", "finding:<note id>:<fingerprint>"), so that an override can say
    exactly what it covered: a count that changes, or a reworded message, is not a new problem."""
    notes = list(issue.notes.order_by("position"))
    if not notes:
        return ["issue:no-notes"]
    keys = [f"note:{note.pk}:{note.state}" for note in notes if note.state != NoteState.APPROVED]
    keys += [
        f"finding:{finding.note_id}:{finding.fingerprint}"
        for finding in undismissed_findings(notes=notes, blocking_only=True)
    ]
    return keys
