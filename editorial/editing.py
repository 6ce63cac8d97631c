"""Every change of a note's content, whoever asks for it: the one owner of the editing rules.

A note's content is what readers get of it: its texts (``summary``, ``abstract_ja``), its
Q&A set (which pairs, their texts, their order) and its position in the issue. Every door
that changes content calls :func:`note_edit` (or :func:`note_revert`, :func:`qa_revert`):
the review screen, history revert, the API, commands. The rules, checked here and nowhere
else:

- **Who.** Editors change notes of unpublished issues; a published issue's notes are
  changed only by a chief editor, as a correction; a withdrawn issue's notes by nobody.
  Moving a note to another position is the chief editor's. A pair never moves to another
  note.
- **Provenance.** A text the editor changed becomes the editor's; a text they did not
  change keeps its text and source as stored (``ProvenancedTextMixin``).
- **Approval.** An approval covered the content as it was: any change to an approved note
  of an unpublished issue takes the approval back (承認済み → レビュー中).
- **Correction.** On a published issue the change, the correction record (with the
  chief's written note) and ``corrected_at`` happen in one transaction, or nothing does.
- **Concurrency.** The caller says which Q&A set it saw (:func:`qa_set_signature`); a
  stale save that would reorder, add or delete pairs is refused instead of undoing
  someone else's change, and a stale save that only edits texts leaves the order alone.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from editorial import roles, workflow
from papernotes.models import IssueState, Note, NoteState, QuestionAnswer, TextSource, WeeklyIssue
from papernotes.services import POSITION_PARKING_OFFSET

User = AbstractBaseUser | None

# Moving a note within its issue is the chief editor's (it renumbers the readers' anchors).
REORDER_NOTES = "papernotes.add_note"


class EditRefused(Exception):
    """An edit was refused; ``message`` says why, in Japanese. Nothing changed.

    ``field`` names the form field the message belongs to, when there is one.
    """

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        return self.message


class EditNotPermitted(EditRefused):
    """The actor may not change this note (role, published or withdrawn issue)."""


class CorrectionNoteRequired(EditRefused):
    """A published issue's content changes only as a correction with a written note."""

    field = "correction_note"


class StaleQASet(EditRefused):
    """The Q&A set changed since the editor's form was opened."""


class PositionTaken(EditRefused):
    """Another note of the issue has that position."""

    field = "position"


@dataclass(frozen=True)
class QAEdit:
    """One pair as the editor submits it: ``qa_id=None`` adds a pair.

    ``texts`` holds only the texts the editor changed; ``position=None`` keeps the pair
    where it is.
    """

    qa_id: int | None
    position: int | None = None
    texts: Mapping[str, str] = field(default_factory=dict)
    delete: bool = False


@dataclass
class EditResult:
    """What an edit changed, for the caller's messages."""

    note: Note
    changed_texts: list[str] = field(default_factory=list)
    # The pairs' texts that changed: Q&A id → field names.
    qa_fields: dict[int, list[str]] = field(default_factory=dict)
    qa_set_changed: bool = False
    position_changed: bool = False
    approval_taken_back: bool = False
    corrected: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changed_texts or self.qa_set_changed or self.position_changed)


def normalise_newlines(text: str) -> str:
    """Browsers submit textareas with CRLF; stored texts (and the text format) use LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def qa_set_signature(*, note_id: int) -> str:
    """The pairs of a note and their order, as the editor's form saw them ("id:position,...")."""
    rows = QuestionAnswer.objects.filter(note_id=note_id).order_by("position").values_list("pk", "position")
    return ",".join(f"{pk}:{position}" for pk, position in rows)


def _parse_signature(signature: str) -> dict[int, int]:
    seen = {}
    for item in filter(None, signature.split(",")):
        qa_id, _sep, position = item.partition(":")
        if qa_id.isdigit() and position.isdigit():
            seen[int(qa_id)] = int(position)
    return seen


