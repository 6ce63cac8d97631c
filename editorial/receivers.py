"""What the editors' side does when the content core reports something (``papernotes.signals``).

The core and the pipelines never import ``editorial``; they send signals, and these
receivers record and follow up: the audit row of a machine's transition, a re-check.
"""

from django.db import transaction

from editorial.checks.tasks import refresh_findings_task
from editorial.choices import WorkflowAction
from editorial.models import WorkflowEvent
from papernotes.delivery.services import issue_published as deliver_published_issue
from papernotes.models import Note, WeeklyIssue
from papernotes.signals import issue_published, note_drafted


def record_note_drafted(sender, *, note: Note, source: str, target: str, **kwargs) -> None:
    """下書き待ち → 下書き済み: the audit row (the system did it), then the checks run on the draft."""
    WorkflowEvent.objects.create(
        issue=note.issue, note=note, action=WorkflowAction.NOTE_MARK_DRAFTED, source_state=source, target_state=target
    )
    note_id = note.pk
    transaction.on_commit(lambda: refresh_findings_task.delay(note_id))


def email_published_issue(sender, *, issue: WeeklyIssue, **kwargs) -> None:
    """An issue was published: once that commits, its mailing starts (``NEWSLETTER_SEND_ON_PUBLISH``)."""
    issue_id = issue.pk
    # robust: a failure to start the mailing is logged and never undoes or breaks the publication.
    transaction.on_commit(lambda: deliver_published_issue(issue_id=issue_id), robust=True)


def connect() -> None:
    note_drafted.connect(record_note_drafted, sender=Note, dispatch_uid="editorial-record-note-drafted")
    issue_published.connect(email_published_issue, sender=WeeklyIssue, dispatch_uid="editorial-email-published-issue")
