"""Editors' writes besides the content itself: comments, and the older entry points for texts.

Every change of a note's content (texts, Q&A, position) goes through
``editorial.editing``, which owns the rules (who, provenance, approval, correction,
concurrency). The two ``*_save_editor_changes`` functions here are its simple form for
callers that change texts only (commands, tests).
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils.translation import gettext

from editorial import roles
from editorial.editing import EditRefused, QAEdit, normalise_newlines, note_edit
from editorial.models import ReviewComment
from papernotes.models import Note, QuestionAnswer

__all__ = ["normalise_newlines", "note_add_comment", "note_save_editor_changes", "qa_save_editor_changes"]


def _actor(user: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    return user if getattr(user, "is_authenticated", False) else None


def _texts_only(changed_data: dict[str, str], fields: tuple[str, ...], model: str) -> None:
    unknown = sorted(set(changed_data) - set(fields))
    if unknown:
        raise ValueError(f"not provenanced fields of {model}: {', '.join(unknown)}")


def note_save_editor_changes(
    *,
    note: Note,
    changed_data: dict[str, str],
    user: AbstractBaseUser | AnonymousUser | None,
    correction_note: str = "",
) -> list[str]:
    """Save the editor's changed texts of ``note`` (``summary``, ``abstract_ja``); returns the
    fields whose text changed. Texts not in ``changed_data`` keep their stored text and source.
    Raises ``ReviewError`` when refused (nothing changed)."""
    _texts_only(changed_data, Note.provenanced_fields, "Note")
    try:
        result = note_edit(note_id=note.pk, actor=_actor(user), texts=changed_data, correction_note=correction_note)
    except EditRefused as error:
        raise ReviewError(error.message) from error
    note.refresh_from_db()
    return result.changed_texts


def qa_save_editor_changes(
    *,
    qa: QuestionAnswer,
    changed_data: dict[str, str],
    user: AbstractBaseUser | AnonymousUser | None,
    correction_note: str = "",
) -> list[str]:
    """Save the editor's changed ``question``/``answer`` of ``qa``; same rules as for notes."""
    _texts_only(changed_data, QuestionAnswer.provenanced_fields, "QuestionAnswer")
    try:
        result = note_edit(
            note_id=qa.note_id,
            actor=_actor(user),
            qas=[QAEdit(qa_id=qa.pk, texts=changed_data)],
            correction_note=correction_note,
        )
    except EditRefused as error:
        raise ReviewError(error.message) from error
    qa.refresh_from_db()
    return result.qa_fields.get(qa.pk, [])


# -- review: comments and machine suggestions ------------------------------------------


class ReviewError(ValueError):
    """A review action was refused; the message says why (Japanese). Nothing changed."""


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
