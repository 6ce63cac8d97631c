"""The review screen, the issue page, the dashboard, history and the glossary, as each role uses them."""

import datetime

import pytest
from django.urls import reverse

from editorial.checks.selectors import open_findings
from editorial.checks.services import note_refresh_findings
from editorial.models import WorkflowEvent
from papernotes.models import GlossaryEntry, IssueState, NoteState, TextSource
from tests.editorial.test_admin import _form_data, _qa_prefix
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue():
    return WeeklyIssueFactory(week_start=datetime.date(2024, 4, 29), state=IssueState.IN_REVIEW)


@pytest.fixture
def note(issue):
    paper = PaperFactory(
        title="Prometheus 2", abstract_en="We evaluate on four benchmarks.", authors=["Seungone Kim", "Juyoung Suk"]
    )
    note = NoteFactory(
        issue=issue,
        paper=paper,
        position=1,
        state=NoteState.DRAFTED,
        summary="評価に特化したモデル.",
        summary_source=TextSource.MACHINE,
        summary_machine_draft="評価に特化したモデル.",
        abstract_ja="4つのベンチマークで評価する.",
        abstract_ja_source=TextSource.MACHINE,
        abstract_ja_machine_draft="4つのベンチマークで評価する.",
    )
    for position, question in enumerate(["一つ目の質問は何ですか?", "二つ目の質問は何ですか?"], start=1):
        QuestionAnswerFactory(note=note, position=position, question=question, answer=f"{question[:3]}の答えです.")
    return note


def _note_url(note):
    return reverse("admin:papernotes_note_change", args=[note.pk])


def _issue_url(issue):
    return reverse("admin:papernotes_weeklyissue_change", args=[issue.pk])


# -- review screen ----------------------------------------------------------------------


def test_review_screen_shows_source_beside_draft_with_lists_and_pdf_page_links(editor_client, note):
    note.paper.passages.create(position=1, page_start=3, page_end=3, section="4 Experiments", text="We evaluate.")
    html = editor_client.get(_note_url(note)).content.decode()
    assert 'class="review__source"' in html and 'class="review__draft"' in html
    assert "<li>Seungone Kim</li><li>Juyoung Suk</li>" in html.replace("\n", "")
    assert f"https://arxiv.org/pdf/{note.paper.arxiv_id}v1#page=3" in html
    assert "要約の出典" in html and "概要の出典" in html
    assert 'class="field-actions" data-field="abstract_ja"' in html  # drafting's regeneration slot
    assert 'class="qa-actions" data-qa=' in html


def test_review_screen_shows_a_table_passage_row_by_row(editor_client, note):
    # given a stored table passage of the note's paper
    note.paper.passages.create(
        position=1,
        page_start=7,
        page_end=7,
        section="5 Results",
        is_table=True,
        text="Table 4: Self-consistency.\nModel | Unanimity\nClaude Haiku 4.5 | 87.3%",
    )
    # when the review screen is opened
    html = editor_client.get(_note_url(note)).content.decode()
    # then the table keeps its rows (a preformatted block), its cells escaped as text
    assert 'class="passage__text passage__text--table"' in html
    assert "Model | Unanimity\nClaude Haiku 4.5 | 87.3%" in html


def test_editor_saves_and_approves_in_one_click(editor_client, editor, note):
    data = _form_data(editor_client.get(_note_url(note)))
    data["abstract_ja"] = "4つのベンチマークで評価し、人間の判断と高い相関を示す."
    data["_workflow"] = "approve"
    response = editor_client.post(_note_url(note), data, follow=True)
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED
    assert (note.abstract_ja_source, note.history.first().history_user) == (TextSource.EDITOR, editor)
    assert "「保存して承認」を実行しました" in response.content.decode()


def _approved(note, editor_client):
    data = _form_data(editor_client.get(_note_url(note)))
    data["_workflow"] = "approve"
    editor_client.post(_note_url(note), data)
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED
    return note


