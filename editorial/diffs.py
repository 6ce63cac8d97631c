"""Character-level differences of Japanese texts, as safe HTML (<ins>/<del>).

Japanese has no spaces between words, so a word diff would mark whole sentences:
characters are compared, and runs are merged so the result stays readable.
"""

from difflib import SequenceMatcher

from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe


def diff_html(old: str, new: str) -> SafeString:
    """``old`` → ``new`` with deletions in <del> and insertions in <ins> (all text escaped)."""
    old, new = old or "", new or ""
    parts = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape(old[old_start:old_end]))
            continue
        if op in ("delete", "replace"):
            parts.append(format_html("<del>{}</del>", old[old_start:old_end]))
        if op in ("insert", "replace"):
            parts.append(format_html("<ins>{}</ins>", new[new_start:new_end]))
    return mark_safe("".join(str(part) for part in parts))


def format_html(template: str, text: str) -> SafeString:
    return format_html_join("", template, [(text,)])
