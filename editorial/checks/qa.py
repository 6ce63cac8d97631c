"""Checks of the Q&A pairs: questions that are not questions, answers that say nothing
new, answers that repeat each other, and how many pairs a note has."""

import math
import re
from collections import Counter

from django.utils.translation import gettext as _

from .base import NoteText, QAText, Severity, check, excerpt_around, finding, normalise_width

# What a Japanese question or request ends with, before the final "." / "?".
QUESTION_END = re.compile(
    r"(?:か|かな|かね|ください|下さい|くれますか|ませんか|でしょう|だろう|とは|教えて|説明して|なぜ|何|どれ|どこ|いつ|誰)"
    r"\s*[.。]?$"
)
QUESTION_MARK = re.compile(r"[?\uff1f]\s*$")


@check("not_a_question", severity=Severity.WARNING, label="質問になっていない質問")
def not_a_question(note: NoteText):
    """A question that neither ends with "?" nor in a question or request form (…のか. / …教えてください.)."""
    for qa in note.qas:
        text = normalise_width(qa.question).strip()
        if not text or QUESTION_MARK.search(text) or QUESTION_END.search(text):
            continue
        yield finding(
            "not_a_question",
            field_name="question",
            qa=qa,
            message=_("質問の形(「…ですか?」「…を教えてください.」「…のか.」など)になっていません。"),
            excerpt=excerpt_around(text, len(text) - 1, len(text), context=30),
        )


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\s、。,.?!「」『』()]", "", normalise_width(text))
    return {text[i : i + 2] for i in range(len(text) - 1)}


# Wording of a question that an answer need not repeat to be about the same thing.
QUESTION_FRAME = re.compile(
    r"(?:について)?(?:詳しく)?(?:教えてください|説明してください|説明していただけますか|とは何ですか|は何ですか|ですか|ますか|でしょうか|のか)"
)


@check("answer_restates_question", severity=Severity.WARNING, label="質問を言い換えただけの回答")
def answer_restates_question(note: NoteText):
    """An answer made almost only of its question's words, adding nothing."""
    for qa in note.qas:
        question = _bigrams(QUESTION_FRAME.sub("", qa.question))
        answer = _bigrams(qa.answer)
        if len(answer) < 4 or not question:
            continue
        new = len(answer - question) / len(answer)
        if new < 0.3 and len(qa.answer) <= 1.5 * len(qa.question) + 10:
            yield finding(
                "answer_restates_question",
                field_name="answer",
                qa=qa,
                message=_("回答が質問を言い換えているだけで、新しい情報がほとんどありません。"),
                excerpt=excerpt_around(qa.answer, 0, min(len(qa.answer), 40), context=0),
            )


# An answer counts for the duplicate check from this length on (shorter ones say little).
DUPLICATE_MIN_CHARS = 20
# A bigram in at least this share of a note's answers (and in three of them) is the note's
# boilerplate: the method's name, 「この論文では」, 「…が示されています」.
BOILERPLATE_SHARE = 0.5
# An answer with fewer bigrams than this left after the boilerplate has no substance of its
# own to compare: it is (nearly) the note's template.
SUBSTANCE_MIN_BIGRAMS = 12


def _substance(note: NoteText) -> list[tuple[QAText, set[str]]]:
    """Each answer's bigrams without the note's boilerplate (what every other answer says too)."""
    answers = [(qa, _bigrams(qa.answer)) for qa in note.qas if len(qa.answer.strip()) >= DUPLICATE_MIN_CHARS]
    counts = Counter(gram for _qa, grams in answers for gram in grams)
    threshold = max(3, math.ceil(BOILERPLATE_SHARE * len(answers)))
    boilerplate = {gram for gram, count in counts.items() if count >= threshold}
    return [(qa, grams - boilerplate) for qa, grams in answers]


@check("near_duplicate_answers", severity=Severity.WARNING, label="ほぼ同じ回答")
def near_duplicate_answers(note: NoteText):
    """Two answers of one note that say nearly the same thing, compared on what is their own:
    character bigrams (Japanese has no spaces, and bigrams survive small rewordings) without
    the phrases most answers of the note share, so a shared opening, closing or the
    method's name does not make two different answers alike. Answers that are nothing but
    that shared wording are one finding for the group, not one per answer."""
    answers = _substance(note)
    templated = [qa for qa, grams in answers if len(grams) < SUBSTANCE_MIN_BIGRAMS]
    if len(templated) >= 3:
        yield finding(
            "near_duplicate_answers",
            field_name="answer",
            qa=templated[0],
            message=_("{positions} の回答は、ほぼ同じ定型文で、それぞれの内容がほとんどありません。").format(
                positions="・".join(f"Q{qa.position}" for qa in templated)
            ),
            excerpt=excerpt_around(templated[0].answer, 0, min(len(templated[0].answer), 40), context=0),
        )
    substantive = [(qa, grams) for qa, grams in answers if len(grams) >= SUBSTANCE_MIN_BIGRAMS]
    for index, (qa, grams) in enumerate(substantive):
        for earlier, earlier_grams in substantive[:index]:
            shared = len(grams & earlier_grams)
            jaccard = shared / max(1, len(grams | earlier_grams))
            containment = shared / max(1, min(len(grams), len(earlier_grams)))
            if jaccard >= 0.6 or containment >= 0.85:
                yield finding(
                    "near_duplicate_answers",
                    field_name="answer",
                    qa=qa,
                    message=_("Q{other} の回答とほぼ同じです。").format(other=earlier.position),
                    excerpt=excerpt_around(qa.answer, 0, min(len(qa.answer), 40), context=0),
                )
                break


@check("qa_count", severity=Severity.WARNING, label="Q&A の数")
def qa_count(note: NoteText):
    low, high = note.qa_count_range
    count = len(note.qas)
    if not low <= count <= high:
        yield finding(
            "qa_count",
            field_name="",
            qa=None,
            message=_("Q&A が {count} 組あります({low}〜{high} 組にしてください)。").format(
                count=count, low=low, high=high
            ),
            excerpt=str(count),
        )