def test_an_edit_after_approval_sends_the_note_back_to_review(editor_client, editor, note):
    # given an approved note of an issue not yet published
    _approved(note, editor_client)

    # when an editor changes its abstract and saves
    data = _form_data(editor_client.get(_note_url(note)))
    data["abstract_ja"] = "5つのベンチマークで評価する."
    response = editor_client.post(_note_url(note), data, follow=True)

    # then the text is saved, the approval is taken back with a word to the editor, and the
    # issue page counts it among the notes still to approve
    note.refresh_from_db()
    assert (note.abstract_ja, note.state) == ("5つのベンチマークで評価する.", NoteState.IN_REVIEW)
    assert "レビュー中に戻しました。もう一度承認してください。" in response.content.decode()
    event = WorkflowEvent.objects.filter(note=note).order_by("-id").first()
    assert (event.source_state, event.target_state, event.actor) == (NoteState.APPROVED, NoteState.IN_REVIEW, editor)
    assert "承認後に内容が変更された" in event.comment


def test_an_edited_qa_takes_the_approval_back_too_and_saving_unchanged_does_not(editor_client, note):
    # given an approved note
    _approved(note, editor_client)

    # when it is saved without a change, it stays approved
    data = _form_data(editor_client.get(_note_url(note)))
    editor_client.post(_note_url(note), data)
    note.refresh_from_db()
    assert note.state == NoteState.APPROVED

    # when one answer is changed, the note goes back to review
    qa = note.qas.get(position=2)
    data[f"{_qa_prefix(data, qa)}-answer"] = "二つ目の答えを直しました."
    editor_client.post(_note_url(note), data)
    note.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW


def test_an_edit_with_save_and_approve_ends_approved(editor_client, note):
    # given an approved note whose approval the edit takes back
    _approved(note, editor_client)
    data = _form_data(editor_client.get(_note_url(note)))
    data["summary"] = "評価に特化した言語モデル."

    # when the editor saves with 「保存して承認」 (the button the review state offers), or with
    # 「承認を取り消す」, no error is shown
    data["_workflow"] = "reopen"
    reopened = editor_client.post(_note_url(note), data, follow=True).content.decode()
    assert "この操作はできません" not in reopened
    data = _form_data(editor_client.get(_note_url(note)))
    data["_workflow"] = "approve"
    editor_client.post(_note_url(note), data)

    # then the note is approved again, with the new text
    note.refresh_from_db()
    assert (note.summary, note.state) == ("評価に特化した言語モデル.", NoteState.APPROVED)


def test_a_refused_approval_keeps_the_saved_text_and_says_why(editor_client, note):
    data = _form_data(editor_client.get(_note_url(note)))
    data["abstract_ja"] = "評価器の<b>提案</b>."
    data["_workflow"] = "approve"
    response = editor_client.post(_note_url(note), data, follow=True)
    note.refresh_from_db()
    assert note.abstract_ja == "評価器の<b>提案</b>."  # saved: nothing typed is lost
    assert note.state == NoteState.DRAFTED
    html = response.content.decode()
    assert "このノートはまだ承認できません" in html and "HTML タグが残っています" in html


def test_accepting_the_machine_draft_restores_it_as_the_machines(editor_client, note, editor):
    from editorial.services import note_save_editor_changes

    note_save_editor_changes(note=note, changed_data={"summary": "編集者の要約."}, user=editor)
    data = _form_data(editor_client.get(_note_url(note)))
    data["_accept_machine"] = "summary"
    editor_client.post(_note_url(note), data)
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("評価に特化したモデル.", TextSource.MACHINE)


def test_accepting_the_machine_draft_of_an_approved_note_takes_the_approval_back(editor_client, note, editor):
    # given an approved note whose summary an editor had rewritten
    from editorial.services import note_save_editor_changes

    note_save_editor_changes(note=note, changed_data={"summary": "編集者の要約."}, user=editor)
    _approved(note, editor_client)

    # when the machine's summary is accepted instead
    data = _form_data(editor_client.get(_note_url(note)))
    data["_accept_machine"] = "summary"
    page = editor_client.post(_note_url(note), data, follow=True).content.decode()

    # then the text changed, so the note is back in review, and the editor is told
    note.refresh_from_db()
    assert (note.summary, note.state) == ("評価に特化したモデル.", NoteState.IN_REVIEW)
    assert "もう一度承認してください" in page


