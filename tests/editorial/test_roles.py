"""No role can do more than it may: the admin refuses on the server, not only in the UI."""

import pytest
from django.urls import reverse

from papernotes.models import IssueState, NoteState, TextSource
from tests.editorial.test_admin import _form_data
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def note():
    note = NoteFactory(issue=WeeklyIssueFactory(state=IssueState.IN_REVIEW), state=NoteState.DRAFTED)
    QuestionAnswerFactory(note=note, position=1)
    return note


@pytest.mark.parametrize(
    ("method", "url_name", "target"),
    [
        ("get", "admin:papernotes_weeklyissue_add", None),
        ("post", "admin:papernotes_weeklyissue_delete", "issue"),
        ("post", "admin:papernotes_note_delete", "note"),
        ("get", "admin:papernotes_note_add", None),
        ("post", "admin:papernotes_paper_change", "paper"),
        ("post", "admin:papernotes_glossaryentry_delete", "glossary"),
        ("post", "admin:editorial_workflowevent_delete", "event"),
    ],
)
def test_an_editor_is_refused_chief_editor_screens(editor_client, editor, note, method, url_name, target):
    from editorial.models import WorkflowEvent
    from editorial.workflow import note_start_review
    from papernotes.models import GlossaryEntry

    note_start_review(note=note, actor=editor)
    objects = {
        "issue": note.issue,
        "note": note,
        "paper": note.paper,
        "glossary": GlossaryEntry.objects.create(term="RAG", preferred="RAG"),
        "event": WorkflowEvent.objects.get(),
    }
    url = reverse(url_name, args=[objects[target].pk] if target else [])
    response = getattr(editor_client, method)(url, {"post": "yes"})
    assert response.status_code == 403
    assert note.issue.__class__.objects.filter(pk=note.issue.pk).exists()
    assert note.__class__.objects.filter(pk=note.pk).exists()


def test_a_user_without_a_role_cannot_open_the_admin(client, django_user_model, note):
    user = django_user_model.objects.create_user("visitor", password="x")  # not staff
    client.force_login(user)
    response = client.get(reverse("admin:papernotes_note_change", args=[note.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_staff_user_without_a_role_cannot_review(client, django_user_model, note):
    user = django_user_model.objects.create_user("staffonly", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:papernotes_note_change", args=[note.pk])).status_code == 403
    url = reverse("admin:papernotes_weeklyissue_notes_action", args=[note.issue.pk])
    assert client.post(url, {"bulk_action": "approve", "note_ids": [note.pk]}).status_code == 403
    note.refresh_from_db()
    assert note.state == NoteState.DRAFTED


def test_a_regeneration_never_replaces_what_the_editor_typed(editor_client, note):
    # Given an editor rewrote the abstract in the review screen
    url = reverse("admin:papernotes_note_change", args=[note.pk])
    data = _form_data(editor_client.get(url))
    data["abstract_ja"] = "編集者が書いた概要."
    editor_client.post(url, data)
    # When a regeneration of that field finishes later (drafting writes through the provenance rule)
    fresh = note.__class__.objects.get(pk=note.pk)
    fresh.set_machine_text("abstract_ja", "再生成された概要.")
    fresh.save()
    # Then the editor's text stays; the new draft is offered beside it as a suggestion
    note.refresh_from_db()
    assert (note.abstract_ja, note.abstract_ja_source) == ("編集者が書いた概要.", TextSource.EDITOR)
    html = editor_client.get(url).content.decode()
    assert "機械下書きとの違い" in html and "<del>再生成され</del>" in html and "機械下書きを採用" in html
    # And an editor with the page open while it arrived keeps their next edit too (no silent overwrite)
    data = _form_data(editor_client.get(url))
    fresh = note.__class__.objects.get(pk=note.pk)
    fresh.set_machine_text("abstract_ja", "もう一度再生成された概要.")
    fresh.save()
    data["abstract_ja"] = "編集者がさらに直した概要."
    assert editor_client.post(url, data).status_code == 302
    note.refresh_from_db()
    assert note.abstract_ja == "編集者がさらに直した概要."
    assert note.abstract_ja_machine_draft == "もう一度再生成された概要."