def note_edit_refusal(*, note: Note, actor: User) -> str | None:
    """Why ``actor`` may not change ``note``'s content, or None if they may.

    The admin uses it for ``has_change_permission``; :func:`note_edit` raises it.
    """
    issue = note.issue
    if issue.state == IssueState.WITHDRAWN:
        return _("取り下げた号のノートは変更できません。")
    if actor is None:
        return None  # the system: commands and tasks (a published issue still needs a correction note)
    if not (actor.is_active and actor.has_perm("papernotes.change_note")):
        return _("論文ノートを編集する権限がありません。")
    if issue.was_published and not actor.has_perm(roles.PUBLISH_ISSUE):
        return _("公開済みの号のノートは編集長だけが訂正できます。")
    return None


def _require_edit(note: Note, actor: User) -> None:
    refusal = note_edit_refusal(note=note, actor=actor)
    if refusal:
        raise EditNotPermitted(refusal)


def _apply_texts(obj: Note | QuestionAnswer, texts: Mapping[str, str], actor: User) -> list[str]:
    unknown = sorted(set(texts) - set(obj.provenanced_fields))
    if unknown:
        raise ValueError(f"not provenanced fields of {type(obj).__name__}: {', '.join(unknown)}")
    changed = [name for name, text in texts.items() if obj.set_editor_text(name, normalise_newlines(text))]
    if changed:
        if actor is not None:
            obj._history_user = actor  # django-simple-history: who made this revision
        obj.save()
    return changed


def _qa_label(qa: QuestionAnswer, name: str) -> str:
    return f"Q{qa.position} " + (_("質問") if name == "question" else _("回答"))


def _apply_qa_edits(
    *, note: Note, qas: Iterable[QAEdit], qa_set_seen: str | None, actor: User, result: EditResult
) -> None:
    """Apply the Q&A edits under the note's lock, noting what changed on ``result``."""
    edits = list(qas)
    if not edits:
        return
    current = {qa.pk: qa for qa in QuestionAnswer.objects.select_for_update().filter(note=note).order_by("position")}
    for edit in edits:
        if edit.qa_id is None or edit.qa_id in current:
            continue
        if QuestionAnswer.objects.filter(pk=edit.qa_id).exists():
            raise EditRefused(_("Q&A を別の論文ノートへ移すことはできません。"))
        raise StaleQASet(
            _(
                "この画面を開いた後に、他の人が Q&A を削除しました。あなたの入力は画面に残っています。"
                "ページを開き直して、必要な内容を入れ直してください。"
            )
        )

    stored_positions = {pk: qa.position for pk, qa in current.items()}
    seen = _parse_signature(qa_set_seen) if qa_set_seen is not None else stored_positions
    wants_new_order = any(
        edit.qa_id is not None and edit.position is not None and edit.position != seen.get(edit.qa_id)
        for edit in edits
        if not edit.delete
    )
    adds = [edit for edit in edits if edit.qa_id is None and not edit.delete]
    deletes = [edit for edit in edits if edit.delete and edit.qa_id is not None]
    if seen != stored_positions and (wants_new_order or adds or deletes):
        raise StaleQASet(
            _(
                "この画面を開いた後に、他の人が Q&A の並びや組を変更しました。あなたの入力は画面に残っています。"
                "変更は保存していません。現在の内容を確認してから、もう一度保存してください。"
            )
        )

    set_changed = False
    for edit in deletes:
        qa = current.pop(edit.qa_id)
        if actor is not None:
            qa._history_user = actor
        qa.delete()
        set_changed = True

    # The order the editor asked for, over the pairs that remain; unchanged when they did not reorder.
    target = {pk: qa.position for pk, qa in current.items()}
    if wants_new_order:
        for edit in edits:
            if edit.qa_id in current and edit.position is not None:
                target[edit.qa_id] = edit.position
    next_position = max([*target.values(), 0]) + 1
    new_rows = []
    for edit in adds:
        position = edit.position if edit.position and edit.position not in target.values() else next_position
        new_rows.append((edit, position))
        next_position = max(next_position, position) + 1
    positions = [*target.values(), *(position for _edit, position in new_rows)]
    if len(set(positions)) != len(positions) or any(position < 1 for position in positions):
        raise EditRefused(_("Q&A の順番が重複しているか、1 より小さい番号があります。"))

    moved = {pk: position for pk, position in target.items() if current[pk].position != position}
    if moved:
        # Park every moved pair first, so the unique (note, position) constraint never sees
        # two pairs on one number mid-way.
        QuestionAnswer.objects.filter(pk__in=moved).update(position=F("position") + POSITION_PARKING_OFFSET)
        for pk, position in moved.items():
            qa = current[pk]
            qa.position = position
            if actor is not None:
                qa._history_user = actor
            qa.save(update_fields=["position"])
        set_changed = True

    for edit in edits:
        if edit.delete or edit.qa_id is None:
            continue
        qa = current[edit.qa_id]
        changed = _apply_texts(qa, edit.texts, actor)
        if changed:
            result.qa_fields[qa.pk] = changed
            result.changed_texts += [_qa_label(qa, name) for name in changed]
    for edit, position in new_rows:
        qa = QuestionAnswer(note=note, position=position)
        for name in qa.provenanced_fields:
            qa.set_editor_text(name, normalise_newlines(edit.texts.get(name, "")))
        if actor is not None:
            qa._history_user = actor
        qa.save()
        set_changed = True
    result.qa_set_changed = set_changed


