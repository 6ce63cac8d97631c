"""Reading time, counted the Japanese way: characters a minute, not words."""

import pytest

from papernotes.reading import READING_RATE, issue_reading_minutes, note_characters, reading_minutes
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("characters", "minutes"), [(0, 1), (1, 1), (500, 1), (501, 2), (4_600, 10)])
def test_minutes_are_whole_and_rounded_up_at_500_characters_a_minute(characters, minutes):
    assert READING_RATE == 500
    assert reading_minutes(characters) == minutes


def test_a_note_counts_its_summary_abstract_and_every_qa_pair_without_white_space():
    # given a note of 10 + 20 characters (and spaces), with two Q&A pairs of 5 + 15 each
    issue = WeeklyIssueFactory(published=True)
    note = NoteFactory(issue=issue, position=1, summary="一行要約です. 以上.", abstract_ja="あ" * 20 + "\n\n")
    for position in (1, 2):
        QuestionAnswerFactory(note=note, position=position, question="何ですか?", answer="い" * 15)

    # then it counts what a reader reads, not the white space
    assert note_characters(note) == 10 + 20 + 2 * (5 + 15)


def test_an_issue_is_timed_from_its_characters_together():
    # given three notes of 300 characters each: one minute each, two minutes together
    issue = WeeklyIssueFactory(published=True)
    notes = [NoteFactory(issue=issue, position=position, summary="", abstract_ja="う" * 300) for position in (1, 2, 3)]
    assert [reading_minutes(note_characters(note)) for note in notes] == [1, 1, 1]
    assert issue_reading_minutes(notes) == 2
