"""A small world with an issue in every state and notes in every state, and snapshots of it.

Every issue has one approved note with two Q&A pairs; the issue under review also has a
note in each other note state. Each object has an older revision in its history that
differs from the current one (the issue was 収集中, the note was 下書き済み with other
texts), so a history revert has something to bring back. Once-published issues have their
paper metadata frozen, as publication does.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection
from django.utils import timezone

from editorial.checks.services import note_refresh_findings
from editorial.models import ReviewComment, ScheduledPublication, WorkflowEvent
from editorial.workflow import freeze_paper_metadata
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    PUBLIC_ISSUE_STATES,
    IssueState,
    Note,
    NoteState,
    QuestionAnswer,
    TextSource,
    WeeklyIssue,
)
from tests.factories import (
    GlossaryEntryFactory,
    NoteFactory,
    PaperFactory,
    PassageFactory,
    QuestionAnswerFactory,
    WeeklyIssueFactory,
    set_issue_state,
)

MONDAY = datetime.date(2024, 4, 29)
ISSUE_STATES = (
    IssueState.COLLECTING,
    IssueState.IN_REVIEW,
    IssueState.READY,
    IssueState.SCHEDULED,
    IssueState.PUBLISHED,
    IssueState.CORRECTED,
    IssueState.WITHDRAWN,
)
OTHER_NOTE_STATES = (NoteState.AWAITING_DRAFT, NoteState.DRAFTED, NoteState.IN_REVIEW, NoteState.CHANGES_REQUESTED)
PUBLISHED_AT = datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC)
CORRECTED_AT = datetime.datetime(2024, 5, 7, 9, 0, tzinfo=datetime.UTC)


@dataclass
class World:
    issues: dict[str, WeeklyIssue] = field(default_factory=dict)  # by issue state
    notes: list[Note] = field(default_factory=list)
    approved: dict[str, Note] = field(default_factory=dict)  # the approved note of each issue, by issue state
    qas: list[QuestionAnswer] = field(default_factory=list)


def revise(model, pk: int, **fields):
    """Give an object a new current revision (a history row) with ``fields``, as a save does."""
    model.objects.filter(pk=pk).update(**fields)
    fresh = model.objects.get(pk=pk)
    fresh.save()
    return fresh


def make_note(issue: WeeklyIssue, *, position: int, state: str, qa_count: int = 2, label: str = "") -> Note:
    """A note whose history starts 下書き済み with older texts, now in ``state`` with its current texts."""
    label = label or f"{issue.week_start}-{position}"
    paper = PaperFactory(title=f"Paper {label}")
    PassageFactory(paper=paper)
    note = NoteFactory(
        issue=issue,
        paper=paper,
        position=position,
        state=NoteState.DRAFTED,
        summary=f"古い要約 {label}.",
        abstract_ja=f"古い概要 {label}.",
        summary_source=TextSource.MACHINE,
        abstract_ja_source=TextSource.MACHINE,
    )
    for qa_position in range(1, qa_count + 1):
        qa = QuestionAnswerFactory(
            note=note, position=qa_position, question=f"古い質問 {qa_position}?", answer=f"古い回答 {qa_position}."
        )
        revise(
            QuestionAnswer,
            qa.pk,
            question=f"{label} の質問 {qa_position} は何ですか?",
            answer=f"{label} の回答 {qa_position} です.",
        )
    return revise(
        Note,
        note.pk,
        state=state,
        summary=f"{label} の要約です.",
        abstract_ja=f"{label} の概要です.",
        summary_source=TextSource.EDITOR,
        abstract_ja_source=TextSource.EDITOR,
    )


def build_world(*, scheduler=None) -> World:
    world = World()
    for offset, state in enumerate(ISSUE_STATES):
        issue = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=offset), intro=f"前書き {state}.")
        approved = make_note(issue, position=1, state=NoteState.APPROVED, label=f"{state}")
        world.approved[state] = approved
        world.notes.append(approved)
        if state == IssueState.IN_REVIEW:
            for position, note_state in enumerate(OTHER_NOTE_STATES, start=2):
                world.notes.append(make_note(issue, position=position, state=note_state, label=f"{state}-{note_state}"))
        extra = {}
        if state in ONCE_PUBLISHED_ISSUE_STATES:
            extra["published_at"] = PUBLISHED_AT
        if state == IssueState.CORRECTED:
            extra["corrected_at"] = CORRECTED_AT
        if state != IssueState.COLLECTING:
            issue = set_issue_state(issue, state, **extra)
        if state in ONCE_PUBLISHED_ISSUE_STATES:
            freeze_paper_metadata(issue)
        if state == IssueState.SCHEDULED:
            ScheduledPublication.objects.create(
                issue=issue, publish_at=timezone.now() + datetime.timedelta(days=2), scheduled_by=scheduler
            )
        world.issues[state] = issue
    for note in world.notes:
        note_refresh_findings(note_id=note.pk)
        ReviewComment.objects.create(note=note, author=scheduler, text="確認してください.")
    world.notes = list(Note.objects.filter(pk__in=[note.pk for note in world.notes]).order_by("pk"))
    world.approved = {state: Note.objects.get(pk=note.pk) for state, note in world.approved.items()}
    world.qas = list(QuestionAnswer.objects.order_by("pk"))
    GlossaryEntryFactory(term="language model", preferred="言語モデル")
    return world


# -- snapshots -----------------------------------------------------------------------------

TRACKED_APPS = ("papernotes", "editorial", "api", "auth", "django_celery_beat")
UNTRACKED_FIELDS = {"last_login"}


def _tracked_models() -> list:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in TRACKED_APPS and not model._meta.proxy and model._meta.managed
    ]


def full_snapshot() -> dict[str, object]:
    """Every row of every model of the project's apps (and auth): for "nothing changes".

    On PostgreSQL one query digests every table (md5 of its rows); elsewhere the rows themselves.
    """
    models = _tracked_models()
    if connection.vendor == "postgresql":
        parts = []
        for model in models:
            columns = ", ".join(
                connection.ops.quote_name(f.column)
                for f in model._meta.concrete_fields
                if f.attname not in UNTRACKED_FIELDS
            )
            table = connection.ops.quote_name(model._meta.db_table)
            parts.append(
                f"SELECT %s, (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) "
                f"FROM (SELECT {columns} FROM {table}) r)"
            )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), [model._meta.label for model in models])
            return dict(cursor.fetchall())
    tables = {}
    for model in models:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in UNTRACKED_FIELDS]
        tables[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*names))
    return tables


def rows_written() -> int | None:
    """How many rows this transaction has inserted, updated or deleted so far (PostgreSQL's own
    counters, which a rolled-back savepoint does not undo): unchanged means nothing was
    written. ``None`` where the database cannot tell."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return int(cursor.fetchone()[0])


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