def test_dismissing_a_finding_from_the_review_screen(client, editor, chief_editor, note):
    # given a 要修正 finding (markup left in the abstract)
    note.abstract_ja = "評価器の<b>提案</b>."
    note.save()
    (finding,) = [found for found in note_refresh_findings(note_id=note.pk) if found.code == "debris"]
    reason = "原文の表記をそのまま示すため."

    # when an editor dismisses it from the review screen, it is refused: a chief editor's decision
    client.force_login(editor)
    data = _form_data(client.get(_note_url(note)))
    data["_dismiss"] = finding.fingerprint
    data[f"dismiss_reason_{finding.fingerprint}"] = reason
    response = client.post(_note_url(note), data, follow=True)
    assert "要修正の指摘を却下できるのは編集長だけです" in response.content.decode()
    assert open_findings().filter(note=note, code="debris").exists()

    # when the chief editor dismisses it with the same reason, it is gone, with the reason kept
    client.force_login(chief_editor)
    data = _form_data(client.get(_note_url(note)))
    data["_dismiss"] = finding.fingerprint
    data[f"dismiss_reason_{finding.fingerprint}"] = reason
    client.post(_note_url(note), data)
    assert not open_findings().filter(note=note, code="debris").exists()
    assert note.finding_dismissals.get().reason == reason


def test_qa_pairs_are_swapped_by_their_positions(editor_client, note):
    first, second = note.qas.order_by("position")
    data = _form_data(editor_client.get(_note_url(note)))
    data[f"{_qa_prefix(data, first)}-position"] = "2"
    data[f"{_qa_prefix(data, second)}-position"] = "1"
    response = editor_client.post(_note_url(note), data)
    assert response.status_code == 302, response.content.decode()
    assert list(note.qas.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]


def test_assignment_and_comment_from_the_review_screen(editor_client, editor, note):
    data = _form_data(editor_client.get(_note_url(note)))
    data["assignee"] = str(editor.pk)
    data["comment"] = "数値を確認しました."
    editor_client.post(_note_url(note), data)
    assert note.assignment.assignee == editor
    assert note.review_comments.get().text == "数値を確認しました."


def test_an_editor_cannot_edit_a_published_note(editor_client, note):
    type(note.issue).objects.filter(pk=note.issue_id).update(
        state=IssueState.PUBLISHED, published_at=datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC)
    )
    data = _form_data(editor_client.get(_note_url(note)))
    data["abstract_ja"] = "書き換え."
    response = editor_client.post(_note_url(note), data)
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.abstract_ja == "4つのベンチマークで評価する."


def test_a_chief_editor_corrects_a_published_note_and_the_issue_shows_updated(chief_client, note):
    type(note.issue).objects.filter(pk=note.issue_id).update(
        state=IssueState.PUBLISHED, published_at=datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC)
    )
    data = _form_data(chief_client.get(_note_url(note)))
    data["abstract_ja"] = "4つのベンチマークで評価する(訂正)."
    refused = chief_client.post(_note_url(note), data)
    assert "訂正の内容を書いてください" in refused.content.decode()
    data["correction_note"] = "表記の訂正"
    assert chief_client.post(_note_url(note), data).status_code == 302
    note.issue.refresh_from_db()
    assert note.issue.state == IssueState.CORRECTED and note.issue.corrected_at is not None
    # and the published version stays in the history
    assert note.history.filter(abstract_ja="4つのベンチマークで評価する.").exists()


# -- issue page ---------------------------------------------------------------------------


def test_an_editor_cannot_publish_from_the_issue_page(editor_client, note):
    note_state_before = note.issue.state
    html = editor_client.get(_issue_url(note.issue)).content.decode()
    assert "今すぐ公開" not in html
    url = reverse("admin:papernotes_weeklyissue_workflow", args=[note.issue.pk])
    response = editor_client.post(url, {"action": "publish", "override_reason": "急ぎ"}, follow=True)
    assert "権限がありません" in response.content.decode()
    note.issue.refresh_from_db()
    assert note.issue.state == note_state_before


