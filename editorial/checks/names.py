"""One name written in different ways within a note: letter case, Latin vs katakana.

Katakana is romanised and both spellings are reduced to a consonant skeleton with the
usual loanword equivalences (l/r, v/b, c/k/q, g/j, th/t, ph/f), so "Prometheus" and
「プロメテウス」, "Gemini" and 「ジェミニ」 meet, while short or common words are left out.

Ordinary English words are not names: 「Sparse」 beside 「sparse」 is a word at the start
of a phrase, not a second spelling, and 「Token」 beside 「トークン」 is the usual
rendering. A word is taken as ordinary when the English source (title, abstract, body)
writes it in lower case; then spellings that differ only in the case of the first letter
are one spelling, and its katakana form is no variant. Without an English source a
first-letter difference is not reported either (nothing says whether it is a name);
other differences of case are: 「LLaMA」/「Llama」, 「SPPO」/「sppo」, 「URL」/「url」.
"""

import re
from collections import defaultdict

from django.utils.translation import gettext as _

from .base import NoteText, Severity, check, excerpt_around, finding, normalise_width, without_urls

KANA = {
    "ア": "a", "イ": "i", "ウ": "u", "エ": "e", "オ": "o", "カ": "ka", "キ": "ki", "ク": "ku", "ケ": "ke", "コ": "ko",
    "ガ": "ga", "ギ": "gi", "グ": "gu", "ゲ": "ge", "ゴ": "go", "サ": "sa", "シ": "si", "ス": "su", "セ": "se",
    "ソ": "so", "ザ": "za", "ジ": "ji", "ズ": "zu", "ゼ": "ze", "ゾ": "zo", "タ": "ta", "チ": "ti", "ツ": "tu",
    "テ": "te", "ト": "to", "ダ": "da", "ヂ": "ji", "ヅ": "zu", "デ": "de", "ド": "do", "ナ": "na", "ニ": "ni",
    "ヌ": "nu", "ネ": "ne", "ノ": "no", "ハ": "ha", "ヒ": "hi", "フ": "fu", "ヘ": "he", "ホ": "ho", "バ": "ba",
    "ビ": "bi", "ブ": "bu", "ベ": "be", "ボ": "bo", "パ": "pa", "ピ": "pi", "プ": "pu", "ペ": "pe", "ポ": "po",
    "マ": "ma", "ミ": "mi", "ム": "mu", "メ": "me", "モ": "mo", "ヤ": "ya", "ユ": "yu", "ヨ": "yo", "ラ": "ra",
    "リ": "ri", "ル": "ru", "レ": "re", "ロ": "ro", "ワ": "wa", "ヲ": "o", "ン": "n", "ヴ": "vu", "ァ": "a",
    "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o", "ャ": "ya", "ュ": "yu", "ョ": "yo", "ッ": "", "ー": "", "・": "",
}  # fmt: skip
KATAKANA_RUN = re.compile(r"[ァ-ヴー・]{3,}")
LATIN_NAME = re.compile(r"(?<![0-9A-Za-z])[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# Ordinary words that appear in Latin inside Japanese text but are not names.
COMMON = {"the", "and", "for", "with", "from", "this", "that", "model", "models", "data", "paper"}


def romanise(katakana: str) -> str:
    return "".join(KANA.get(char, "") for char in katakana)


def skeleton(word: str) -> str:
    """Consonants only, after folding the sounds katakana cannot tell apart."""
    word = word.lower()
    for before, after in (("ph", "f"), ("th", "t"), ("sh", "s"), ("ch", "t"), ("ck", "k"), ("x", "ks")):
        word = word.replace(before, after)
    word = re.sub(r"c(?=[eiy])", "s", word)
    word = word.translate(str.maketrans({"c": "k", "q": "k", "l": "r", "v": "b", "j": "g", "z": "s", "w": ""}))
    word = re.sub(r"[aeiouyh0-9\-]", "", word)
    return re.sub(r"(.)\1+", r"\1", word)


def lowercase_words(source: str) -> set[str]:
    """The words the English source writes in lower case (ordinary words, not names)."""
    return {match.group(0) for match in LATIN_NAME.finditer(normalise_width(source)) if match.group(0)[0].islower()}


def _is_ordinary(word: str, lowercase: set[str]) -> bool:
    word = word.lower()
    return word in lowercase or f"{word}s" in lowercase or (word.endswith("s") and word[:-1] in lowercase)


def _first_letter_folded(spelling: str) -> str:
    return spelling[0].lower() + spelling[1:]


def _occurrences(note: NoteText):
    """Latin names and katakana runs of every Japanese text, with where they are."""
    latin: dict[str, list] = defaultdict(list)
    katakana: dict[str, list] = defaultdict(list)
    for field_name, qa, text in note.texts():
        plain = normalise_width(without_urls(text))
        for match in LATIN_NAME.finditer(plain):
            latin[match.group(0)].append((field_name, qa, plain, match))
        for match in KATAKANA_RUN.finditer(plain):
            katakana[match.group(0)].append((field_name, qa, plain, match))
    return latin, katakana


def _merge_first_letter_case(places: dict[str, list]) -> dict[str, list]:
    """Spellings that differ only in their first letter's case as one (the most used),
    with their places pooled."""
    merged: dict[str, list] = {}
    representative: dict[str, str] = {}
    for spelling in sorted(places, key=lambda s: -len(places[s])):
        key = _first_letter_folded(spelling)
        if key in representative:
            merged[representative[key]] += places[spelling]
        else:
            representative[key] = spelling
            merged[spelling] = list(places[spelling])
    return merged


@check("name_variants", severity=Severity.WARNING, label="同じ名前の表記ゆれ")
def name_variants(note: NoteText):
    """The same name in different letter case, or in both Latin script and katakana."""
    latin, katakana = _occurrences(note)
    has_source = bool(note.source_text.strip())
    lowercase = lowercase_words(note.source_text) if has_source else set()

    by_lower: dict[str, list[str]] = defaultdict(list)
    for spelling in latin:
        by_lower[spelling.lower()].append(spelling)
    for lower, spellings in by_lower.items():
        if len(spellings) < 2 or len(spellings[0]) < 3:
            continue
        places = {spelling: latin[spelling] for spelling in spellings}
        if not has_source or _is_ordinary(lower, lowercase):
            # "Sparse" and "sparse" are one spelling of a word; "SPARSE" would still be another.
            places = _merge_first_letter_case(places)
        # Report where the less used spellings occur.
        ranked = sorted(places, key=lambda s: -len(places[s]))
        for odd in ranked[1:]:
            field_name, qa, plain, match = places[odd][0]
            yield finding(
                "name_variants",
                field_name=field_name,
                qa=qa,
                message=_("「{odd}」と「{main}」の表記が混在しています。").format(odd=odd, main=ranked[0]),
                excerpt=excerpt_around(plain, match.start(), match.end()),
            )

    names = {}
    for spelling in latin:
        parts = [part for part in spelling.split("-") if part]
        for part in parts:
            # Names: capitalised, not an acronym (acronyms have no katakana form to confuse).
            if (
                len(part) >= 4
                and part[0].isupper()
                and not part.isupper()
                and part.lower() not in COMMON
                and not _is_ordinary(part, lowercase)
            ):
                names.setdefault(part, skeleton(part))
    for run, places in katakana.items():
        for piece in re.split(r"・", run):
            key = skeleton(romanise(piece))
            if len(key) < 3:
                continue
            for name, name_key in names.items():
                if name_key == key:
                    field_name, qa, plain, match = places[0]
                    yield finding(
                        "name_variants",
                        field_name=field_name,
                        qa=qa,
                        message=_("「{name}」がカタカナで「{run}」とも書かれています。").format(name=name, run=piece),
                        excerpt=excerpt_around(plain, match.start(), match.end()),
                    )
                    break
