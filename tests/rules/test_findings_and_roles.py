"""Issue 13, Why 6: an editor dismissed a 要修正 finding with the reason 「.」 (sidestepping the
chief-only override), and staff users with no role saw the whole dashboard and could import
the glossary. The rules: dismissing a blocking finding is a chief's decision; every reason has
at least 5 letters or digits; staff without a role see and change nothing editorial; editors
cannot retry ingestion through the bulk action when the button refuses them; a refusal is a
Japanese page."""

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV

from editorial.checks.selectors import undismissed_findings
from editorial.checks.services import note_refresh_findings
from editorial.models import FindingDismissal, QualityFinding
from papernotes.models import GlossaryEntry, IngestionStage, IngestionStatus, IssueState, Note, PaperIngestion
from tests.factories import GlossaryEntryFactory
from tests.rules.doors import BLOCKING_SUMMARY, blocking_finding, body, issue_with_notes, page_form, review_url
from tests.rules.htmlforms import Submit, main_form
from tests.rules.world import revise

pytestmark = pytest.mark.django_db


def note_with_blocking_finding() -> Note:
    _issue, (note,) = issue_with_notes(IssueState.IN_REVIEW)
    note = revise(Note, note.pk, state="in_review", summary=BLOCKING_SUMMARY)
    note_refresh_findings(note_id=note.pk)
    return note


def dismiss(client, note: Note, finding: QualityFinding, reason: str):
    form = page_form(client.get(review_url(note)))
    return client.post(
        review_url(note),
        body(form, Submit("_dismiss", finding.fingerprint), **{f"dismiss_reason_{finding.fingerprint}": reason}),
    )


def test_an_editor_cannot_dismiss_a_blocking_finding(client, editor):
    # Given a note with a blocking (要修正) finding: an unbalanced bracket
    note = note_with_blocking_finding()
    finding = blocking_finding(note)
    client.force_login(editor)

    # When an editor dismisses it with a reason of substance
    dismiss(client, note, finding, "括弧は論文の表記どおりです")

    # Then it is refused: the finding stays open
    assert not FindingDismissal.objects.filter(note=note).exists()
    assert undismissed_findings(notes=[note], blocking_only=True)


def test_a_chief_dismisses_a_blocking_finding_with_a_reason(client, chief_editor):
    # Given a note with a blocking finding
    note = note_with_blocking_finding()
    finding = blocking_finding(note)
    client.force_login(chief_editor)

    # When the chief editor dismisses it with a reason of substance
    dismiss(client, note, finding, "括弧は論文の表記どおりです")

    # Then it is dismissed
    assert FindingDismissal.objects.filter(note=note, fingerprint=finding.fingerprint).exists()


@pytest.mark.parametrize("reason", [".", "。", "  ..  ", "a.b"])
@pytest.mark.parametrize("role,severity", [("editor", "warning"), ("chief_editor", "blocking")])
def test_a_dismissal_needs_a_reason_of_substance(client, request, role, severity, reason):
    # Given a note with findings of both kinds
    note = note_with_blocking_finding()
    finding = QualityFinding.objects.filter(note=note, severity=severity).first()
    assert finding is not None
    client.force_login(request.getfixturevalue(role))

    # When the finding is dismissed with a reason of fewer than 5 letters or digits
    dismiss(client, note, finding, reason)

    # Then it is refused
    assert not FindingDismissal.objects.filter(note=note).exists()


def test_staff_without_a_role_see_no_dashboard(client, staff_without_role):
    # Given an issue under review with a note
    issue, (note,) = issue_with_notes(IssueState.IN_REVIEW)
    client.force_login(staff_without_role)

    # When a staff user with no role opens the admin's index (the dashboard)
    response = client.get(reverse("admin:index"))

    # Then it is refused or shows nothing editorial
    page = response.content.decode()
    assert response.status_code in (200, 403)
    assert note.paper.title not in page
    assert issue.week_start.isoformat() not in page


def test_staff_without_a_role_cannot_import_the_glossary(client, staff_without_role):
    # Given a glossary entry
    GlossaryEntryFactory(term="language model", preferred="言語モデル", forbidden_variants=[])
    before = list(GlossaryEntry.objects.order_by("pk").values_list("term", "preferred", "forbidden_variants"))
    client.force_login(staff_without_role)

    # When a staff user with no role uploads a CSV on the import page and confirms it
    formats = admin.site._registry[GlossaryEntry].get_import_formats()
    csv_index = next(index for index, kind in enumerate(formats) if kind is CSV)
    upload = SimpleUploadedFile(
        "glossary.csv",
        "term,preferred,forbidden_variants,note\nlanguage model,言語モデル,モデル|言語,\nnew term,新語,,\n".encode(),
        content_type="text/csv",
    )
    response = client.post(
        reverse("admin:papernotes_glossaryentry_import"),
        {"import_file": upload, "format": str(csv_index), "resource": "0"},
    )
    confirm = main_form(response.content.decode()) if response.status_code == 200 else None
    if confirm is not None and "import_file_name" in confirm.names():
        client.post(reverse("admin:papernotes_glossaryentry_process_import"), confirm.data())

    # Then the glossary is unchanged (a forbidden variant would be a 要修正 on every issue)
    after = list(GlossaryEntry.objects.order_by("pk").values_list("term", "preferred", "forbidden_variants"))
    assert after == before


def test_editors_cannot_retry_ingestion_through_the_bulk_action(client, editor):
    # Given an issue whose paper failed ingestion; the retry button refuses editors
    issue, (note,) = issue_with_notes(IssueState.COLLECTING)
    PaperIngestion.objects.update_or_create(
        paper=note.paper,
        defaults={"stage": IngestionStage.PDF, "status": IngestionStatus.FAILED, "last_error": "PDF が見つかりません"},
    )
    client.force_login(editor)
    assert client.post(reverse("admin:papernotes_weeklyissue_retry_failed", args=[issue.pk])).status_code == 403

    # When the editor selects the issue in the list and runs 「失敗した論文を再試行」
    client.post(
        reverse("admin:papernotes_weeklyissue_changelist"),
        {"action": "retry_failed_action", "_selected_action": [str(issue.pk)], "index": "0"},
    )

    # Then nothing was retried
    assert PaperIngestion.objects.get(paper=note.paper).status == IngestionStatus.FAILED


@pytest.mark.parametrize(
    "role,method,url_name,args",
    [
        ("editor", "post", "admin:papernotes_weeklyissue_retry_failed", True),
        ("editor", "get", "admin:papernotes_weeklyissue_add", False),
        ("staff_without_role", "get", "admin:papernotes_note_changelist", False),
        ("staff_without_role", "get", "admin:papernotes_glossaryentry_import", False),
    ],
)
def test_a_refused_action_shows_a_japanese_page(client, request, role, method, url_name, args):
    # Given an issue, and a user whose role does not allow the action
    issue, _notes = issue_with_notes(IssueState.COLLECTING)
    client.force_login(request.getfixturevalue(role))

    # When the user tries it
    url = reverse(url_name, args=[issue.pk] if args else [])
    response = getattr(client, method)(url)

    # Then it is refused with a page in Japanese
    assert response.status_code == 403
    assert re.search("[ぁ-んァ-ン一-龥]", response.content.decode())
