"""How much editors changed the machine's drafts before publication, per prompt version.

For every note of a published issue (公開済み, 公開済み(訂正あり)) each machine field —
the note's 一行要約 and 概要, each Q&A pair's question and answer — is compared with the
text readers see: the field's stored machine draft (``<field>_machine_draft``) against its
published text. A field the machine never drafted (imported back issues, pairs an editor
added) is left out. The prompt version and model of a field are those of the drafting run's
call that produced it (the read step's for the 一行要約, 概要 and questions, the answer
step's for answers), else the run's recorded ``prompt_version`` and ``models_used``.

The distance is a character edit distance normalised by length: ``1 − ratio`` of
:class:`difflib.SequenceMatcher` (``autojunk`` off), where ``ratio = 2·M / (|a| + |b|)``
and ``M`` the characters of the matching blocks. That is the insertion/deletion distance
divided by the two lengths together (0: unchanged, 1: nothing in common). SequenceMatcher
is quadratic at worst; each side is cut at :data:`MAX_CHARS` characters (the 概要 cap of the
sample is ~1,000), so no comparison costs more than a bounded time. An exact Levenshtein
in Python would be O(n·m) always, and slower on long 概要.

Per field: the share accepted unchanged (equal after trimming whitespace), the mean
distance, and for Q&A the answers rewritten and questions replaced: a distance of
:data:`REWRITE_THRESHOLD` or more (more than half of the characters changed).

Everything here reads; the admin screen, ``manage.py edit_analytics`` and
``manage.py replay_prompts`` show it.
"""

from __future__ import annotations

import datetime
import difflib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from django.db.models import Prefetch

from papernotes.models import PUBLIC_ISSUE_STATES, DraftingStep, LlmCall, LlmCallOutcome, Note, QuestionAnswer

# Each side of a comparison is cut to this many characters (bounded time per field).
MAX_CHARS = 6000
# A distance from here on counts an answer as rewritten and a question as replaced.
REWRITE_THRESHOLD = 0.5

FIELDS = ("summary", "abstract_ja", "question", "answer")
FIELD_LABELS = {"summary": "一行要約", "abstract_ja": "概要", "question": "質問", "answer": "回答"}
# The step whose prompt and model produce each field.
FIELD_STEPS = {
    "summary": DraftingStep.READ,
    "abstract_ja": DraftingStep.READ,
    "question": DraftingStep.READ,
    "answer": DraftingStep.ANSWER,
}


def edit_distance(machine: str, published: str) -> float:
    """Normalised character edit distance, 0.0 (same) to 1.0 (nothing in common); see the module."""
    a, b = machine.strip()[:MAX_CHARS], published.strip()[:MAX_CHARS]
    if a == b:
        return 0.0
    if not a or not b:
        return 1.0
    return round(1.0 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), 4)


@dataclass(frozen=True)
class FieldEdit:
    """One machine field of one published note, compared with what was published."""

    week: datetime.date
    note_id: int
    field: str
    prompt_version: str
    model: str
    distance: float
    position: int = 0  # the Q&A pair's position (0 for the note's own fields)

    @property
    def unchanged(self) -> bool:
        return self.distance == 0.0

    @property
    def rewritten(self) -> bool:
        return self.distance >= REWRITE_THRESHOLD


def compare(
    *, week: datetime.date, note_id: int, field: str, machine: str, published: str, prompt_version: str, model: str,
    position: int = 0,
) -> FieldEdit:  # fmt: skip
    return FieldEdit(week, note_id, field, prompt_version, model, edit_distance(machine, published), position)


@dataclass(frozen=True)
class EditStats:
    """The edits of one group of fields (a prompt version × model × field, or a week × field)."""

    key: tuple[str, ...]
    field: str
    count: int
    unchanged: int
    mean_distance: float
    median_distance: float
    rewritten: int  # answers rewritten / questions replaced / other fields mostly rewritten

    @property
    def share_unchanged(self) -> float:
        return self.unchanged / self.count if self.count else 0.0

    @property
    def field_label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)

    def to_json(self) -> dict:
        return {**asdict(self), "key": list(self.key), "share_unchanged": round(self.share_unchanged, 4)}


