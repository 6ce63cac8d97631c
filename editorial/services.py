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
