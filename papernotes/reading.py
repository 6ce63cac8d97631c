"""Reading time of the notes, counted the Japanese way: by characters, not words.

``READING_RATE`` characters a minute (500 字/分, the middle of the 400–600 字/分 usually given
for Japanese prose; a Latin letter counts as one character, which evens out the slower
reading of technical terms). White space is not counted.
"""

import math

READING_RATE = 500


def _characters(text: str) -> int:
    return sum(not char.isspace() for char in text or "")


def note_characters(note) -> int:
    """Characters a reader reads in one note: one-line summary, 概要 and every Q&A pair.

    Uses ``note.qas.all()``: prefetched by the reader selectors, so it costs no query.
    """
    total = _characters(note.summary) + _characters(note.abstract_ja)
    return total + sum(_characters(qa.question) + _characters(qa.answer) for qa in note.qas.all())


def reading_minutes(characters: int) -> int:
    """Whole minutes, rounded up (a short note still takes 「約 1 分」)."""
    return max(1, math.ceil(characters / READING_RATE))


def issue_reading_minutes(notes) -> int:
    """Minutes to read an issue's notes, from their characters together (not summed minutes)."""
    return reading_minutes(sum(note_characters(note) for note in notes))
