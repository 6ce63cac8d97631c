"""The admin, as an editor uses it: Japanese screens, and the provenance of what they type.

Forms are submitted the way a browser would: every field of the rendered change form,
including the hidden copies of the texts the editor was shown, with only the edited
fields altered.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from editorial.services import note_save_editor_changes
from papernotes.models import IssueState, Note, QuestionAnswer, TextSource
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def note():
    issue = WeeklyIssueFactory(state=IssueState.IN_REVIEW)
    note = NoteFactory(
        issue=issue,
        position=1,
        paper=PaperFactory(title="Prometheus 2", authors=["Seungone Kim", "Ada Lovelace"]),
        summary="機械が書いた要約.",
        summary_source=TextSource.MACHINE,
        summary_machine_draft="機械が書いた要約.",
        abstract_ja="取り込んだ概要.",
        abstract_ja_source=TextSource.IMPORTED,
    )
    QuestionAnswerFactory(note=note, position=1, question="一つ目の質問?", answer="一つ目の回答.")
    QuestionAnswerFactory(note=note, position=2, question="二つ目の質問?", answer="二つ目の回答.")
    return note


class _FormFields(HTMLParser):
    """Collects what a browser would submit from the admin's main form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in self.data):
            self.data[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            # A textarea's content starts after one optional newline.
            value = self.data[self._textarea] + data
            self.data[self._textarea] = value.removeprefix("\n") if not self.data[self._textarea] else value


def _form_data(response) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(response.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def _qa_prefix(form_data: dict[str, str], qa: QuestionAnswer) -> str:
    """The inline formset prefix (``qas-0``) of the row holding ``qa``."""
    for name, value in form_data.items():
        if name.endswith("-id") and value == str(qa.pk):
            return name.removesuffix("-id")
    raise AssertionError(f"Q&A {qa.pk} not in the form")


def _change_url(obj) -> str:
    return reverse(f"admin:papernotes_{obj._meta.model_name}_change", args=[obj.pk])


# --- every screen renders, in Japanese ---------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "page"),
    [
        (model, page)
        for model in ("paper", "weeklyissue", "note", "questionanswer")
        for page in ("changelist", "add")
        if (model, page) != ("questionanswer", "add")  # pairs are added on their note's review screen
    ],
)
def test_list_and_add_pages_render_in_japanese(admin_client, note, model_name, page):
    # when an editor opens the page
    response = admin_client.get(reverse(f"admin:papernotes_{model_name}_{page}"))

    # then it renders in Japanese
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja"' in html
    assert "最新論文ノート 管理画面" in html
    assert ("追加" in html) if page == "add" else ("検索" in html or "選択" in html)


@pytest.mark.parametrize("obj_name", ["paper", "issue", "note", "qa"])
@pytest.mark.parametrize("view", ["change", "history"])
def test_change_and_history_pages_render_in_japanese(admin_client, note, obj_name, view):
    # given an object of each model
    obj = {"paper": note.paper, "issue": note.issue, "note": note, "qa": note.qas.first()}[obj_name]

    # when an editor opens its change page or its 履歴
    url = reverse(f"admin:papernotes_{obj._meta.model_name}_{view}", args=[obj.pk])
    response = admin_client.get(url)

    # then it renders in Japanese (a pair's own page is read-only: it links to its review screen)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja"' in html
    if view == "history":
        assert "履歴" in html and "日時(日本時間)" in html
    else:
        assert ("レビュー画面で編集" in html) if obj_name == "qa" else ("保存" in html)


def test_issue_list_shows_state_and_number_of_papers(admin_client, note):
    # given a second note in the issue
    NoteFactory(issue=note.issue, position=2)

    # when the chief editor opens the issue list
    html = admin_client.get(reverse("admin:papernotes_weeklyissue_changelist")).content.decode()

    # then each issue shows its title, state in Japanese and number of papers
    assert note.issue.title in html
    assert "公開済み" in html
    assert '<td class="field-note_count">2</td>' in html


def test_issue_page_lists_its_notes_with_links(admin_client, note):
    # when the chief editor opens the issue
    html = admin_client.get(_change_url(note.issue)).content.decode()

    # then each note is listed with its title linking to the note's review screen
    assert f'<a href="{_change_url(note)}" class="review-link">Prometheus 2</a>' in html


def test_editing_an_issue_keeps_its_notes(admin_client, note):
    # given the issue's change form, with its notes listed read-only
    data = _form_data(admin_client.get(_change_url(note.issue)))

    # when the chief editor rewrites the intro and saves
    data["intro"] = "今週も十本の論文を紹介します."
    response = admin_client.post(_change_url(note.issue), data)

    # then the intro is saved and the notes are as they were
    assert response.status_code == 302, response.content.decode()
    note.issue.refresh_from_db()
    assert note.issue.intro == "今週も十本の論文を紹介します."
    assert list(note.issue.notes.values_list("pk", "position")) == [(note.pk, 1)]


def test_note_page_shows_sources_and_machine_drafts(admin_client, note):
    # when an editor opens a note
    html = admin_client.get(_change_url(note)).content.decode()

    # then they see who wrote each text, under unambiguous labels, and the machine draft
    assert "要約の出典: <strong>機械下書き</strong>" in html
    assert "概要の出典: <strong>取り込み</strong>" in html
    assert "機械下書き(現在の文章と同じ)" in html
    assert "機械が書いた要約." in html


@pytest.mark.parametrize(
    ("model_name", "query", "expected"),
    [
        ("paper", "Lovelace", "Prometheus 2"),
        ("paper", "Prometheus", "Prometheus 2"),
        ("note", "Prometheus", "Prometheus 2"),
        ("note", "機械が書いた", "Prometheus 2"),
        ("questionanswer", "二つ目", "二つ目の質問?"),
    ],
)
def test_search_finds_papers_notes_and_qas(admin_client, note, model_name, query, expected):
    # when an editor searches a list
    response = admin_client.get(reverse(f"admin:papernotes_{model_name}_changelist"), {"q": query})

    # then the matching row is shown
    assert response.status_code == 200
    assert expected in response.content.decode()


# --- provenance: what an editor changes becomes "editor" ---------------------------------


def test_editing_a_note_summary_marks_it_editor_and_keeps_the_abstract_source(admin_client, admin_user, note):
    # given the note's change form as the editor sees it
    data = _form_data(admin_client.get(_change_url(note)))

    # when the editor rewrites the summary only and saves
    data["summary"] = "編集者が直した要約."
    response = admin_client.post(_change_url(note), data)

    # then the summary is theirs, and the abstract keeps its text and source
    assert response.status_code == 302, response.content.decode()
    note.refresh_from_db()
    assert note.summary == "編集者が直した要約."
    assert note.summary_source == TextSource.EDITOR
    assert note.summary_machine_draft == "機械が書いた要約."
    assert note.abstract_ja == "取り込んだ概要."
    assert note.abstract_ja_source == TextSource.IMPORTED
    # and the Q&A were not touched either
    assert set(note.qas.values_list("question_source", "answer_source")) == {(TextSource.IMPORTED, TextSource.IMPORTED)}
    # and 履歴 records who did it
    assert note.history.first().history_user == admin_user


def test_editor_is_told_which_texts_became_theirs(admin_client, note):
    # given the note's change form
    data = _form_data(admin_client.get(_change_url(note)))

    # when the editor rewrites the abstract
    data["abstract_ja"] = "編集者が直した概要."
    response = admin_client.post(_change_url(note), data, follow=True)

    # then a message names the field now marked as written by an editor
    assert "編集者の文章として記録しました: 概要(日本語)" in response.content.decode()


def test_saving_a_note_without_changes_changes_no_source(admin_client, note):
    # given the note's change form
    data = _form_data(admin_client.get(_change_url(note)))

    # when the editor saves, with a forged "state" in the request
    data["state"] = "approved"
    response = admin_client.post(_change_url(note), data)

    # then no text changed hands, and the state moved only through the workflow: not at all
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.state == "drafted"
    assert (note.summary_source, note.abstract_ja_source) == (TextSource.MACHINE, TextSource.IMPORTED)
    assert set(note.qas.values_list("question_source", "answer_source")) == {(TextSource.IMPORTED, TextSource.IMPORTED)}


def test_editing_a_qa_inline_marks_only_that_answer_editor(admin_client, note):
    # given the note's change form with its two Q&A
    first, second = note.qas.order_by("position")
    data = _form_data(admin_client.get(_change_url(note)))

    # when the editor rewrites the second answer and saves
    data[f"{_qa_prefix(data, second)}-answer"] = "編集者が直した回答."
    response = admin_client.post(_change_url(note), data)

    # then that answer is the editor's; its question and the other pair keep their source
    assert response.status_code == 302, response.content.decode()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.answer == "編集者が直した回答."
    assert second.answer_source == TextSource.EDITOR
    assert second.question_source == TextSource.IMPORTED
    assert (first.question_source, first.answer_source) == (TextSource.IMPORTED, TextSource.IMPORTED)
    # and the note's own texts are untouched
    note.refresh_from_db()
    assert (note.summary_source, note.abstract_ja_source) == (TextSource.MACHINE, TextSource.IMPORTED)


def test_a_qa_added_in_the_admin_is_the_editors(admin_client, note):
    # given the note's change form
    data = _form_data(admin_client.get(_change_url(note)))

    # when the editor adds a third pair in the empty inline row
    total = int(data["qas-TOTAL_FORMS"])
    data.update(
        {
            "qas-TOTAL_FORMS": str(total + 1),
            f"qas-{total}-position": "3",
            f"qas-{total}-question": "三つ目の質問?",
            f"qas-{total}-answer": "三つ目の回答.",
            f"qas-{total}-note": str(note.pk),
        }
    )
    response = admin_client.post(_change_url(note), data)

    # then it is saved as written by an editor
    assert response.status_code == 302, response.content.decode()
    added = note.qas.get(position=3)
    assert (added.question, added.answer) == ("三つ目の質問?", "三つ目の回答.")
    assert (added.question_source, added.answer_source) == (TextSource.EDITOR, TextSource.EDITOR)


def test_a_qa_cannot_be_changed_or_deleted_on_its_own_page(admin_client, note):
    # given a Q&A's own page, which is read-only (pairs are edited on the note's review screen)
    qa = note.qas.get(position=1)
    before = (qa.question, qa.answer, qa.position, qa.note_id)
    other_note = NoteFactory(issue=note.issue, position=2)

    # when someone forges a change (a new text, another note) and a deletion
    changed = admin_client.post(
        _change_url(qa),
        {"note": other_note.pk, "position": 9, "question": "書き換え?", "answer": "書き換え."},
    )
    deleted = admin_client.post(reverse("admin:papernotes_questionanswer_delete", args=[qa.pk]), {"post": "yes"})
    listed = admin_client.post(
        reverse("admin:papernotes_questionanswer_changelist"),
        {"action": "delete_selected", "_selected_action": [qa.pk], "post": "yes"},
    )

    # then each is refused and the pair is as it was, on its note
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert listed.status_code in (200, 302)
    qa.refresh_from_db()
    assert (qa.question, qa.answer, qa.position, qa.note_id) == before


def test_browser_line_endings_are_stored_as_lf(admin_client, note):
    # given the note's change form
    data = _form_data(admin_client.get(_change_url(note)))

    # when the browser submits a two-paragraph abstract with CRLF line endings
    data["abstract_ja"] = "一段落目.\r\n\r\n二段落目."
    admin_client.post(_change_url(note), data)

    # then it is stored with LF, as the text format writes it
    note.refresh_from_db()
    assert note.abstract_ja == "一段落目.\n\n二段落目."


# --- nothing typed is lost while the form is open ----------------------------------------


def test_a_machine_draft_saved_while_the_form_is_open_is_kept(admin_client, note):
    # given an editor who opened the note
    data = _form_data(admin_client.get(_change_url(note)))

    # when a late drafting task replaces the machine summary meanwhile
    fresh = Note.objects.get(pk=note.pk)
    fresh.set_machine_text("summary", "新しい機械下書き.")
    fresh.save()
    # and the editor saves a change to the abstract only
    data["abstract_ja"] = "編集者が直した概要."
    response = admin_client.post(_change_url(note), data)

    # then the new machine summary survives, still marked as the machine's
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("新しい機械下書き.", TextSource.MACHINE)
    assert (note.abstract_ja, note.abstract_ja_source) == ("編集者が直した概要.", TextSource.EDITOR)


def test_two_editors_changing_the_same_text_are_not_silently_overwritten(admin_client, admin_user, note):
    # given an editor who opened the note
    data = _form_data(admin_client.get(_change_url(note)))

    # when a second editor saves a new summary meanwhile
    other = Note.objects.get(pk=note.pk)
    note_save_editor_changes(note=other, changed_data={"summary": "二人目の要約."}, user=admin_user)
    # and the first editor saves their own summary
    data["summary"] = "一人目の要約."
    response = admin_client.post(_change_url(note), data)

    # then the save is refused with an explanation, showing the current text, keeping theirs
    html = response.content.decode()
    assert response.status_code == 200
    assert "他の人または機械下書きによって変更されました" in html
    assert "二人目の要約." in html
    assert "一人目の要約." in html
    note.refresh_from_db()
    assert note.summary == "二人目の要約."

    # when the first editor, having seen it, saves again
    response = admin_client.post(_change_url(note), _form_data(response))

    # then their text is saved as theirs
    assert response.status_code == 302, response.content.decode()
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("一人目の要約.", TextSource.EDITOR)


def test_service_marks_only_changed_texts_and_refuses_other_fields(admin_user, note):
    # when the service is given one changed text and one identical text
    changed = note_save_editor_changes(
        note=note, changed_data={"summary": "新しい要約.", "abstract_ja": "取り込んだ概要."}, user=admin_user
    )

    # then only the changed one is reported and marked
    assert changed == ["summary"]
    note.refresh_from_db()
    assert (note.summary_source, note.abstract_ja_source) == (TextSource.EDITOR, TextSource.IMPORTED)

    # and a field without provenance is refused
    with pytest.raises(ValueError, match="state"):
        note_save_editor_changes(note=note, changed_data={"state": "approved"}, user=admin_user)


def test_reverting_a_note_in_history_restores_its_text_as_the_editors(admin_client, admin_user, note):
    # given a note whose summary an editor rewrote after the machine's version
    machine_version = note.history.first()
    note_save_editor_changes(note=note, changed_data={"summary": "編集者の要約."}, user=admin_user)

    # when the chief editor opens the machine's version in 履歴 and reverts to it
    url = reverse("admin:papernotes_note_simple_history", args=[note.pk, machine_version.history_id])
    response = admin_client.post(url, _form_data(admin_client.get(url)))

    # then the summary is the old text again, chosen by an editor; the abstract is untouched
    assert response.status_code == 302, response.content.decode()
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("機械が書いた要約.", TextSource.EDITOR)
    assert (note.abstract_ja, note.abstract_ja_source) == ("取り込んだ概要.", TextSource.IMPORTED)


def test_the_issue_form_cannot_set_the_state(admin_client):
    # Given a draft issue
    issue = WeeklyIssueFactory(week_start=datetime.date(2025, 3, 3))
    url = reverse("admin:papernotes_weeklyissue_change", args=[issue.pk])
    # When a forged form posts 公開済み
    response = admin_client.post(
        url,
        {
            "week_start": "2025-03-03",
            "intro": "",
            "state": "published",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    # Then the issue is saved but not published: only the workflow publishes
    assert response.status_code == 302, response.content.decode()
    issue.refresh_from_db()
    assert issue.state == "collecting"
    assert issue.published_at is None


@pytest.mark.parametrize(
    "url_name", ["admin:index", "admin:papernotes_note_changelist", "admin:papernotes_paper_changelist"]
)
def test_every_admin_screen_loads_the_editors_stylesheet_once(admin_client, note, url_name):
    html = admin_client.get(reverse(url_name)).content.decode()
    assert html.count("editorial/admin") == 1  # hashed name in production, plain in tests


def test_the_note_list_names_each_notes_week_not_the_issue_title(admin_client, note):
    html = admin_client.get(reverse("admin:papernotes_note_changelist")).content.decode()
    assert f'<td class="field-week">{note.issue.week_start.isoformat()}</td>' in html
    assert "field-issue" not in html


def test_a_text_past_its_length_cap_is_refused_in_the_form_and_kept_there(admin_client, note):
    # given the note's change form, and an editor who pasted far too much into the 概要 and an answer
    data = _form_data(admin_client.get(_change_url(note)))
    pasted = "長い文章を貼り付けた." * 2_001  # 22,011 characters, past the 20,000 cap
    data["abstract_ja"] = pasted
    prefix = _qa_prefix(data, note.qas.first())
    data[f"{prefix}-answer"] = "あ" * 5_001

    # when they save
    response = admin_client.post(_change_url(note), data)

    # then the form comes back with the reasons beside the fields, and their text still in it
    html = response.content.decode()
    assert response.status_code == 200
    assert "20,000 文字以内にしてください(いまは 22,011 文字です)。" in html
    assert "5,000 文字以内にしてください(いまは 5,001 文字です)。" in html
    assert pasted in html
    # and nothing was saved
    note.refresh_from_db()
    assert note.abstract_ja == "取り込んだ概要."
