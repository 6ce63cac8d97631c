"""Numbers in the Japanese text that the English source does not have.

The source is the paper's title, abstract and body passages, tables included (one row
a line, cells split by " | "). Both sides are reduced to sets of values. The English
side understands digits with scale suffixes ("60k", "0.4B", "1.5 billion"), digits with a
unit glued on ("24GB", "120ms"), multipliers ("3x"), percentages, number words ("four",
"twice", "a dozen") and ordinals ("second"); the Japanese side understands full-width
digits, 万/億/千, 倍, ％ and counters (4つ, 2番目). A value matches when it equals a
source value as written or after scaling (7B = 70億), or as a rounding of one: to the
decimals written (38.8% for 38.77), or within 5% when the text says it is approximate
(約39%, 40%近く).

Each number is reported once per note, where it first appears: the same unsupported
figure repeated in the summary, the abstract and two answers is one thing to check.
Numbers that label rather than claim (表2, 図3, 式(4), "Table 2") are left out, as are
versions in names (GPT-4, Llama3, ラマ3).
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

# Digits are possessive so that a glued unit ("24GB", "120ms") never makes the match
# back off into a shorter number ("2", "12"); a scale suffix counts only as a whole word.
EN_NUMBER = re.compile(
    r"(?<![\w.])(\d++(?:,\d{3})*+(?:\.\d++)?+)"
    r"(?:\s*(k|m|b|t|thousand|million|billion|trillion)(?![a-z]))?(?:\s*[x×])?",
    re.IGNORECASE,
)
EN_WORD = re.compile(r"\b(" + "|".join(WORDS) + r")\b", re.IGNORECASE)
JA_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.(\d+))?)\s*([千万億兆])?")
# Words saying the figure is approximate: before the number, or after it (and its unit).
APPROXIMATE_BEFORE = re.compile(r"(?:約|およそ|おおよそ|ほぼ|概ね|おおむね|大体)\s*$")
APPROXIMATE_AFTER = re.compile(r"\s*(?:%|ポイント|倍|パーセント|[^\s、。.,]{1,3}?)?(?:近く|程度|前後|ほど)")
APPROXIMATE_SHARE = 0.05
# A number after one of these labels a table, figure, equation or section; it claims nothing.
LABEL_BEFORE = re.compile(
    r"(?:表|図|式|節|章|付録|要点|手順|ステップ|(?:Table|Tab|Figure|Fig|Section|Sec|Eq|Equation|Appendix)\.?)\s*[(（]?$",
    re.IGNORECASE,
)

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


def _matches(value: float, scale: float, known: set[float], *, tolerance: float = 0.0) -> bool:
    if tolerance:
        return any(abs(value - k) <= tolerance or abs(value * scale - k) <= tolerance * scale for k in known)
    return any(_close(value, k) or _close(value * scale, k) for k in known)


def _is_a_label(text: str, start: int) -> bool:
    return bool(LABEL_BEFORE.search(text[max(0, start - 12) : start]))


def _tolerance(plain: str, match: re.Match, value: float) -> float:
    """How far a source value may be from ``value`` and still be the number written."""
    decimals = len(match.group(2) or "")
    before, after = plain[max(0, match.start() - 4) : match.start()], plain[match.end() : match.end() + 8]
    tolerance = 0.0
    if decimals:
        # 38.8 is 38.77 rounded. A whole number is not taken as rounded unless it says so
        # (約39%): among a table's many values, one within 0.5 of it is too easily found.
        tolerance = 0.5 * 10**-decimals + 1e-9
    if APPROXIMATE_BEFORE.search(before) or APPROXIMATE_AFTER.match(after):
        tolerance = max(tolerance, APPROXIMATE_SHARE * abs(value), 0.5 * 10**-decimals + 1e-9)
    return tolerance


NAME_BEFORE = re.compile(r"(?:[A-Za-z0-9][-_/.]|[A-Za-z] ?|[ァ-ヴー])$")


def _is_version_of_a_name(text: str, start: int) -> bool:
    """A number that belongs to a name ("GPT-4", "Llama3", "Gemini 1.5", "ラマ3", "2405.01535"):
    a version is not a claim, and the name check looks at names."""
    return bool(NAME_BEFORE.search(text[max(0, start - 2) : start]))


@check("number_not_in_source", severity=Severity.WARNING, label="原文にない数値")
def number_not_in_source(note: NoteText):
    """A number in a Japanese text that the English title, abstract, passages and tables do not state."""
    if not note.source_text.strip():
        return  # nothing to compare with (a back issue without its English abstract)
    known = source_values(note.source_text)
    reported: set[str] = set()
    for field_name, qa, text in note.texts():
        plain = normalise_width(without_urls(text))
        for match in JA_NUMBER.finditer(plain):
            if _is_version_of_a_name(plain, match.start()) or _is_a_label(plain, match.start()):
                continue
            value = _value(match.group(1))
            scale = JA_SCALES.get(match.group(3) or "", 1.0)
            if value in TRIVIAL:
                continue
            if _matches(value, scale, known, tolerance=_tolerance(plain, match, value)):
                continue
            written = match.group(0).strip()
            if written in reported:
                continue
            reported.add(written)
            yield finding(
                "number_not_in_source",
                field_name=field_name,
                qa=qa,
                message=_("「{number}」は英語の原文(タイトル・概要・本文・表)に見当たりません。").format(number=written),
                excerpt=excerpt_around(plain, match.start(), match.end()),
            )
