"""Reads of stored findings: what is still open, and counts for the lists."""

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from editorial.choices import Severity
from editorial.models import FindingDismissal, QualityFinding
from papernotes.models import Note


def _dismissed() -> Exists:
    return Exists(FindingDismissal.objects.filter(note_id=OuterRef("note_id"), fingerprint=OuterRef("fingerprint")))


def open_findings() -> QuerySet[QualityFinding]:
    """Findings not dismissed (a dismissal holds while the text it was about is unchanged)."""
    return QualityFinding.objects.annotate(dismissed=_dismissed()).filter(dismissed=False)


def undismissed_findings(*, notes: Iterable[Note], blocking_only: bool = False) -> list[QualityFinding]:
    findings = open_findings().filter(note__in=[note.pk for note in notes])
    if blocking_only:
        findings = findings.filter(severity=Severity.BLOCKING)
    return list(findings.select_related("qa"))


def with_finding_counts(notes: QuerySet[Note]) -> QuerySet[Note]:
    """Annotate ``blocking_count`` and ``warning_count`` (open findings) on each note."""
    open_ids = open_findings().values("pk")
    return notes.annotate(
        blocking_count=Count("findings", filter=Q(findings__severity=Severity.BLOCKING, findings__in=open_ids)),
        warning_count=Count("findings", filter=Q(findings__severity=Severity.WARNING, findings__in=open_ids)),
    )