def _stats(key: tuple[str, ...], field_name: str, edits: Sequence[FieldEdit]) -> EditStats:
    distances = [edit.distance for edit in edits]
    return EditStats(
        key=key,
        field=field_name,
        count=len(edits),
        unchanged=sum(1 for edit in edits if edit.unchanged),
        mean_distance=round(statistics.fmean(distances), 4) if distances else 0.0,
        median_distance=round(statistics.median(distances), 4) if distances else 0.0,
        rewritten=sum(1 for edit in edits if edit.rewritten),
    )


def _field_order(field_name: str) -> int:
    return FIELDS.index(field_name) if field_name in FIELDS else len(FIELDS)


def by_version(edits: Iterable[FieldEdit]) -> list[EditStats]:
    """Per prompt version × model × field."""
    groups: dict[tuple[str, str, str], list[FieldEdit]] = defaultdict(list)
    for edit in edits:
        groups[(edit.prompt_version, edit.model, edit.field)].append(edit)
    return [
        _stats((version, model), field_name, groups[(version, model, field_name)])
        for version, model, field_name in sorted(groups, key=lambda k: (k[0], k[1], _field_order(k[2])))
    ]


def by_week(edits: Iterable[FieldEdit]) -> list[EditStats]:
    """Per issue week × field, newest week first."""
    groups: dict[tuple[datetime.date, str], list[FieldEdit]] = defaultdict(list)
    for edit in edits:
        groups[(edit.week, edit.field)].append(edit)
    return [
        _stats((week.isoformat(),), field_name, groups[(week, field_name)])
        for week, field_name in sorted(groups, key=lambda k: (-k[0].toordinal(), _field_order(k[1])))
    ]


def by_field(edits: Iterable[FieldEdit]) -> list[EditStats]:
    """Per field over everything given (the totals)."""
    groups: dict[str, list[FieldEdit]] = defaultdict(list)
    for edit in edits:
        groups[edit.field].append(edit)
    return [_stats(("",), name, groups[name]) for name in sorted(groups, key=_field_order)]


@dataclass
class EditAnalytics:
    edits: list[FieldEdit] = field(default_factory=list)
    notes: int = 0  # published notes read (with or without machine fields)

    @property
    def versions(self) -> list[EditStats]:
        return by_version(self.edits)

    @property
    def weeks(self) -> list[EditStats]:
        return by_week(self.edits)

    @property
    def totals(self) -> list[EditStats]:
        return by_field(self.edits)

    def to_json(self) -> dict:
        return {
            "notes": self.notes,
            "fields_compared": len(self.edits),
            "rewrite_threshold": REWRITE_THRESHOLD,
            "totals": [stats.to_json() for stats in self.totals],
            "by_version": [stats.to_json() for stats in self.versions],
            "by_week": [stats.to_json() for stats in self.weeks],
        }


# -- reads ----------------------------------------------------------------------------------


def published_notes(*, since: datetime.date | None = None):
    """Notes of published issues (readers see them), oldest week first, with their Q&A."""
    notes = (
        Note.objects.filter(issue__state__in=PUBLIC_ISSUE_STATES)
        .select_related("issue", "drafting")
        .prefetch_related(Prefetch("qas", queryset=QuestionAnswer.objects.order_by("position")))
        .order_by("issue__week_start", "position")
    )
    if since is not None:
        notes = notes.filter(issue__week_start__gte=since)
    return notes


def run_origins(notes: Sequence[Note]) -> dict[tuple[int, str], tuple[str, str]]:
    """(note id, step) → (prompt version, model) of the first successful call of the note's
    drafting run for that step (regenerations aside), in one query."""
    runs = {note.pk: note.drafting.run for note in notes if _drafting(note) is not None}
    origins: dict[tuple[int, str], tuple[str, str]] = {}
    calls = (
        LlmCall.objects.filter(note_id__in=list(runs), target="", outcome=LlmCallOutcome.OK)
        .filter(step__in=[DraftingStep.READ, DraftingStep.ANSWER])
        .order_by("id")
        .values_list("note_id", "run", "step", "prompt_version", "model")
    )
    for note_id, run, step, version, model in calls:
        if runs.get(note_id) == run:
            origins.setdefault((note_id, step), (version, model))
    return origins


