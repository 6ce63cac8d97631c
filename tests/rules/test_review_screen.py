"""Issue 13, Why 3: on the note's review screen an approval survived most Q&A changes
(deleting, reordering, adding a pair), and an issue was published with such notes. The rule:
any change of an approved note's texts or Q&A set, in an unpublished issue, leaves the note
レビュー中, and the issue cannot be published while it is so."""

import pytest
from django.urls import reverse

from papernotes.models import IssueState, NoteState, WeeklyIssue
from tests.rules.doors import SAVE, body, issue_with_notes, page_form, qa_texts, review_url

pytestmark = pytest.mark.django_db


def delete_first(form, note):
    return {"qas-0-DELETE": "on"}


def reorder(form, note):
    return {"qas-0-position": form.value("qas-1-position"), "qas-1-position": form.value("qas-0-position")}


def add_one(form, note):
    total = int(form.value("qas-TOTAL_FORMS"))
    return {
        "qas-TOTAL_FORMS": str(total + 1),
        f"qas-{total}-id": "",
        f"qas-{total}-note": str(note.pk),
        f"qas-{total}-position": str(total + 1),
        f"qas-{total}-question": "追加した質問は何ですか?",
        f"qas-{total}-answer": "追加した回答です.",
    }


def edit_answer(form, note):
    return {"qas-0-answer": form.value("qas-0-answer") + "(書き換え)"}


def edit_summary(form, note):
    return {"summary": form.value("summary") + "(書き換え)"}


CHANGES = {
    "delete_a_pair": delete_first,
    "reorder_pairs": reorder,
    "add_a_pair": add_one,
    "edit_an_answer": edit_answer,
    "edit_the_summary": edit_summary,
}


@pytest.mark.parametrize("state", [IssueState.IN_REVIEW, IssueState.READY])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_on_the_review_screen_takes_the_approval_back(client, editor, chief_editor, change, state):
    # Given an approved note with three pairs, in an issue that is not published yet
    issue, (note,) = issue_with_notes(state)
    before = qa_texts(note)
    client.force_login(editor)

    # When an editor makes the change on the review screen and saves
    form = page_form(client.get(review_url(note)))
    response = client.post(review_url(note), body(form, SAVE, **CHANGES[change](form, note)))

    # Then the change is saved and the note is back in review (レビュー中)
    assert response.status_code == 302, response.content.decode()[:2000]
    note.refresh_from_db()
    assert qa_texts(note) != before or change == "edit_the_summary"
    assert note.state == NoteState.IN_REVIEW

    # and the issue cannot be published while it is so
    client.force_login(chief_editor)
    client.post(reverse("admin:papernotes_weeklyissue_workflow", args=[issue.pk]), {"action": "publish", "comment": ""})
    assert WeeklyIssue.objects.get(pk=issue.pk).state == state
