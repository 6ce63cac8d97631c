"""Revisions of a note and its Q&A pairs (django-simple-history), and comparing two.

A revision point is a moment at which the note or one of its pairs was saved; the note
as of that moment is its row plus the pairs that existed then. Restoring is the
history's own 元に戻す (revert) on the note or on a pair, which goes through the
provenance service, so the restored texts count as the editor's choice.
"""

import datetime
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

from editorial.diffs import diff_html
from papernotes.models import Note, QuestionAnswer


@dataclass(frozen=True)
class Revision:
    key: str  # the moment, ISO 8601
    at: datetime.datetime
    user: object | None
    what: str
    change: str
    revert_url_name: str
    object_id: int
    history_id: int


def note_revisions(note: Note, *, limit: int = 200) -> list[Revision]:
    """Every saved version of the note and of its pairs, newest first."""
    change_labels = {"+": "作成", "~": "変更", "-": "削除"}
    rows = [
        Revision(
            key=row.history_date.isoformat(),
            at=row.history_date,
            user=row.history_user,
            what="ノート",
            change=change_labels.get(row.history_type, row.history_type),
            revert_url_name="admin:papernotes_note_simple_history",
            object_id=note.pk,
            history_id=row.history_id,
        )
        for row in note.history.select_related("history_user")[:limit]
    ]
    rows += [
        Revision(
            key=row.history_date.isoformat(),
            at=row.history_date,
            user=row.history_user,
            what=f"Q{row.position}",
            change=change_labels.get(row.history_type, row.history_type),
            revert_url_name="admin:papernotes_questionanswer_simple_history",
            object_id=row.id,
            history_id=row.history_id,
        )
        for row in QuestionAnswer.history.filter(note_id=note.pk).select_related("history_user")[:limit]
    ]
    return sorted(rows, key=lambda revision: revision.at, reverse=True)


@dataclass(frozen=True)
class FieldDiff:
    label: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def html(self):
        return diff_html(self.old, self.new)


def _state_at(note: Note, moment: datetime.datetime) -> tuple[dict[str, str], list]:
    try:
        version = note.history.as_of(moment)
    except Note.DoesNotExist:
        texts = {"summary": "", "abstract_ja": ""}
    else:
        texts = {"summary": version.summary, "abstract_ja": version.abstract_ja}
    qas = sorted(QuestionAnswer.history.as_of(moment).filter(note_id=note.pk), key=lambda qa: qa.position)
    return texts, qas


def compare_note_revisions(*, note: Note, older: str, newer: str) -> list[FieldDiff]:
    """Field by field differences between the note as of ``older`` and as of ``newer``."""
    older_at, newer_at = parse_datetime(older), parse_datetime(newer)
    if older_at is None or newer_at is None:
        return []
    if older_at > newer_at:
        older_at, newer_at = newer_at, older_at
    old_texts, old_qas = _state_at(note, older_at)
    new_texts, new_qas = _state_at(note, newer_at)
    diffs = [
        FieldDiff("一行要約", old_texts["summary"], new_texts["summary"]),
        FieldDiff("概要(日本語)", old_texts["abstract_ja"], new_texts["abstract_ja"]),
    ]
    old_by_id = {qa.pk: qa for qa in old_qas}
    new_by_id = {qa.pk: qa for qa in new_qas}
    for qa_id in sorted(set(old_by_id) | set(new_by_id), key=lambda i: (new_by_id.get(i) or old_by_id[i]).position):
        old_qa, new_qa = old_by_id.get(qa_id), new_by_id.get(qa_id)
        position = (new_qa or old_qa).position
        diffs.append(
            FieldDiff(f"Q{position} 質問", old_qa.question if old_qa else "", new_qa.question if new_qa else "")
        )
        diffs.append(FieldDiff(f"Q{position} 回答", old_qa.answer if old_qa else "", new_qa.answer if new_qa else ""))
    return diffs
