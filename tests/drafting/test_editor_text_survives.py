"""Nothing an editor typed is lost to drafting: not to a draft, a late, repeated or concurrent
task, nor a regeneration. The machine's text is kept beside theirs as a suggestion."""

import pytest
from django.db import connection

from editorial.services import note_save_editor_changes, qa_save_editor_changes
from papernotes.drafting import store
from papernotes.drafting.services import DraftingError, issue_draft_start, note_regenerate, notes_draft_start
from papernotes.drafting.tasks import draft_note_task
from papernotes.models import DraftingStatus, IssueState, Note, NoteDrafting, QuestionAnswer, TextSource, WeeklyIssue
from tests.drafting.conftest import make_note
from tests.factories import QuestionAnswerFactory
from tests.support.openai_server import Reply

pytestmark = [pytest.mark.usefixtures("eager_tasks")]

EDITOR_ABSTRACT = "編集者が書き直した概要."


def _run(callbacks_fixture, action):
    with callbacks_fixture(execute=True):
        return action()


@pytest.mark.django_db
def test_an_editors_abstract_stays_and_the_machine_text_becomes_its_suggestion(
    llm_server, django_capture_on_commit_callbacks
):
    note = make_note()
    note_save_editor_changes(note=note, changed_data={"abstract_ja": EDITOR_ABSTRACT}, user=None)

    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))

    note.refresh_from_db()
    assert (note.abstract_ja, note.abstract_ja_source) == (EDITOR_ABSTRACT, TextSource.EDITOR)
    assert note.abstract_ja_machine_draft.startswith("本論文の概要の日本語訳です.")
    assert note.summary_source == TextSource.MACHINE  # the field nobody touched is drafted


@pytest.mark.django_db
def test_a_forced_redraft_keeps_an_editors_answer(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    qa = note.qas.get(position=3)
    qa_save_editor_changes(qa=qa, changed_data={"answer": "編集者の回答."}, user=None)

    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk], force=True))

    qa.refresh_from_db()
    assert (qa.answer, qa.answer_source) == ("編集者の回答.", TextSource.EDITOR)
    assert qa.answer_machine_draft.startswith("論文によると")
    assert note.qas.count() == 10
    assert len(llm_server.calls) == 4


@pytest.mark.django_db
def test_an_editors_pair_beyond_the_machines_count_is_kept(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    QuestionAnswerFactory(note=note, position=12, question="編集者の質問?", answer="編集者の回答.")

    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))

    assert note.qas.count() == 11
    assert note.qas.get(position=12).question == "編集者の質問?"


@pytest.mark.django_db
def test_a_late_task_of_a_superseded_run_writes_nothing(llm_server, django_capture_on_commit_callbacks):
    # Given a first run whose task is still in the queue...
    note = make_note()
    with django_capture_on_commit_callbacks(execute=False) as first_run:
        notes_draft_start(note_ids=[note.pk])
    # ...and a second run, forced, that completes
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk], force=True))
    calls = len(llm_server.calls)
    note.refresh_from_db()
    drafted = note.abstract_ja

    # When the first run's task arrives late
    for callback in first_run:
        callback()

    # Then it does nothing: no call, no change
    note.refresh_from_db()
    assert len(llm_server.calls) == calls
    assert note.abstract_ja == drafted
    assert NoteDrafting.objects.get(note=note).run == 2


