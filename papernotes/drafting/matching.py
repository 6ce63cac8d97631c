"""Which answer belongs to which question, however the model numbered them.

Real models misnumber items (every answer "1"), skip some, merge two into one, or count
from 0. An answer is placed:

1. by its number, when the numbers are distinct and each names a question;
2. else by its position, when there is one answer per question;
3. else by the question text it echoes (the schema asks for it), and then by its number
   where that number is unambiguous and its question still free.

A rule applies only where the question texts the model echoed do not clearly name other
questions. What cannot be placed is returned apart, to be kept as a suggestion: never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol, TypeVar

# Below this similarity an echoed question names no question (the echo may be shortened,
# or punctuated differently).
_MIN_SIMILARITY = 0.6
_NOISE_RE = re.compile(r"[\s\W_]+")


class Numbered(Protocol):
    question_number: int
    question: str


A = TypeVar("A", bound=Numbered)


@dataclass(frozen=True)
class Placement:
    """``placed[i]`` answers question ``i`` (0-based); ``unplaced`` fit no question; ``how``
    says which rule placed them ("number", "position", "text")."""

    placed: dict
    unplaced: list
    how: str


def _plain(text: str) -> str:
    return _NOISE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()


def _by_text(questions: Sequence[str], answers: Sequence[A]) -> dict[int, int]:
    """answer index → question index for echoes that clearly name one question, best first."""
    wanted = [_plain(question) for question in questions]
    scored = []
    for answer_index, answer in enumerate(answers):
        echo = _plain(answer.question or "")
        if not echo:
            continue
        for question_index, question in enumerate(wanted):
            if not question:
                continue
            if echo == question:
                score = 3.0
            elif question in echo:
                score = 2.0  # two questions answered as one: the first one it names keeps it
            else:
                score = SequenceMatcher(None, echo, question, autojunk=False).ratio()
            if score >= _MIN_SIMILARITY:
                scored.append((score, answer_index, question_index))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _score, answer_index, question_index in sorted(scored, key=lambda item: -item[0]):
        if answer_index not in matched and question_index not in taken:
            matched[answer_index] = question_index
            taken.add(question_index)
    return matched


def place_answers(questions: Sequence[str], answers: Sequence[A], *, numbers: Sequence[int] | None = None) -> Placement:
    """Place ``answers`` under ``questions``.

    ``numbers`` are the question numbers the model was shown for ``questions`` (1..n by
    default; a repair shows only the missing ones, with their original numbers).
    """
    count = len(questions)
    shown = list(numbers) if numbers is not None else list(range(1, count + 1))
    index_of = {number: index for index, number in enumerate(shown)}
    given = [answer.question_number for answer in answers]
    by_text = _by_text(questions, answers)

    def echoes_agree(assignment: dict[int, int]) -> bool:
        # An echo that clearly names another question overrules a number or a position.
        return all(by_text.get(answer, question) == question for answer, question in assignment.items())

    if len(set(given)) == len(given) and all(number in index_of for number in given):
        by_number = {answer: index_of[number] for answer, number in enumerate(given)}
        if echoes_agree(by_number):
            return Placement({question: answers[answer] for answer, question in by_number.items()}, [], "number")
    if len(answers) == count and echoes_agree({index: index for index in range(count)}):
        return Placement(dict(enumerate(answers)), [], "position")
    placed = {question: answers[answer] for answer, question in by_text.items()}
    unplaced = []
    for answer_index, answer in enumerate(answers):
        if answer_index in by_text:
            continue
        index = index_of.get(answer.question_number)
        if given.count(answer.question_number) == 1 and index is not None and index not in placed:
            placed[index] = answer
        else:
            unplaced.append(answer)
    return Placement(placed, unplaced, "text")
