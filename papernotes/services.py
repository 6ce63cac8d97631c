"""Writes of the content core that the pipelines need, with the core's own invariants.

The editorial workflow (``editorial.workflow``) owns every transition a person asks for,
with its permission, guard and audit row. The one transition made by the machine itself
lives here, so that the drafting pipeline can make it without importing the editors'
side: it sends :data:`papernotes.signals.note_drafted`, and ``editorial`` records it.
"""

from django.db import transaction

from papernotes.models import Note, NoteState
from papernotes.signals import note_drafted

# Positions are moved out of the way by this much before a reorder, so a unique
# (parent, position) constraint never sees two rows on one number mid-way.
POSITION_PARKING_OFFSET = 1000


@transaction.atomic
def note_mark_drafted(*, note_id: int) -> bool:
    """The machine draft of a note is complete: 下書き待ち → 下書き済み.

    A no-op returning False in any other state (a late or repeated task result), so the
    drafting task may call it unconditionally.
    """
    note = Note.objects.select_for_update().select_related("issue").get(pk=note_id)
    if note.state != NoteState.AWAITING_DRAFT:
        return False
    source = note.state
    note.mark_drafted()
    note.save()
    note_drafted.send(sender=Note, note=note, source=source, target=note.state)
    return True