def test_chief_editor_sees_blockers_then_publishes(chief_client, chief_editor, note):
    url = reverse("admin:papernotes_weeklyissue_workflow", args=[note.issue.pk])
    html = chief_client.get(_issue_url(note.issue)).content.decode()
    assert "1. Prometheus 2 が承認されていません(下書き済み)" in html
    response = chief_client.post(url, {"action": "publish"}, follow=True)
    assert "この号はまだ公開できません" in response.content.decode()
    from editorial.workflow import note_approve

    note_approve(note=note, actor=chief_editor)
    response = chief_client.post(url, {"action": "publish"}, follow=True)
    assert "「今すぐ公開」を実行しました" in response.content.decode()
    note.issue.refresh_from_db()
    assert note.issue.state == IssueState.PUBLISHED
    assert WorkflowEvent.objects.filter(action="issue_publish", actor=chief_editor).exists()


def test_chief_editor_schedules_publication_in_japan_time(chief_client, chief_editor, note):
    from editorial.workflow import note_approve

    note_approve(note=note, actor=chief_editor)
    url = reverse("admin:papernotes_weeklyissue_workflow", args=[note.issue.pk])
    chief_client.post(url, {"action": "schedule", "publish_at": "2099-05-06T09:00"})
    note.issue.refresh_from_db()
    assert note.issue.state == IssueState.SCHEDULED
    assert note.issue.scheduled_publication.publish_at == datetime.datetime(2099, 5, 6, 0, 0, tzinfo=datetime.UTC)


def test_bulk_approve_from_the_issue_page(editor_client, note):
    other = NoteFactory(issue=note.issue, position=2, state=NoteState.IN_REVIEW)
    QuestionAnswerFactory(note=other, position=1)
    url = reverse("admin:papernotes_weeklyissue_notes_action", args=[note.issue.pk])
    editor_client.post(url, {"bulk_action": "approve", "note_ids": [note.pk, other.pk]})
    assert set(note.issue.notes.values_list("state", flat=True)) == {NoteState.APPROVED}


def test_issue_list_counts_approved_notes(chief_client, note):
    html = chief_client.get(reverse("admin:papernotes_weeklyissue_changelist")).content.decode()
    assert '<td class="field-approved_count">0 / 1</td>' in html


# -- dashboard, history, glossary, papers ---------------------------------------------------


def test_dashboard_shows_where_the_work_is(editor_client, editor, note):
    from editorial.workflow import note_assign

    note_assign(note=note, assignee=editor, actor=editor)
    html = editor_client.get(reverse("admin:index")).content.decode()
    assert "今週の号" in html and "自分の担当 (1)" in html and "レビュー待ちのノート (1)" in html
    assert f'href="{_note_url(note)}" class="review-link">Prometheus 2</a>' in html


def test_history_compares_two_revisions_including_qas(editor_client, editor, note):
    from editorial.services import note_save_editor_changes, qa_save_editor_changes

    before = note.history.first().history_date
    note_save_editor_changes(note=note, changed_data={"summary": "直した要約."}, user=editor)
    qa_save_editor_changes(qa=note.qas.get(position=1), changed_data={"answer": "直した答え."}, user=editor)
    after = note.qas.get(position=1).history.first().history_date
    url = reverse("admin:papernotes_note_history_compare", args=[note.pk])
    html = editor_client.get(url, {"from": before.isoformat(), "to": after.isoformat()}).content.decode()
    assert "<del>評価に特化</del><ins>直</ins>した<del>モデル</del><ins>要約</ins>." in html
    assert "<h3>Q1 回答</h3>" in html and "直した答え" in html
    assert "hanako" in html


def test_glossary_exports_and_imports_csv(chief_client):
    GlossaryEntry.objects.create(term="fine-tuning", preferred="ファインチューニング", forbidden_variants=["微調整"])
    export = chief_client.post(
        reverse("admin:papernotes_glossaryentry_export"),
        {
            "format": "0",
            "resource": "0",
            "glossaryresource_term": "on",
            "glossaryresource_preferred": "on",
            "glossaryresource_forbidden_variants": "on",
            "glossaryresource_note": "on",
        },
    )
    body = export.content.decode("utf-8-sig")
    assert "fine-tuning,ファインチューニング,微調整" in body


