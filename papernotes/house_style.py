"""The blog's house style: one definition, applied by drafting and pointed out by the checks.

最新論文ノート writes Japanese with ASCII punctuation where the published issues do (counted
in ``sample_data/weekly-issue-2024-04-29.txt``: 467 "." and no "。", 19 "%" and no "％",
ASCII "?" ":" "(" ")" and digits, never their full-width forms) and keeps the Japanese
marks it does use: 「、」 (964 times, never a full-width "，"), 「・」, 「」 and 『』.
:data:`CHARACTER_RULES` says which character becomes which; drafting applies them to every
machine text (:func:`apply_blog_style`), and the 注意 check ``house_style`` points out the
same characters in any text, with the same messages.

The register is part of the voice: 概要 and answers are written in です・ます (78:1 and 263:18
sentence endings in that issue), the one-line summary in である (14:2).
:func:`sentence_registers` tells each sentence's register; the check ``register`` uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CharacterRule:
    """Characters the blog does not write, what it writes instead, and what an editor is told."""

    characters: str
    replacements: str
    message: str

    def __post_init__(self) -> None:
        assert len(self.characters) == len(self.replacements), self.characters


_FULL_WIDTH_DIGITS = "".join(chr(0xFF10 + n) for n in range(10))
_FULL_WIDTH_LETTERS = "".join(chr(0xFF21 + n) for n in range(26)) + "".join(chr(0xFF41 + n) for n in range(26))
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_FULL_WIDTH_SYMBOLS = "＆＋－／＝＜＞［］～＂＇；＿＠＃＄＊｜"
_SYMBOLS = "&+-/=<>[]~\"';_@#$*|"

CHARACTER_RULES: tuple[CharacterRule, ...] = (
    CharacterRule("。．", "..", "文末は「.」で書きます(「。」ではなく)。"),
    CharacterRule("？", "?", "疑問符は半角の「?」で書きます。"),
    CharacterRule("！", "!", "感嘆符は半角の「!」で書きます。"),
    CharacterRule("（）", "()", "丸括弧は半角の「()」で書きます。"),
    CharacterRule("：", ":", "コロンは半角の「:」で書きます。"),
    CharacterRule("％", "%", "パーセントは半角の「%」で書きます。"),
    CharacterRule("，", "、", "読点は「、」で書きます(全角のカンマ「，」ではなく)。"),
    CharacterRule(_FULL_WIDTH_DIGITS, "0123456789", "数字は半角で書きます。"),
    CharacterRule(_FULL_WIDTH_LETTERS, _LETTERS, "英字は半角で書きます。"),
    CharacterRule(_FULL_WIDTH_SYMBOLS, _SYMBOLS, "記号は半角で書きます。"),
    CharacterRule("\u3000", " ", "全角の空白は使いません。"),
)

_TABLE = str.maketrans(
    {
        char: replacement
        for rule in CHARACTER_RULES
        for char, replacement in zip(rule.characters, rule.replacements, strict=True)
    }
)


def apply_blog_style(text: str) -> str:
    """``text`` with every character the blog does not write replaced by the one it does.

    URLs, numbers and Latin text are untouched: a full-width character never occurs in them.
    """
    return text.translate(_TABLE)


def style_problems(text: str) -> Iterator[tuple[int, str]]:
    """(position of the first offending character, message) for each rule ``text`` breaks."""
    for rule in CHARACTER_RULES:
        positions = [text.find(char) for char in rule.characters if char in text]
        if positions:
            yield min(positions), rule.message


# -- register ---------------------------------------------------------------------------------

POLITE, PLAIN = "polite", "plain"
REGISTER_LABELS = {POLITE: "です・ます調", PLAIN: "である調"}
# The register each field is written in.
FIELD_REGISTERS = {"abstract_ja": POLITE, "answer": POLITE, "summary": PLAIN}

# A sentence ends at "." or "。" after Japanese text or a closing bracket (not inside "0.897"
# or "Prometheus 2."), or at the end of the text.
_SENTENCE_END_RE = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e)）」』])[.。](?!\d)")
_POLITE_END_RE = re.compile(
    r"(?:です|ます|ました|ません|でした|でしょう|ましょう|ください|ませんでした|ございます)(?:か|ね|よ|が)?$"
)
# Plain endings: verbs and adjectives in their dictionary or past forms, である, だ. A sentence
# ending in a noun (体言止め) or a bracket belongs to neither.
_PLAIN_END_RE = re.compile(r"(?:である|であった|だ|だった|[うくぐすつぬぶむるただいない]|ず)$")


def sentences(text: str) -> list[str]:
    """The finished sentences of a Japanese text, without their final full stop (a piece cut
    off after the last one is no sentence: the check of cut-off texts points it out)."""
    pieces = _SENTENCE_END_RE.split(text.strip())
    return [piece.strip() for piece in pieces[:-1] if piece.strip()]


def register_of(sentence: str) -> str | None:
    """POLITE, PLAIN or None (a noun ending, a question, a fragment)."""
    end = sentence.rstrip(' )）」』"”')
    if _POLITE_END_RE.search(end):
        return POLITE
    if end.endswith(("か", "?", "？")):
        return None
    if _PLAIN_END_RE.search(end):
        return PLAIN
    return None


def sentence_registers(text: str) -> list[tuple[str, str]]:
    """(sentence, register) for each sentence whose register can be told."""
    found = []
    for sentence in sentences(text):
        register = register_of(sentence)
        if register is not None:
            found.append((sentence, register))
    return found