def _move_note_position(*, note: Note, position: int, actor: User) -> bool:
    if position == note.position:
        return False
    if actor is not None and not actor.has_perm(REORDER_NOTES):
        raise EditNotPermitted(_("論文の順番を変えられるのは編集長だけです。"))
    if position < 1:
        raise PositionTaken(_("順番は 1 以上にしてください。"))
    if Note.objects.filter(issue_id=note.issue_id, position=position).exclude(pk=note.pk).exists():
        raise PositionTaken(
            _("この号には順番 {position} の論文ノートが既にあります。先にそちらの順番を変えてください。").format(
                position=position
            )
        )
    note.position = position
    if actor is not None:
        note._history_user = actor
    note.save(update_fields=["position", "updated_at"])
    return True


@transaction.atomic
def note_create(*, issue: WeeklyIssue, paper, position: int, texts: Mapping[str, str], actor: User) -> Note:
    """A note added by hand (chief editors): its texts are the editor's. Not on a withdrawn issue;
    on a published one it stays off the page until approved (a correction)."""
    issue = WeeklyIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.state == IssueState.WITHDRAWN:
        raise EditNotPermitted(_("取り下げた号には論文ノートを追加できません。"))
    if actor is not None and not actor.has_perm("papernotes.add_note"):
        raise EditNotPermitted(_("論文ノートを追加する権限がありません。"))
    if Note.objects.filter(issue=issue, position=position).exists():
        raise PositionTaken(_("この号には順番 {position} の論文ノートが既にあります。").format(position=position))
    note = Note(issue=issue, paper=paper, position=position)
    for name in Note.provenanced_fields:
        note.set_editor_text(name, normalise_newlines(texts.get(name, "")))
    if actor is not None:
        note._history_user = actor
    note.save()
    return note


@transaction.atomic
def note_edit(
    *,
    note_id: int,
    actor: User,
    texts: Mapping[str, str] | None = None,
    qas: Iterable[QAEdit] = (),
    position: int | None = None,
    correction_note: str = "",
    qa_set_seen: str | None = None,
) -> EditResult:
    """Change a note's content under every rule above; returns what changed.

    ``texts`` maps the note's provenanced fields the editor changed to their new text;
    ``qas`` are the pairs' edits; ``position`` the note's new position (chief editors);
    ``correction_note`` the chief's note when the issue is published; ``qa_set_seen`` the
    :func:`qa_set_signature` the editor's form was built from (None: do not check).
    Raises :class:`EditRefused` (and subclasses); then nothing changed.
    """
    issue = WeeklyIssue.objects.select_for_update().get(notes__pk=note_id)
    note = Note.objects.select_for_update().get(pk=note_id)
    note.issue = issue
    _require_edit(note, actor)

    result = EditResult(note=note)
    if position is not None:
        result.position_changed = _move_note_position(note=note, position=position, actor=actor)
    result.changed_texts = _apply_texts(note, texts or {}, actor)
    _apply_qa_edits(note=note, qas=qas, qa_set_seen=qa_set_seen, actor=actor, result=result)
    if result.changed:
        _content_changed(result=result, actor=actor, correction_note=correction_note)
    return result


