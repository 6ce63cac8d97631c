"""Stored findings: refresh a note's findings, dismiss one with a reason.

Findings are recomputed from scratch each time (the checks are cheap); a dismissal is
kept by fingerprint, which covers the text of the field concerned, so it holds exactly
as long as that text is unchanged.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from editorial import roles
from editorial.choices import Severity
from editorial.models import FindingDismissal, QualityFinding
from papernotes.glossary import glossary_entries_for_text
from papernotes.models import GlossaryEntry, IssueState, Note

from . import run_checks
from .base import Finding, GlossaryTerm, NoteText, QAText


class DismissalError(ValueError):
    """A dismissal was refused (no reason, no permission); nothing changed."""


def qa_count_range() -> tuple[int, int]:
    low, high = getattr(settings, "EDITORIAL_QA_COUNT_RANGE", (8, 12))
    return int(low), int(high)


def note_text_from_note(note: Note, *, glossary: list[GlossaryEntry] | None = None) -> NoteText:
    """The checks' input for a note, read from the database (paper, passages, Q&A, glossary)."""
    paper = note.paper
    # The body as editors read it beside the note, tables included (a row a line): not the
    # references, and not the tick labels of charts, whose 0 20 40 … would vouch for any number.
    passages = "\n".join(paper.passages.body().values_list("text", flat=True))
    # The title alone is no source for numbers: without the abstract or the body (a back
    # issue imported from the blog's text) the number check has nothing to compare with.
    has_body = bool(paper.abstract_en.strip() or passages.strip())
    source = "\n".join(part for part in (paper.title, paper.abstract_en, passages) if part) if has_body else ""
    in_source = {entry.pk for entry in glossary_entries_for_text(text=paper.abstract_en)}
    entries = glossary if glossary is not None else list(GlossaryEntry.objects.all())
    return NoteText(
        title_en=paper.title,
        abstract_en=paper.abstract_en,
        source_text=source,
        summary=note.summary,
        abstract_ja=note.abstract_ja,
        qas=tuple(
            QAText(position=qa.position, question=qa.question, answer=qa.answer, qa_id=qa.pk)
            for qa in note.qas.order_by("position")
        ),
        glossary=tuple(
            GlossaryTerm(
                term=entry.term,
                preferred=entry.preferred,
                forbidden_variants=tuple(entry.forbidden_variants or ()),
                in_source=entry.pk in in_source,
            )
            for entry in entries
        ),
        qa_count_range=qa_count_range(),
    )


def _field_text(note_text: NoteText, found: Finding) -> str:
    if found.qa_position is not None:
        qa = next(qa for qa in note_text.qas if qa.position == found.qa_position)
        return getattr(qa, found.field)
    if found.field:
        return getattr(note_text, found.field)
    return str(len(note_text.qas))


def fingerprint(note_text: NoteText, found: Finding) -> str:
    """Identifies a finding and the exact text it is about (a changed text is a new finding)."""
    key = "\x1f".join(
        [found.code, found.field, str(found.qa_id or ""), found.excerpt, found.message, _field_text(note_text, found)]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def note_findings(note: Note) -> tuple[NoteText, list[tuple[Finding, str]]]:
    """Run the checks on a note now: each finding with its fingerprint (nothing stored)."""
    note_text = note_text_from_note(note)
    return note_text, [(found, fingerprint(note_text, found)) for found in run_checks(note_text)]


@transaction.atomic
def note_refresh_findings(*, note_id: int) -> list[QualityFinding]:
    """Recompute and store a note's findings (on save, after drafting, on demand)."""
    note = Note.objects.select_for_update().select_related("paper").get(pk=note_id)
    _note_text, findings = note_findings(note)
    QualityFinding.objects.filter(note=note).delete()
    seen = set()
    rows = []
    for found, print_ in findings:
        if print_ in seen:
            continue
        seen.add(print_)
        rows.append(
            QualityFinding(
                note=note,
                qa_id=found.qa_id,
                field=found.field,
                code=found.code,
                severity=found.severity,
                message=found.message,
                excerpt=found.excerpt,
                fingerprint=print_,
            )
        )
    return QualityFinding.objects.bulk_create(rows)


# Letters or digits a dismissal reason needs at least (「.」 or 「ok」 say nothing).
DISMISSAL_REASON_MIN = 5


@transaction.atomic
def finding_dismiss(*, finding: QualityFinding, actor: AbstractBaseUser, reason: str) -> FindingDismissal:
    """Mark a finding as not a problem, with the reason; it stays dismissed while its text is unchanged.

    A 要修正 (blocking) finding holds back approval and publication: dismissing one is the
    chief editor's decision, as overriding the checks is. The reason must say something
    (at least :data:`DISMISSAL_REASON_MIN` letters or digits), since it is the record.
    """
    if sum(character.isalnum() for character in reason) < DISMISSAL_REASON_MIN:
        raise DismissalError(
            _("指摘を却下する理由を、{count} 文字以上の言葉で書いてください。").format(count=DISMISSAL_REASON_MIN)
        )
    if not (actor.is_active and actor.has_perm(roles.REVIEW_NOTE)):
        raise DismissalError(_("指摘を却下する権限がありません。"))
    if finding.severity == Severity.BLOCKING and not actor.has_perm(roles.OVERRIDE_CHECKS):
        raise DismissalError(_("要修正の指摘を却下できるのは編集長だけです。文章を直すか、編集長に依頼してください。"))
    if Note.objects.filter(pk=finding.note_id, issue__state=IssueState.WITHDRAWN).exists():
        raise DismissalError(_("取り下げた号のノートは変更できません。"))
    dismissal, _created = FindingDismissal.objects.update_or_create(
        note_id=finding.note_id,
        fingerprint=finding.fingerprint,
        defaults={"code": finding.code, "excerpt": finding.excerpt, "reason": reason.strip(), "dismissed_by": actor},
    )
    return dismissal
