"""Drafting on the review screen: the draft's state and cost, evidence under each answer,
and regenerating one field or answer without touching what the editor typed."""

import html
import re

import pytest
from django.urls import reverse

from papernotes.drafting.services import notes_draft_start
from papernotes.models import AnswerEvidence, DraftingStatus, IssueState, LlmCall, NoteDrafting, TextSource
from tests.drafting.conftest import make_note
from tests.factories import set_issue_state
from tests.support.openai_server import Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _drafted(django_capture_on_commit_callbacks):
    note = make_note()
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[note.pk])
    note.refresh_from_db()
    return note


def _page(client, note) -> str:
    return client.get(reverse("admin:papernotes_note_change", args=[note.pk])).content.decode()


def test_the_review_screen_shows_the_draft_its_cost_and_each_answers_evidence(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    note = _drafted(django_capture_on_commit_callbacks)
    AnswerEvidence.objects.filter(qa__note=note, qa__position=2).update(verified=False)
    NoteDrafting.objects.filter(note=note).update(flags=["Q2: 根拠の引用が本文に見つかりません"])

    page = _page(admin_client, note)

    cost = sum(call.cost_usd for call in LlmCall.objects.filter(note=note))
    assert "機械下書き" in page and "完了" in page
    assert "LLM 呼び出し 2 回" in page and f"{cost:.4f} USD" in page
    assert "Q2: 根拠の引用が本文に見つかりません" in page
    first = AnswerEvidence.objects.filter(qa__note=note, qa__position=1).get()
    assert f"https://arxiv.org/pdf/{note.paper.versioned_id}#page={first.page_start}" in page
    assert first.quote in page
    assert page.count("本文で確認済み") == 9 and page.count('class="evidence evidence--unverified"') == 1
    assert page.count('data-regenerate="qa:') == 10
    assert 'data-regenerate="summary"' in page and 'data-regenerate="abstract_ja"' in page


def test_regenerating_a_field_from_the_page_then_following_it(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    note = _drafted(django_capture_on_commit_callbacks)
    llm_server.script(Reply(transform=lambda output: {**output, "summary_ja": "作り直した要約。"}), step="read")
    url = reverse("admin:papernotes_note_regenerate", args=[note.pk])
    status_url = reverse("admin:papernotes_note_regeneration_status", args=[note.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"target": "summary"}, headers={"Accept": "application/json"})

    assert response.status_code == 200 and response.json()["status"] == "queued"
    state = admin_client.get(status_url, {"target": "summary"}).json()
    assert state["status"] == "done" and state["changed"] is True
    assert state["text"] == "作り直した要約." and state["message"] == "新しい機械下書きを反映しました。"


def test_regenerating_over_an_editors_answer_keeps_it_and_says_so(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    note = _drafted(django_capture_on_commit_callbacks)
    qa = note.qas.get(position=1)
    qa.set_editor_text("answer", "編集者の回答.")
    qa.save()
    status_url = reverse("admin:papernotes_note_regeneration_status", args=[note.pk])

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:papernotes_note_regenerate", args=[note.pk]), {"target": f"qa:{qa.pk}"})

    state = admin_client.get(status_url, {"target": f"qa:{qa.pk}"}).json()
    assert state["changed"] is False and "提案として保存しました" in state["message"]
    assert state["text"] == "編集者の回答."
    qa.refresh_from_db()
    assert qa.answer_source == TextSource.EDITOR and qa.answer_machine_draft.startswith("論文によると")


@pytest.mark.parametrize("target", ["", "title", "qa:0"])
def test_regenerating_something_else_is_refused_with_a_message(admin_client, llm_server, target):
    note = make_note()

    response = admin_client.post(reverse("admin:papernotes_note_regenerate", args=[note.pk]), {"target": target})

    assert response.status_code == 400
    assert response.json()["status"] == "refused" and response.json()["message"]
    assert llm_server.calls == []


def test_a_published_note_offers_no_regeneration(admin_client, llm_server, django_capture_on_commit_callbacks):
    note = _drafted(django_capture_on_commit_callbacks)
    set_issue_state(note.issue, IssueState.PUBLISHED, published_at=note.issue.created_at)

    assert 'data-regenerate="' not in _page(admin_client, note)
    response = admin_client.post(reverse("admin:papernotes_note_regenerate", args=[note.pk]), {"target": "summary"})
    assert response.status_code in (400, 403)


def test_without_an_llm_the_page_says_why_and_offers_no_buttons(admin_client, settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    note = make_note()
    NoteDrafting.objects.create(note=note, status=DraftingStatus.MANUAL, last_error="LLM が設定されていないため…")

    page = _page(admin_client, note)

    assert "手動で下書き" in page and "LLM が設定されていないため" in page
    assert 'data-regenerate="' not in page and "data-draft-note" not in page


def test_the_review_screen_queries_do_not_grow_with_answers(
    admin_client, llm_server, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = make_note()
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[small.pk])
    with CaptureQueriesContext(connection) as ten_pairs:
        _page(admin_client, small)
    llm_server.questions = 11
    big = make_note()
    with django_capture_on_commit_callbacks(execute=True):
        notes_draft_start(note_ids=[big.pk])
    assert big.qas.count() == 11

    with django_assert_max_num_queries(len(ten_pairs.captured_queries)):
        _page(admin_client, big)


def test_an_editor_starts_drafting_from_the_issue_page(editor_client, llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    page = editor_client.get(reverse("admin:papernotes_weeklyissue_change", args=[note.issue_id])).content.decode()
    draft_url = reverse("admin:papernotes_weeklyissue_draft", args=[note.issue_id])
    assert f'data-post="{draft_url}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(draft_url, headers={"Accept": "application/json"})

    assert response.status_code == 200 and response.json() == {"message": "1 本の論文の下書きを作成します。"}
    assert NoteDrafting.objects.get(note=note).status == DraftingStatus.SUCCEEDED


def test_a_user_who_may_not_edit_notes_cannot_start_drafting(client, django_user_model, llm_server):
    note = make_note()
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)

    response = client.post(reverse("admin:papernotes_weeklyissue_draft", args=[note.issue_id]))

    assert response.status_code == 403
    assert llm_server.calls == []


def test_the_issue_page_shows_the_weeks_calls_tokens_and_cost(
    admin_client, llm_server, django_capture_on_commit_callbacks
):
    note = _drafted(django_capture_on_commit_callbacks)
    calls = list(LlmCall.objects.filter(note=note))

    text = admin_client.get(reverse("admin:papernotes_weeklyissue_pipeline", args=[note.issue_id])).content.decode()

    inputs, outputs = sum(c.input_tokens for c in calls), sum(c.output_tokens for c in calls)
    cost = sum(c.cost_usd for c in calls)
    assert f"LLM 呼び出し 2 回、入力 {inputs} / 出力 {outputs} トークン、{cost:.4f} USD" in text
    assert f"2 回 / {inputs}+{outputs} トークン / {cost:.4f} USD" in text


@pytest.mark.parametrize("role", ["editor", "chief_editor"])
def test_both_roles_follow_the_llm_calls_link_to_the_notes_calls(
    role, request, client, llm_server, django_capture_on_commit_callbacks
):
    # Given a drafted note, and an editor or a chief editor on its review screen
    note = _drafted(django_capture_on_commit_callbacks)
    other = _drafted(django_capture_on_commit_callbacks)
    client.force_login(request.getfixturevalue(role))
    page = _page(client, note)
    link = re.search(r'<a href="([^"]+)">LLM 呼び出し 2 回', page)
    assert link, "the review screen links the note's LLM calls"

    # When they follow the link
    response = client.get(html.unescape(link.group(1)))

    # Then they see this note's calls (read only), and not another note's
    assert response.status_code == 200
    body = response.content.decode()
    listed = set(response.context["cl"].result_list)
    assert listed == set(LlmCall.objects.filter(note=note)) and not listed & set(LlmCall.objects.filter(note=other))
    assert 'name="_save"' not in body


def test_a_staff_user_without_a_role_may_not_read_llm_calls(client, django_user_model):
    user = django_user_model.objects.create_user(username="guest", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:papernotes_llmcall_changelist")).status_code == 403