def _content_changed(*, result: EditResult, actor: User, correction_note: str) -> None:
    """The consequence of any change of content: a correction after publication, else the
    approval taken back. Runs in the change's own transaction."""
    note = result.note
    if note.issue.was_published:
        if not correction_note.strip():
            raise CorrectionNoteRequired(_("公開済みのノートを直すときは、訂正の内容を書いてください。"))
        workflow.issue_record_correction(issue=note.issue, actor=actor, comment=correction_note, note=note)
        result.corrected = True
    elif note.state == NoteState.APPROVED:
        workflow.note_take_back_approval(
            note=note, actor=actor, comment=_("承認後に内容が変更されたため、レビューに戻しました。")
        )
        result.approval_taken_back = True


@transaction.atomic
def note_accept_machine_draft(*, note_id: int, field_name: str, actor: User, correction_note: str = "") -> EditResult:
    """Take the latest machine draft of ``field_name`` as the current text (marked as the machine's).

    The text it replaces stays in the note's history. An edit like any other for the rules.
    """
    if field_name not in Note.provenanced_fields:
        raise EditRefused(_("この欄には機械下書きがありません。"))
    issue = WeeklyIssue.objects.select_for_update().get(notes__pk=note_id)
    note = Note.objects.select_for_update().get(pk=note_id)
    note.issue = issue
    _require_edit(note, actor)
    draft = getattr(note, f"{field_name}_machine_draft")
    if not draft:
        raise EditRefused(_("この欄の機械下書きはまだありません。"))
    result = EditResult(note=note)
    if getattr(note, field_name) == draft and note.source_of(field_name) == TextSource.MACHINE:
        return result
    setattr(note, field_name, draft)
    setattr(note, f"{field_name}_source", TextSource.MACHINE)
    if actor is not None:
        note._history_user = actor
    note.save()
    result.changed_texts = [field_name]
    _content_changed(result=result, actor=actor, correction_note=correction_note)
    return result


def _texts_of_version(version, names: Iterable[str]) -> dict[str, str]:
    return {name: getattr(version, name) for name in names}


@transaction.atomic
def note_revert(*, note_id: int, history_id: int, actor: User, correction_note: str = "") -> EditResult:
    """Restore the note's texts as they were in one of its saved versions (履歴 → 元に戻す).

    Texts only: never the state, the position or the paper. It is an edit like any other
    (the approval is taken back; a published issue needs a correction).
    """
    version = Note.history.get(id=note_id, history_id=history_id)
    return note_edit(
        note_id=note_id,
        actor=actor,
        texts=_texts_of_version(version, Note.provenanced_fields),
        correction_note=correction_note,
    )


@transaction.atomic
def qa_revert(*, qa_id: int, history_id: int, actor: User, correction_note: str = "") -> EditResult:
    """Restore one pair's texts as they were in one of its saved versions; never its note or position."""
    version = QuestionAnswer.history.get(id=qa_id, history_id=history_id)
    qa = QuestionAnswer.objects.filter(pk=qa_id).only("note_id").first()
    if qa is None:
        raise EditRefused(_("この Q&A は削除されています。元に戻すには、レビュー画面で追加し直してください。"))
    return note_edit(
        note_id=qa.note_id,
        actor=actor,
        qas=[QAEdit(qa_id=qa_id, texts=_texts_of_version(version, QuestionAnswer.provenanced_fields))],
        correction_note=correction_note,
    )
