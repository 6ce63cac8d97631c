"""Issue 13, Why 1: history revert (django-simple-history's version form) went around the
workflow and the roles. The rules: a revert needs change permission for that object; it
restores texts only (never state, published_at, corrected_at, positions, or the note a
Q&A belongs to); an approved note's revert takes the approval back; a revert on a
published or withdrawn issue's note or Q&A is refused (chiefs correct on the review screen)."""

import pytest
from django.urls import reverse

from editorial.checks.selectors import undismissed_findings
from editorial.checks.services import note_refresh_findings
from papernotes.models import IssueState, Note, NoteState, QuestionAnswer, WeeklyIssue
from tests.factories import QuestionAnswerFactory
from tests.rules.doors import BLOCKING_SUMMARY, issue_row, issue_with_notes, note_row
from tests.rules.htmlforms import Submit, main_form
from tests.rules.world import revise

pytestmark = pytest.mark.django_db

REVERT = Submit("_save", "Revert")


def revert(client, obj, *, history_id: int | None = None):
    """Open an old version of ``obj`` in 履歴 and POST its form (the Revert button), as a browser would;
    when the version page is not shown, POST the old version's texts anyway (a forged form)."""
    model_name = obj._meta.model_name
    if history_id is None:
        history_id = obj.history.order_by("history_id").first().history_id
    url = reverse(f"admin:papernotes_{model_name}_simple_history", args=[obj.pk, history_id])
    page = client.get(url)
    form = main_form(page.content.decode()) if page.status_code == 200 else None
    if form is not None:
        data = form.data(REVERT)
    else:
        old = obj.history.get(history_id=history_id)
        fields = {
            "weeklyissue": ("week_start", "intro"),
            "note": ("summary", "abstract_ja", "position"),
            "questionanswer": ("note", "position", "question", "answer"),
        }[model_name]
        data = {name: str(getattr(old, f"{name}_id" if name == "note" else name)) for name in fields}
        data["_save"] = "Revert"
    return client.post(url, data)


def test_an_editor_cannot_revert_a_published_issue_to_collecting(client, editor):
    # Given a published issue, whose first revision was 収集中
    issue, _notes = issue_with_notes(IssueState.PUBLISHED)
    before = issue_row(issue)
    client.force_login(editor)

    # When an editor (view permission only) POSTs the first version's form
    response = revert(client, issue)

    # Then it is refused, and the issue is still published for readers
    assert response.status_code == 403
    assert issue_row(issue) == before
    assert client.get(issue.get_absolute_url()).status_code == 200
    assert client.get(f"/api/v1/issues/{issue.week_start.isoformat()}/").status_code == 200


@pytest.mark.parametrize(
    "state", [IssueState.IN_REVIEW, IssueState.READY, IssueState.PUBLISHED, IssueState.CORRECTED, IssueState.WITHDRAWN]
)
def test_reverting_an_issue_never_changes_its_state_or_dates(client, chief_editor, state):
    # Given an issue in some state whose first revision was 収集中 (no dates)
    issue, _notes = issue_with_notes(state)
    before = issue_row(issue)
    client.force_login(chief_editor)

    # When a chief editor reverts it to that first version
    response = revert(client, issue)

    # Then its state, published_at and corrected_at are as they were (refusing is fine)
    assert response.status_code in (302, 403)
    assert issue_row(issue) == before


def test_reverting_an_approved_note_takes_its_approval_back(client, editor):
    # Given an approved note of an issue under review, whose first revision had older texts
    _issue, (note,) = issue_with_notes(IssueState.IN_REVIEW)
    client.force_login(editor)

    # When an editor reverts it to the first revision
    response = revert(client, note)

    # Then the older texts are back, and the note is レビュー中: the approval covered other texts
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.summary.startswith("古い要約")
    assert note.state == NoteState.IN_REVIEW


def test_reverting_a_note_to_an_approved_version_does_not_approve_it(client, editor):
    # Given a note that was approved once, and is now in review with a blocking finding
    _issue, (note,) = issue_with_notes(IssueState.IN_REVIEW)
    approved_version = note.history.filter(state=NoteState.APPROVED).order_by("-history_id").first()
    revise(Note, note.pk, state=NoteState.IN_REVIEW, summary=BLOCKING_SUMMARY)
    note_refresh_findings(note_id=note.pk)
    client.force_login(editor)

    # When an editor reverts it to the approved version
    revert(client, note, history_id=approved_version.history_id)

    # Then it is still in review, its blocking finding open: only the workflow approves
    note.refresh_from_db()
    assert note.state == NoteState.IN_REVIEW
    assert undismissed_findings(notes=[note], blocking_only=True) or note.summary != BLOCKING_SUMMARY


def test_reverting_a_qa_restores_its_texts_only(client, editor):
    # Given a pair whose first revision belonged to another note, at another position
    _issue, (note, other) = issue_with_notes(IssueState.IN_REVIEW, notes=2)
    qa = QuestionAnswerFactory(note=other, position=9, question="昔の質問?", answer="昔の回答.")
    qa = revise(QuestionAnswer, qa.pk, note_id=note.pk, position=4, question="今の質問?", answer="今の回答.")
    client.force_login(editor)

    # When an editor reverts the pair to its first revision
    response = revert(client, qa)

    # Then it stays in its note, at its place; only its texts may be the old ones (or the revert is refused)
    qa.refresh_from_db()
    assert (qa.note_id, qa.position) == (note.pk, 4)
    if response.status_code == 403:
        assert (qa.question, qa.answer) == ("今の質問?", "今の回答.")
    else:
        assert (qa.question, qa.answer) == ("昔の質問?", "昔の回答.")


@pytest.mark.parametrize("state", [IssueState.PUBLISHED, IssueState.CORRECTED, IssueState.WITHDRAWN])
@pytest.mark.parametrize("role", ["editor", "chief_editor"])
def test_a_revert_on_a_published_or_withdrawn_issues_note_is_refused(client, request, role, state):
    # Given an approved note of a published (or withdrawn) issue, with older revisions
    issue, (note,) = issue_with_notes(state)
    before = (issue_row(issue), note_row(note))
    client.force_login(request.getfixturevalue(role))

    # When its first revision is reverted
    response = revert(client, note)

    # Then it is refused and nothing changes: corrections are made on the review screen
    assert response.status_code == 403
    assert (issue_row(issue), note_row(note)) == before


@pytest.mark.parametrize("state", [IssueState.PUBLISHED, IssueState.CORRECTED, IssueState.WITHDRAWN])
@pytest.mark.parametrize("role", ["editor", "chief_editor"])
def test_a_qa_revert_on_a_published_or_withdrawn_issue_is_refused(client, request, role, state):
    # Given a pair of a published (or withdrawn) issue's note, with an older revision
    issue, (note,) = issue_with_notes(state)
    qa = note.qas.order_by("position").first()
    before = (issue_row(issue), note_row(note))
    client.force_login(request.getfixturevalue(role))

    # When the pair's first revision is reverted
    response = revert(client, qa)

    # Then it is refused and nothing changes
    assert response.status_code == 403
    assert (issue_row(issue), note_row(note)) == before
    assert WeeklyIssue.objects.get(pk=issue.pk).state == state