def _drafting(note: Note):
    try:
        return note.drafting
    except Note.drafting.RelatedObjectDoesNotExist:
        return None


def _fallback_origin(note: Note, step: str) -> tuple[str, str]:
    drafting = _drafting(note)
    if drafting is None:
        return "(不明)", "(不明)"
    tags = [tag for tag in drafting.prompt_version.split(",") if tag]
    version = next((tag for tag in tags if tag.startswith(f"{step}@")), "") or "(不明)"
    model = drafting.models_used.split(",")[0] if drafting.models_used else "(不明)"
    return version, model


def note_edits(note: Note, origins: dict[tuple[int, str], tuple[str, str]]) -> list[FieldEdit]:
    """Every machine field of ``note`` compared with its published text."""
    edits = []

    def origin(field_name: str) -> tuple[str, str]:
        step = FIELD_STEPS[field_name]
        return origins.get((note.pk, step)) or _fallback_origin(note, step)

    for name in ("summary", "abstract_ja"):
        machine = getattr(note, f"{name}_machine_draft")
        if machine.strip():
            version, model = origin(name)
            edits.append(
                compare(
                    week=note.issue.week_start, note_id=note.pk, field=name, machine=machine,
                    published=getattr(note, name), prompt_version=version, model=model,
                )
            )  # fmt: skip
    for qa in note.qas.all():
        for name in ("question", "answer"):
            machine = getattr(qa, f"{name}_machine_draft")
            if machine.strip():
                version, model = origin(name)
                edits.append(
                    compare(
                        week=note.issue.week_start, note_id=note.pk, field=name, machine=machine,
                        published=getattr(qa, name), prompt_version=version, model=model, position=qa.position,
                    )
                )  # fmt: skip
    return edits


def edit_analytics(*, since: datetime.date | None = None) -> EditAnalytics:
    """The edits of every published note (of weeks from ``since`` on)."""
    notes = list(published_notes(since=since))
    origins = run_origins(notes)
    result = EditAnalytics(notes=len(notes))
    for note in notes:
        result.edits.extend(note_edits(note, origins))
    return result


def drafted_texts_edits(
    *,
    note: Note,
    summary: str,
    abstract_ja: str,
    pairs: Sequence[tuple[str, str]],
    prompt_version: dict[str, str],
    model: dict[str, str],
) -> list[FieldEdit]:
    """Texts drafted outside the note (a replay) compared with what the note published, field
    by field as :func:`note_edits` compares the stored machine drafts: the 一行要約 and 概要,
    and each pair by position. ``prompt_version`` and ``model`` map a step to its prompt tag
    and model."""
    week = note.issue.week_start
    published_qas = {qa.position: qa for qa in note.qas.all()}
    edits = []
    for name, text in (("summary", summary), ("abstract_ja", abstract_ja)):
        if text.strip():
            version = prompt_version.get(FIELD_STEPS[name], "")
            edits.append(
                compare(
                    week=week, note_id=note.pk, field=name, machine=text, published=getattr(note, name),
                    prompt_version=version, model=model.get(FIELD_STEPS[name], ""),
                )
            )  # fmt: skip
    for position, (question, answer) in enumerate(pairs, start=1):
        qa = published_qas.get(position)
        for name, text in (("question", question), ("answer", answer)):
            if text.strip():
                edits.append(
                    compare(
                        week=week, note_id=note.pk, field=name, machine=text,
                        published=getattr(qa, name) if qa is not None else "",
                        prompt_version=prompt_version.get(FIELD_STEPS[name], ""),
                        model=model.get(FIELD_STEPS[name], ""), position=position,
                    )
                )  # fmt: skip
    return edits