def test_paper_authors_and_categories_are_edited_as_lines(chief_client, note):
    from tests.editorial.test_admin import _change_url

    data = _form_data(chief_client.get(_change_url(note.paper)))
    assert data["authors"] == "Seungone Kim\nJuyoung Suk"
    data["authors"] = "Seungone Kim\r\nJuyoung Suk\r\nShayne Longpre"
    data["categories"] = "cs.CL\ncs.XX"
    response = chief_client.post(_change_url(note.paper), data)
    assert "arXiv にないカテゴリコードです: cs.XX" in response.content.decode()
    data["categories"] = "cs.CL\ncs.AI"
    assert chief_client.post(_change_url(note.paper), data).status_code == 302
    note.paper.refresh_from_db()
    assert note.paper.authors == ["Seungone Kim", "Juyoung Suk", "Shayne Longpre"]
    assert note.paper.categories == ["cs.CL", "cs.AI"]


def test_dashboard_lists_failed_drafting(editor_client, note):
    from papernotes.models import DraftingStatus, NoteDrafting

    NoteDrafting.objects.create(
        note=note, status=DraftingStatus.FAILED, last_error="LLM の応答が時間内に届きませんでした."
    )
    html = editor_client.get(reverse("admin:index")).content.decode()
    assert "下書きに失敗したノート (1)" in html
    assert "LLM の応答が時間内に届きませんでした." in html


def test_request_changes_needs_the_comment_field(editor_client, note):
    data = _form_data(editor_client.get(_note_url(note)))
    data["_workflow"] = "request_changes"
    response = editor_client.post(_note_url(note), data, follow=True)
    assert "修正依頼には、何を直すかのコメントを書いてください" in response.content.decode()
    note.refresh_from_db()
    assert note.state == NoteState.DRAFTED
    data = _form_data(editor_client.get(_note_url(note)))
    data.update({"_workflow": "request_changes", "comment": "Q2 の数値を原文と照合してください."})
    editor_client.post(_note_url(note), data)
    note.refresh_from_db()
    assert note.state == NoteState.CHANGES_REQUESTED
    assert note.review_comments.get().text == "Q2 の数値を原文と照合してください."
    assert note.workflow_events.get(action="note_request_changes").comment == "Q2 の数値を原文と照合してください."


def test_no_two_labels_say_just_source(editor_client, note):
    for name in ("note", "questionanswer"):
        html = editor_client.get(reverse(f"admin:papernotes_{name}_changelist")).content.decode()
        assert "> 出典 で絞り込む <" not in html and "出典 で絞り込む" not in html.replace("の出典 で絞り込む", "")
    html = editor_client.get(reverse("admin:papernotes_note_changelist")).content.decode()
    assert "要約の出典 で絞り込む" in html and "概要の出典 で絞り込む" in html


def test_a_published_issue_keeps_its_week_and_its_notes(chief_client, chief_editor, note):
    from editorial.workflow import issue_publish, note_approve

    note_approve(note=note, actor=chief_editor)
    issue = issue_publish(issue=note.issue, actor=chief_editor)
    # the note cannot be deleted, even by the chief editor
    response = chief_client.post(reverse("admin:papernotes_note_delete", args=[note.pk]), {"post": "yes"})
    assert response.status_code == 403
    # the week (the permalink) cannot be changed; a changed intro is recorded as a correction
    data = _form_data(chief_client.get(_issue_url(issue)))
    assert "week_start" not in data
    data["intro"] = "前書きを直しました."
    assert chief_client.post(_issue_url(issue), data).status_code == 302
    issue.refresh_from_db()
    assert (issue.week_start, issue.intro, issue.state) == (
        datetime.date(2024, 4, 29),
        "前書きを直しました.",
        "corrected",
    )
    assert issue.corrected_at is not None
