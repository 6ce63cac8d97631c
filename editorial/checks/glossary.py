"""Glossary: forbidden renderings, and terms of the source rendered otherwise."""

import re

from django.utils.translation import gettext as _

from .base import NoteText, Severity, check, excerpt_around, finding, normalise_width


def _find(haystack: str, needle: str) -> re.Match | None:
    needle = normalise_width(needle).strip()
    if not needle:
        return None
    if needle.isascii():
        # Latin variants are matched as whole words, case-insensitively.
        return re.search(r"(?<![0-9A-Za-z])" + re.escape(needle) + r"(?![0-9A-Za-z])", haystack, re.IGNORECASE)
    return re.search(re.escape(needle), haystack)


@check("glossary_forbidden", severity=Severity.BLOCKING, label="用語集で使わない表記")
def glossary_forbidden(note: NoteText):
    """A variant the glossary forbids, anywhere in the Japanese texts."""
    for field_name, qa, text in note.texts():
        plain = normalise_width(text)
        for term in note.glossary:
            for variant in term.forbidden_variants:
                match = _find(plain, variant)
                # A forbidden variant inside the preferred form ("言語モデル" in "大規模言語モデル") is fine.
                if match and not _inside_preferred(plain, match, term.preferred):
                    yield finding(
                        "glossary_forbidden",
                        field_name=field_name,
                        qa=qa,
                        message=_(
                            "「{variant}」は用語集で使わない表記です。「{term}」は「{preferred}」と書きます。"
                        ).format(variant=variant, term=term.term, preferred=term.preferred),
                        excerpt=excerpt_around(plain, match.start(), match.end()),
                    )


def _inside_preferred(text: str, match: re.Match, preferred: str) -> bool:
    preferred = normalise_width(preferred)
    for found in re.finditer(re.escape(preferred), text):
        if found.start() <= match.start() and match.end() <= found.end():
            return True
    return False


@check("glossary_preferred_missing", severity=Severity.WARNING, label="用語集の推奨訳が使われていない")
def glossary_preferred_missing(note: NoteText):
    """A glossary term of the English abstract whose preferred rendering the Japanese abstract lacks."""
    if not note.abstract_ja.strip():
        return
    plain = normalise_width(note.abstract_ja)
    for term in note.glossary:
        if not term.in_source:
            continue
        if _find(plain, term.preferred):
            continue
        yield finding(
            "glossary_preferred_missing",
            field_name="abstract_ja",
            qa=None,
            message=_("原文の「{term}」の推奨訳「{preferred}」が概要に見当たりません。").format(
                term=term.term, preferred=term.preferred
            ),
            excerpt=term.term,
        )