@dataclass(frozen=True)
class ContentSnapshot:
    issues: dict[int, dict]
    notes: dict[int, dict]
    qas: dict[int, dict]
    events: dict[int, dict]


def content_snapshot() -> ContentSnapshot:
    return ContentSnapshot(
        issues={
            row["pk"]: row
            for row in WeeklyIssue.objects.values("pk", "state", "published_at", "corrected_at", "intro", "week_start")
        },
        notes={
            row["pk"]: row
            for row in Note.objects.values(
                "pk", "issue_id", "paper_id", "state", "position", "summary", "abstract_ja", "paper_as_shown_data"
            )
        },
        qas={
            row["pk"]: row for row in QuestionAnswer.objects.values("pk", "note_id", "position", "question", "answer")
        },
        events={
            row["pk"]: row
            for row in WorkflowEvent.objects.values("pk", "issue_id", "note_id", "action", "comment", "target_state")
        },
    )


def note_content(snapshot: ContentSnapshot, note_id: int) -> tuple:
    """What an approval covers: the note's texts and its Q&A set (order, texts)."""
    note = snapshot.notes[note_id]
    qas = sorted(
        (qa["position"], qa["pk"], qa["question"], qa["answer"])
        for qa in snapshot.qas.values()
        if qa["note_id"] == note_id
    )
    return (note["summary"], note["abstract_ja"], tuple(qas))


def public_content(snapshot: ContentSnapshot, issue_id: int) -> tuple:
    """What readers of a published issue see: the intro, and its approved notes in order with their Q&A."""
    issue = snapshot.issues[issue_id]
    notes = sorted(
        (
            note["position"],
            note["pk"],
            note["paper_id"],
            repr(note["paper_as_shown_data"]),
            note_content(snapshot, note["pk"]),
        )
        for note in snapshot.notes.values()
        if note["issue_id"] == issue_id and note["state"] == NoteState.APPROVED
    )
    return (issue["intro"], tuple(notes))


def withdrawn_content(snapshot: ContentSnapshot, issue_id: int) -> tuple:
    """Everything of a withdrawn issue's notes and their Q&A: read only for everyone."""
    return tuple(
        sorted(
            (note["pk"], note["state"], note["position"], note_content(snapshot, note["pk"]))
            for note in snapshot.notes.values()
            if note["issue_id"] == issue_id
        )
    )


def is_public(state: str) -> bool:
    return state in PUBLIC_ISSUE_STATES
