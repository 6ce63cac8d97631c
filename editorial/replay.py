"""A prompt version measured before it ships: replayed on published notes, compared with
what editors published, side by side with the stored machine drafts of the same notes.

The replay itself (``papernotes.drafting.replay``) writes nothing; this module chooses the
notes (published, newest week first), measures both the replayed texts and the stored
machine drafts with the same metrics (``editorial.analytics``), and sets the replay's cost
and time per week beside the stored run's (its calls' cost, and the time from its first
note's start to its last note's end).
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from editorial.analytics import (
    EditStats,
    FieldEdit,
    by_field,
    by_version,
    drafted_texts_edits,
    note_edits,
    published_notes,
    run_origins,
)
from papernotes.drafting.replay import PromptSet, ReplayedNote, replay_notes
from papernotes.models import LlmCall, Note, NoteDrafting


@dataclass
class WeekFigures:
    week: datetime.date
    notes: int = 0
    replay_calls: int = 0
    replay_cost_usd: Decimal = Decimal("0")
    replay_seconds: float = 0.0
    stored_calls: int = 0
    stored_cost_usd: Decimal = Decimal("0")
    stored_seconds: float | None = None  # None: the stored run's times are not known

    @property
    def cost_ratio(self) -> float | None:
        return float(self.replay_cost_usd / self.stored_cost_usd) if self.stored_cost_usd else None

    @property
    def time_ratio(self) -> float | None:
        return self.replay_seconds / self.stored_seconds if self.stored_seconds else None

    def to_json(self) -> dict:
        return {
            "week": self.week.isoformat(),
            "notes": self.notes,
            "replay_calls": self.replay_calls,
            "replay_cost_usd": str(self.replay_cost_usd),
            "replay_seconds": round(self.replay_seconds, 3),
            "stored_calls": self.stored_calls,
            "stored_cost_usd": str(self.stored_cost_usd),
            "stored_seconds": round(self.stored_seconds, 3) if self.stored_seconds is not None else None,
            "cost_ratio": round(self.cost_ratio, 4) if self.cost_ratio is not None else None,
            "time_ratio": round(self.time_ratio, 4) if self.time_ratio is not None else None,
        }


@dataclass
class ReplayReport:
    prompts: PromptSet
    model: str
    replayed: list[ReplayedNote] = field(default_factory=list)
    replay_edits: list[FieldEdit] = field(default_factory=list)
    stored_edits: list[FieldEdit] = field(default_factory=list)
    weeks: list[WeekFigures] = field(default_factory=list)

    @property
    def failed(self) -> list[ReplayedNote]:
        return [note for note in self.replayed if note.error]

    def side_by_side(self) -> list[tuple[str, EditStats | None, EditStats | None]]:
        """(field, stored, replay) for every field either has."""
        stored = {stats.field: stats for stats in by_field(self.stored_edits)}
        replay = {stats.field: stats for stats in by_field(self.replay_edits)}
        fields = [name for name in ("summary", "abstract_ja", "question", "answer") if name in stored or name in replay]
        return [(name, stored.get(name), replay.get(name)) for name in fields]

    def to_json(self) -> dict:
        return {
            "prompt_version": self.prompts.name,
            "model": self.model,
            "notes": len(self.replayed),
            "failed": [{"note_id": note.note_id, "error": note.error} for note in self.failed],
            "fields": [
                {
                    "field": name,
                    "stored": stored.to_json() if stored else None,
                    "replay": replay.to_json() if replay else None,
                }
                for name, stored, replay in self.side_by_side()
            ],
            "stored_by_version": [stats.to_json() for stats in by_version(self.stored_edits)],
            "replay_by_version": [stats.to_json() for stats in by_version(self.replay_edits)],
            "weeks": [week.to_json() for week in self.weeks],
        }


def replay_candidates(*, limit: int | None = None, since: datetime.date | None = None) -> list[Note]:
    """Published notes, newest week first (``limit`` of them), with what the metrics read."""
    notes = list(published_notes(since=since).select_related("paper").order_by("-issue__week_start", "position"))
    return notes[:limit] if limit else notes


def _stored_run(notes: list[Note]) -> dict[datetime.date, tuple[int, Decimal, float | None]]:
    """Per week: the calls and cost of the notes' drafting runs, and their span in seconds."""
    runs = {note.pk: note.drafting.run for note in notes if hasattr(note, "drafting")}
    weeks: dict[datetime.date, list[int]] = defaultdict(list)
    for note in notes:
        weeks[note.issue.week_start].append(note.pk)
    figures = {}
    for week, note_ids in weeks.items():
        calls, cost = 0, Decimal("0")
        for note_id in note_ids:
            if note_id in runs:
                # The run's drafting calls (a judge's or a regeneration's aside).
                totals = LlmCall.objects.filter(note_id=note_id, run=runs[note_id], target="").aggregate(
                    cost=Sum("cost_usd"), calls=Count("id")
                )
                calls += totals["calls"] or 0
                cost += totals["cost"] or Decimal("0")
        span = NoteDrafting.objects.filter(note_id__in=note_ids, started_at__isnull=False).aggregate(
            start=Min("started_at"), end=Max("finished_at")
        )
        seconds = (span["end"] - span["start"]).total_seconds() if span["start"] and span["end"] else None
        figures[week] = (calls, cost, seconds)
    return figures


def replay_published(
    *, prompts: PromptSet, model: str = "", limit: int | None = None, since: datetime.date | None = None
) -> ReplayReport:
    """Replay the published notes with ``prompts`` (and ``model``) and measure both sides."""
    notes = replay_candidates(limit=limit, since=since)
    report = ReplayReport(prompts=prompts, model=model)
    origins = run_origins(notes)
    for note in notes:
        report.stored_edits.extend(note_edits(note, origins))
    by_week: dict[datetime.date, list[Note]] = defaultdict(list)
    for note in notes:
        by_week[note.issue.week_start].append(note)
    stored = _stored_run(notes)
    for week, week_notes in by_week.items():
        started = time.monotonic()
        replayed = replay_notes(week_notes, prompts=prompts, model=model)
        figures = WeekFigures(week=week, notes=len(week_notes), replay_seconds=time.monotonic() - started)
        figures.replay_calls = sum(len(item.calls) for item in replayed)
        figures.replay_cost_usd = sum((item.cost_usd for item in replayed), Decimal("0"))
        figures.stored_calls, figures.stored_cost_usd, figures.stored_seconds = stored.get(week, (0, Decimal(0), None))
        report.weeks.append(figures)
        report.replayed.extend(replayed)
        for note, item in zip(week_notes, replayed, strict=True):
            if item.error:
                continue
            models: dict[str, str] = {}
            for call in item.calls:
                models.setdefault(call.step, call.model)
            report.replay_edits.extend(
                drafted_texts_edits(
                    note=note,
                    summary=item.summary,
                    abstract_ja=item.abstract_ja,
                    pairs=item.pairs,
                    prompt_version=item.prompt_tags,
                    model=models,
                )
            )
    return report
