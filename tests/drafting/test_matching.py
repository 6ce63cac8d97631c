"""Answers are placed under their questions however the model numbered them; none is dropped."""

from dataclasses import dataclass

from papernotes.drafting.matching import place_answers

TOPICS = ["目的", "手法", "データ", "結果", "限界"]
QUESTIONS = [f"質問 {n} の「{topic}」とは何ですか?" for n, topic in enumerate(TOPICS, 1)]


@dataclass(frozen=True)
class Answer:
    question_number: int
    question: str
    answer: str = "回答です."


def _answers(numbers, questions=None):
    questions = questions if questions is not None else QUESTIONS
    return [Answer(number, question) for number, question in zip(numbers, questions, strict=True)]


def _where(placement):
    return {index: QUESTIONS.index(answer.question) for index, answer in placement.placed.items()}


def test_numbers_that_name_every_question_once_place_the_answers():
    answers = list(reversed(_answers([1, 2, 3, 4, 5])))
    placement = place_answers(QUESTIONS, answers)
    assert placement.how == "number" and _where(placement) == {i: i for i in range(5)}


def test_every_answer_numbered_one_is_placed_by_position():
    placement = place_answers(QUESTIONS, _answers([1, 1, 1, 1, 1]))
    assert placement.how == "position" and _where(placement) == {i: i for i in range(5)} and not placement.unplaced


def test_a_skipped_answer_with_misnumbered_items_is_placed_by_the_echoed_question():
    kept = [QUESTIONS[i] for i in (0, 1, 3, 4)]
    placement = place_answers(QUESTIONS, _answers([1, 1, 1, 1], kept))
    assert placement.how == "text" and _where(placement) == {0: 0, 1: 1, 3: 3, 4: 4}


def test_numbers_that_disagree_with_the_echoed_questions_give_way():
    # Question 3 skipped, the rest numbered 1..4 in order: the numbers shift, the echoes do not.
    kept = [QUESTIONS[i] for i in (0, 1, 3, 4)]
    placement = place_answers(QUESTIONS, _answers([1, 2, 3, 4], kept))
    assert _where(placement) == {0: 0, 1: 1, 3: 3, 4: 4}


def test_an_echo_punctuated_differently_still_places_its_answer():
    echoes = [q.replace("?", "？").replace("「", "").replace("」", "") for q in QUESTIONS[:3]]
    answers = [Answer(7, echo) for echo in echoes]
    placement = place_answers(QUESTIONS, answers)
    assert sorted(placement.placed) == [0, 1, 2] and not placement.unplaced


def test_two_questions_answered_as_one_go_under_the_first():
    merged = Answer(1, f"{QUESTIONS[2]} / {QUESTIONS[3]}")
    placement = place_answers(QUESTIONS, [*_answers([1, 2], QUESTIONS[:2]), merged])
    assert set(placement.placed) == {0, 1, 2} and placement.placed[2] is merged


def test_what_nothing_places_is_returned_not_dropped():
    answers = [Answer(1, ""), Answer(1, ""), Answer(9, "")]
    placement = place_answers(QUESTIONS, answers)
    assert placement.placed == {} and placement.unplaced == answers


def test_a_repair_places_answers_by_the_numbers_it_was_shown():
    placement = place_answers([QUESTIONS[1], QUESTIONS[4]], [Answer(5, ""), Answer(2, "")], numbers=[2, 5])
    assert placement.how == "number" and placement.placed[0].question_number == 2
