"""Editors' writes to notes and Q&A, with the provenance rule.

A provenanced text (``Note.summary``/``abstract_ja``, ``QuestionAnswer.question``/``answer``)
that an editor changes becomes ``TextSource.EDITOR``; a text they did not change keeps its
text *and* its source exactly as stored, even if the copy in their form is stale. That is
what keeps a machine draft or another editor's text, saved while this editor had the form
open, from being silently overwritten. The admin (and any later editor UI) calls these
functions instead of saving the model itself.
"""

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils.translation import gettext

from editorial import roles
from editorial.models import ReviewComment
from papernotes.models import Note, QuestionAnswer, TextSource

Provenanced = TypeVar("Provenanced", Note, QuestionAnswer)


def normalise_newlines(text: str) -> str:
    """Browsers submit textareas with CRLF; stored texts (and the text format) use LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _save_editor_changes(
    *, obj: Provenanced, changed_data: dict[str, str], user: AbstractBaseUser | AnonymousUser | None
) -> list[str]:
    fields = type(obj).provenanced_fields
    unknown = sorted(set(changed_data) - set(fields))
    if unknown:
        raise ValueError(f"not provenanced fields of {type(obj).__name__}: {', '.join(unknown)}")

    if obj.pk is not None:
        # Lock the row and start from what is stored now, not from the caller's copy,
        # so only the fields the editor actually changed are written.
        stored = type(obj).objects.select_for_update().get(pk=obj.pk)
        for field in fields:
            for name in (field, f"{field}_source", f"{field}_machine_draft"):
                setattr(obj, name, getattr(stored, name))
    else:
        # A new row written in the admin: whatever text it has, the editor typed it.
        for field in fields:
            setattr(obj, field, "")
            setattr(obj, f"{field}_source", TextSource.EMPTY)

    if isinstance(obj, Note) and obj.issue_id:
        _require_note_edit(note=obj, user=user if getattr(user, "is_authenticated", False) else None)
    elif isinstance(obj, QuestionAnswer) and obj.note_id:
        _require_note_edit(note=obj.note, user=user if getattr(user, "is_authenticated", False) else None)
    changed = [field for field, text in changed_data.items() if obj.set_editor_text(field, normalise_newlines(text))]
    if user is not None and user.is_authenticated:
        # django-simple-history records who made this revision (also outside a request).
        obj._history_user = user
    obj.save()
    return changed


@transaction.atomic
def note_save_editor_changes(
    *, note: Note, changed_data: dict[str, str], user: AbstractBaseUser | AnonymousUser | None
) -> list[str]:
    """Save ``note`` with the editor's changed texts; returns the fields whose text changed.

    ``changed_data`` maps provenanced field names (``summary``, ``abstract_ja``) to the
    editor's text; fields not in it keep their stored text and source. Other attributes
    of ``note`` (state, position, …) are saved as given.
    """
    return _save_editor_changes(obj=note, changed_data=changed_data, user=user)


@transaction.atomic
def qa_save_editor_changes(
    *, qa: QuestionAnswer, changed_data: dict[str, str], user: AbstractBaseUser | AnonymousUser | None
) -> list[str]:
    """Save ``qa`` with the editor's changed ``question``/``answer``; same rules as for notes."""
    return _save_editor_changes(obj=qa, changed_data=changed_data, user=user)


# -- review: comments and machine suggestions ------------------------------------------


class ReviewError(ValueError):
    """A review action was refused; the message says why (Japanese). Nothing changed."""


def _require_note_edit(*, note: Note, user) -> None:
    """Editors edit notes of unpublished issues; a published note is a correction (chief editors)."""
    if user is None:
        return
    if not (user.is_active and user.has_perm("papernotes.change_note")):
        raise ReviewError(gettext("論文ノートを編集する権限がありません。"))
    if note.issue.was_published and not user.has_perm(roles.PUBLISH_ISSUE):
        raise ReviewError(gettext("公開済みの号のノートは編集長だけが訂正できます。"))


@transaction.atomic
def note_add_comment(*, note: Note, user, text: str, field: str = "", qa_position: int | None = None):
    """A reviewer's comment on a note (or one field / one Q&A pair of it)."""
    if not text.strip():
        raise ReviewError(gettext("コメントが空です。"))
    if not (user.is_active and user.has_perm(roles.REVIEW_NOTE)):
        raise ReviewError(gettext("コメントを書く権限がありません。"))
    return ReviewComment.objects.create(
        note=note, author=user, text=normalise_newlines(text).strip(), field=field, qa_position=qa_position
    )


@transaction.atomic
def note_accept_machine_draft(*, note: Note, field: str, user) -> bool:
    """Take the latest machine draft of ``field`` as the current text (marked as the machine's).

    The text it replaces stays in the note's history. Returns whether the text changed.
    """
    if field not in Note.provenanced_fields:
        raise ReviewError(gettext("この欄には機械下書きがありません。"))
    note = Note.objects.select_for_update().select_related("issue").get(pk=note.pk)
    _require_note_edit(note=note, user=user)
    draft = getattr(note, f"{field}_machine_draft")
    if not draft:
        raise ReviewError(gettext("この欄の機械下書きはまだありません。"))
    if getattr(note, field) == draft and note.source_of(field) == TextSource.MACHINE:
        return False
    setattr(note, field, draft)
    setattr(note, f"{field}_source", TextSource.MACHINE)
    if user is not None:
        note._history_user = user
    note.save()
    return True
