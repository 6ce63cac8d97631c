"""Numbers in the Japanese text that the English source does not have.

Both sides are reduced to sets of values. The English side understands digits with
scale suffixes ("60k", "0.4B", "1.5 billion"), multipliers ("3x"), percentages, number
words ("four", "twice", "a dozen") and ordinals ("second"); the Japanese side
understands full-width digits, 万/億/千, 倍, ％ and counters (4つ, 2番目). A value
matches when it equals a source value as written or after scaling (7B = 70億).
"""

import re

from django.utils.translation import gettext as _

from .base import NoteText, Severity, check, excerpt_around, finding, normalise_width, without_urls

WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1e6, "billion": 1e9, "trillion": 1e12, "dozen": 12, "twice": 2, "double": 2, "triple": 3,
    "half": 0.5, "single": 1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "once": 1, "thrice": 3, "quadruple": 4, "pair": 2,
    "both": 2,
}  # fmt: skip
EN_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9, "t": 1e12, "trillion": 1e12}
JA_SCALES = {"千": 1e3, "万": 1e4, "億": 1e8, "兆": 1e12}

EN_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)(?:\s*(k|m|b|t|thousand|million|billion|trillion))?(?:\s*[x×])?(?![a-z])",
    re.IGNORECASE,
)
EN_WORD = re.compile(r"\b(" + "|".join(WORDS) + r")\b", re.IGNORECASE)
JA_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*([千万億兆])?")

# Numbers that carry no claim: "1つ" is also "a"/"an", and "0" rarely matters.
TRIVIAL = {0.0, 1.0}


def _value(digits: str) -> float:
    return float(digits.replace(",", ""))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def source_values(text: str) -> set[float]:
    """Every value the English text states, as written and scaled."""
    text = normalise_width(without_urls(text))
    values: set[float] = set()
    for match in EN_NUMBER.finditer(text):
        value = _value(match.group(1))
        values.add(value)
        scale = match.group(2)
        if scale:
            values.add(value * EN_SCALES[scale.lower()])
        # "a 40% gain" may be written 4割 or 0.4; "0.4" may be written 40%.
        values.add(round(value * 100, 6))
        values.add(round(value / 100, 6))
    for match in EN_WORD.finditer(text):
        values.add(float(WORDS[match.group(1).lower()]))
    return values


def _matches(value: float, scaled: float, known: set[float]) -> bool:
    return any(_close(value, k) or _close(scaled, k) for k in known)


@check("number_not_in_source", severity=Severity.WARNING, label="原文にない数値")
def number_not_in_source(note: NoteText):
    """A number in a Japanese text that the English title, abstract or passages do not state."""
    if not note.source_text.strip():
        return  # nothing to compare with (a back issue without its English abstract)
    known = source_values(note.source_text)
    for field_name, qa, text in note.texts():
        plain = normalise_width(without_urls(text))
        reported: set[str] = set()
        for match in JA_NUMBER.finditer(plain):
            start = match.start()
            # Part of a Latin name or identifier ("GPT-4", "Llama3", "2405.01535"): the
            # name check looks at names; a version number is not a claim.
            if start and (plain[start - 1].isascii() and (plain[start - 1].isalpha() or plain[start - 1] in "-_/.")):
                continue
            value = _value(match.group(1))
            scale = JA_SCALES.get(match.group(2) or "", 1.0)
            if value in TRIVIAL or _matches(value, value * scale, known):
                continue
            written = match.group(0).strip()
            if written in reported:
                continue
            reported.add(written)
            yield finding(
                "number_not_in_source",
                field_name=field_name,
                qa=qa,
                message=_("「{number}」は英語の原文(タイトル・概要・本文)に見当たりません。").format(number=written),
                excerpt=excerpt_around(plain, match.start(), match.end()),
            )
