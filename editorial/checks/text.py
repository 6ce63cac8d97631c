"""Checks of each text on its own: debris, English left over, cut-off sentences,
brackets and quotes, empty fields. House style and register are in :mod:`.style`."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .base import FIELD_LABELS, NoteText, Severity, check, excerpt_around, finding, without_urls

# -- leftover HTML, markup or scraping debris ------------------------------------------

DEBRIS = [
    (re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"), _lazy("HTML タグ")),
    # Attributes the blog's editor left behind, often with curly quotes: rel=”nofollow”.
    (
        re.compile(r"\b(?:rel|href|src|class|style|target|title|alt|id)\s*[=＝]\s*[\"“”'‘’″＂]", re.IGNORECASE),
        _lazy("HTML の属性"),
    ),
    (re.compile(r"[\"“”″＂][ \t]*/?>"), _lazy("HTML タグの閉じ")),  # …:.”>https://…, a tag's end
    (re.compile(r"&(?:[a-z]{2,8}|#\d{2,5}|#x[0-9a-f]{2,4});", re.IGNORECASE), _lazy("HTML の文字参照")),
    (
        re.compile(r"\\(?:cite|ref|textbf|emph|mathbf|mathrm|frac|begin|end|section|footnote)\b"),
        _lazy("LaTeX のコマンド"),
    ),
    (re.compile(r"```|\[\d+(?:[,–-]\s*\d+)*\]"), _lazy("コードブロックや引用番号")),
    (re.compile(r"\ufffd|[\u200b\u200c\u200d\u2060\ufeff]|[\x00-\x08\x0b\x0c\x0e-\x1f]"), _lazy("文字化けや制御文字")),
    (re.compile(r"(?m)^\s*(?:Q|A|概要|要約|Answer|Question)\s*[:\uff1a]"), _lazy("貼り付けの名残(見出し)")),
    (re.compile(r"\\n|\\t"), _lazy("エスケープされた改行")),
    (re.compile(r"[:\uff1a]\s*\.(?=\s|$|[”\"])"), _lazy("リンクの抜けた跡")),
]


@check("debris", severity=Severity.BLOCKING, label="HTML・マークアップ・取り込みの残骸")
def debris(note: NoteText):
    """Leftover HTML, entities, LaTeX, citation markers, mojibake, pasted labels."""
    for field_name, qa, text in note.texts():
        for pattern, kind in DEBRIS:
            match = pattern.search(text)
            if match:
                yield finding(
                    "debris",
                    field_name=field_name,
                    qa=qa,
                    message=_("{kind}が残っています。").format(kind=str(kind)),
                    excerpt=excerpt_around(text, match.start(), match.end()),
                )


# -- English left untranslated ---------------------------------------------------------

STOPWORDS = {
    "the", "a", "an", "of", "to", "in", "and", "or", "is", "are", "was", "were", "be", "we", "our", "this",
    "that", "these", "with", "for", "on", "by", "as", "it", "its", "from", "which", "can", "has", "have",
}  # fmt: skip
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*(?:[ ,;:]+[A-Za-z0-9][A-Za-z0-9'’\-]*){5,}[.!?]?")


@check("untranslated", severity=Severity.BLOCKING, label="訳されていない英文")
def untranslated(note: NoteText):
    """A run of six or more English words with function words: a sentence left in English.

    Runs that are part of the paper's English title (quoted titles) are fine.
    """
    title = " ".join(note.title_en.lower().split())
    for field_name, qa, text in note.texts():
        plain = without_urls(text)
        for match in LATIN_RUN.finditer(plain):
            run = match.group(0)
            words = re.findall(r"[A-Za-z'’]+", run.lower())
            if sum(word in STOPWORDS for word in words) < 2:
                continue
            if title and " ".join(run.lower().rstrip(".!?").split()) in title:
                continue
            yield finding(
                "untranslated",
                field_name=field_name,
                qa=qa,
                message=_("英語の文が訳されずに残っています。"),
                excerpt=excerpt_around(plain, match.start(), match.end(), context=0),
            )
            break


# -- a sentence cut off ----------------------------------------------------------------

SENTENCE_END = set(".。?？!！")
CLOSERS = set(")\uff09」』】”\"’'")
URL_AT_END = re.compile(r"https?://\S+$")
DANGLING = re.compile(r"(?:、|,|は|が|を|に|と|も|や|および|しかし)\s*[.。]$")


@check("truncated", severity=Severity.BLOCKING, label="途中で切れた文")
def truncated(note: NoteText):
    """A text that stops mid-sentence: no final punctuation, a trailing ellipsis or a particle."""
    for field_name, qa, text in note.texts():
        stripped = text.rstrip()
        if not stripped or URL_AT_END.search(stripped):
            continue  # empty is reported as such; a text may end with a link
        core = stripped.rstrip("".join(CLOSERS)) or stripped
        cut = core.endswith(("...", "…", "‥")) or core[-1] not in SENTENCE_END or bool(DANGLING.search(core))
        if cut:
            yield finding(
                "truncated",
                field_name=field_name,
                qa=qa,
                message=_("文が途中で切れているようです(文末が「{end}」)。").format(end=stripped[-8:]),
                excerpt=excerpt_around(stripped, len(stripped) - 1, len(stripped), context=24),
            )


# -- brackets and quotes ---------------------------------------------------------------

PAIRS = {
    "(": ")",
    "\uff08": "\uff09",  # full-width ( )
    "「": "」",
    "『": "』",
    "【": "】",
    "[": "]",
    "\uff3b": "\uff3d",  # full-width [ ]
    "“": "”",
    "《": "》",
    "〈": "〉",
}
CLOSING = {closer: opener for opener, closer in PAIRS.items()}
# Written the same at both ends in these texts (”重み” is common): they must come in pairs.
SYMMETRIC = ('"', "”")


def _unbalanced(text: str) -> tuple[int, str] | None:
    """Position and character of the first bracket without its partner, or None."""
    stack: list[tuple[int, str]] = []
    for index, char in enumerate(text):
        if char in PAIRS:
            stack.append((index, char))
        elif char in CLOSING:
            if stack and stack[-1][1] == CLOSING[char]:
                stack.pop()
            elif char == "”" and not any(opener == "“" for _i, opener in stack):
                continue  # a ” used as both quotes is counted below
            else:
                return index, char
    if stack:
        return stack[0]
    for quote in SYMMETRIC:
        bare = text.count(quote) - (text.count("“") if quote == "”" else 0)
        if bare % 2:
            return text.rfind(quote), quote
    return None


@check("unbalanced_brackets", severity=Severity.BLOCKING, label="括弧や引用符の対応")
def unbalanced_brackets(note: NoteText):
    """A bracket or quote without its partner: （ without ）, 』 without 『, an odd number of ”."""
    for field_name, qa, text in note.texts():
        plain = without_urls(text)
        found = _unbalanced(plain)
        if found:
            index, char = found
            yield finding(
                "unbalanced_brackets",
                field_name=field_name,
                qa=qa,
                message=_("「{char}」に対応する括弧・引用符がありません。").format(char=char),
                excerpt=excerpt_around(plain, index, index + 1),
            )


# -- empty required fields ------------------------------------------------------------


@check("empty_required", severity=Severity.BLOCKING, label="必須の欄が空")
def empty_required(note: NoteText):
    for field_name, qa, text in note.texts():
        if not text.strip():
            yield finding(
                "empty_required",
                field_name=field_name,
                qa=qa,
                message=_("{label}が空です。").format(label=FIELD_LABELS[field_name]),
            )
