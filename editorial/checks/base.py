"""What every check takes and returns.

A check is a pure function ``(NoteText) -> Iterable[Finding]``: no database, no clock,
so it is easy to test with sentences written for the test and cheap to run on every
save. :func:`editorial.checks.services.note_text_from_note` builds the input from the
database.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from editorial.choices import Severity

# The Japanese fields a note has, with the labels editors see.
NOTE_FIELDS = ("summary", "abstract_ja")
QA_FIELDS = ("question", "answer")
FIELD_LABELS = {"summary": "一行要約", "abstract_ja": "概要", "question": "質問", "answer": "回答", "": "ノート全体"}


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    preferred: str
    forbidden_variants: tuple[str, ...] = ()
    in_source: bool = False  # the term occurs in the English abstract


@dataclass(frozen=True)
class QAText:
    position: int
    question: str
    answer: str
    qa_id: int | None = None


@dataclass(frozen=True)
class NoteText:
    """Everything the checks read about one note."""

    title_en: str = ""
    abstract_en: str = ""
    # The English text numbers may come from: title, abstract and the paper's passages.
    source_text: str = ""
    summary: str = ""
    abstract_ja: str = ""
    qas: tuple[QAText, ...] = ()
    glossary: tuple[GlossaryTerm, ...] = ()
    qa_count_range: tuple[int, int] = (8, 12)

    def texts(self) -> Iterator[tuple[str, QAText | None, str]]:
        """Every Japanese text as (field, qa or None, text)."""
        for name in NOTE_FIELDS:
            yield name, None, getattr(self, name)
        for qa in self.qas:
            yield "question", qa, qa.question
            yield "answer", qa, qa.answer


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    field: str
    message: str
    excerpt: str = ""
    qa_position: int | None = None
    qa_id: int | None = field(default=None, compare=False)

    def to_json(self, *, arxiv_id: str) -> dict:
        return {
            "arxiv_id": arxiv_id,
            "field": self.field,
            "qa_position": self.qa_position,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "excerpt": self.excerpt,
        }


Check = Callable[[NoteText], Iterable[Finding]]


@dataclass(frozen=True)
class CheckInfo:
    code: str
    severity: str
    label: str
    function: Check


REGISTRY: dict[str, CheckInfo] = {}


def check(code: str, *, severity: str, label: str) -> Callable[[Check], Check]:
    """Register a check function under ``code`` (its findings carry that code)."""

    def register(function: Check) -> Check:
        REGISTRY[code] = CheckInfo(code=code, severity=severity, label=label, function=function)
        return function

    return register


def finding(info_code: str, *, field_name: str, qa: QAText | None, message: str, excerpt: str = "") -> Finding:
    info = REGISTRY[info_code]
    return Finding(
        code=info_code,
        severity=info.severity,
        field=field_name,
        message=message,
        excerpt=excerpt,
        qa_position=qa.position if qa else None,
        qa_id=qa.qa_id if qa else None,
    )


def excerpt_around(text: str, start: int, end: int, *, context: int = 12) -> str:
    """The match with a little context, on one line, marked with ellipses when cut."""
    left = max(0, start - context)
    right = min(len(text), end + context)
    snippet = " ".join(text[left:right].split())
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")


def normalise_width(text: str) -> str:
    """Full-width digits, Latin letters and symbols as half-width (NFKC), for comparison."""
    return unicodedata.normalize("NFKC", text)


URL_RE = re.compile(r"https?://\S+|www\.\S+")


def without_urls(text: str) -> str:
    return URL_RE.sub(" ", text)


__all__ = [
    "FIELD_LABELS",
    "REGISTRY",
    "CheckInfo",
    "Finding",
    "GlossaryTerm",
    "NoteText",
    "QAText",
    "Severity",
    "check",
    "excerpt_around",
    "finding",
    "normalise_width",
    "without_urls",
]