@pytest.mark.django_db
def test_a_task_delivered_again_after_it_finished_does_not_draft_again(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    run = NoteDrafting.objects.get(note=note).run

    draft_note_task.delay(note.pk, run)  # acks_late: a worker died after finishing, say

    assert len(llm_server.calls) == 2


@pytest.mark.django_db(transaction=True)
def test_an_editor_saving_while_the_model_writes_keeps_their_text(llm_server):
    # Given a note whose draft is being written, and an editor who saves the summary while
    # the read call is still running (a real save, from another thread and connection)
    note = make_note()

    def editor_saves_meanwhile(output: dict) -> dict:
        try:
            editor_note = Note.objects.get(pk=note.pk)
            note_save_editor_changes(note=editor_note, changed_data={"summary": "編集者の要約."}, user=None)
        finally:
            connection.close()  # this server thread's own connection: leave none open
        return output

    llm_server.script(Reply(transform=editor_saves_meanwhile), step="read")

    # When the draft is stored
    notes_draft_start(note_ids=[note.pk])

    # Then the editor's summary stands and the machine's is its suggestion
    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("編集者の要約.", TextSource.EDITOR)
    assert note.summary_machine_draft.endswith("を提案し、その効果を示した.")
    assert note.abstract_ja_source == TextSource.MACHINE


@pytest.mark.django_db
def test_regenerating_an_untouched_field_replaces_it(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    llm_server.script(Reply(transform=lambda output: {**output, "summary_ja": "新しい一行要約。"}), step="read")

    _run(django_capture_on_commit_callbacks, lambda: note_regenerate(note_id=note.pk, target="summary"))

    note.refresh_from_db()
    assert (note.summary, note.summary_source) == ("新しい一行要約.", TextSource.MACHINE)
    state = NoteDrafting.objects.get(note=note).regenerations["summary"]
    assert (state["status"], state["changed"]) == ("done", True)
    assert note.llm_calls.filter(target="summary").count() == 1


@pytest.mark.django_db
def test_regenerating_a_field_an_editor_changed_only_suggests(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    note_save_editor_changes(note=note, changed_data={"abstract_ja": EDITOR_ABSTRACT}, user=None)
    llm_server.script(Reply(transform=lambda output: {**output, "abstract_ja": "新しい訳。"}), step="read")

    _run(django_capture_on_commit_callbacks, lambda: note_regenerate(note_id=note.pk, target="abstract_ja"))

    note.refresh_from_db()
    assert (note.abstract_ja, note.abstract_ja_machine_draft) == (EDITOR_ABSTRACT, "新しい訳.")
    state = NoteDrafting.objects.get(note=note).regenerations["abstract_ja"]
    assert state["changed"] is False and "提案として保存しました" in state["message"]


@pytest.mark.django_db
def test_regenerating_one_answer_touches_only_that_pair(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    qa = note.qas.get(position=2)
    before = {other.pk: other.answer for other in note.qas.exclude(pk=qa.pk)}
    llm_server.script(
        Reply(transform=lambda output: {"answers": [{**output["answers"][0], "answer": "新しい回答。"}]}),
        step="answer",
    )

    _run(django_capture_on_commit_callbacks, lambda: note_regenerate(note_id=note.pk, target=f"qa:{qa.pk}"))

    qa.refresh_from_db()
    assert qa.answer == "新しい回答."
    assert qa.evidence.get().verified
    assert {other.pk: other.answer for other in note.qas.exclude(pk=qa.pk)} == before
    payload = llm_server.calls[-1].body["messages"][1]["content"]
    assert qa.question in payload


@pytest.mark.django_db
def test_an_older_regeneration_that_finishes_last_is_ignored(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk]))
    first = store.drafting_regeneration_start(note_id=note.pk, target="summary")
    store.drafting_regeneration_start(note_id=note.pk, target="summary")  # asked again since

    assert store.note_store_regenerated_field(note_id=note.pk, field="summary", token=first, text="古い.") is None
    note.refresh_from_db()
    assert note.summary != "古い."


@pytest.mark.django_db
def test_a_published_issue_is_never_drafted(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    WeeklyIssue.objects.filter(pk=note.issue_id).update(state=IssueState.PUBLISHED, published_at=note.issue.created_at)

    with pytest.raises(DraftingError, match="公開済み"):
        issue_draft_start(issue_id=note.issue_id)
    assert _run(django_capture_on_commit_callbacks, lambda: notes_draft_start(note_ids=[note.pk])) == []
    with pytest.raises(DraftingError, match="公開済み"):
        note_regenerate(note_id=note.pk, target="summary")
    assert llm_server.calls == []
    assert NoteDrafting.objects.filter(note=note, status=DraftingStatus.QUEUED).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["title", "qa:abc", "qa:999999"])
def test_regenerating_something_that_is_not_a_field_or_pair_of_the_note_is_refused(llm_server, target):
    note = make_note()
    with pytest.raises(DraftingError):
        note_regenerate(note_id=note.pk, target=target)
    assert QuestionAnswer.objects.count() == 0
