"""The blog's punctuation, applied to machine drafts (``DRAFTING_HOUSE_STYLE``).

最新論文ノート ends Japanese sentences with "." and writes ASCII ":" "?" "!" "(" ")". The
prompts ask for it; this pass makes it so whatever the model wrote, without touching URLs,
numbers or Latin text (a full-width character never occurs in them).
"""

from django.conf import settings

_BLOG = str.maketrans(
    {
        "。": ".",
        "．": ".",
        "？": "?",
        "！": "!",
        "：": ":",
        "（": "(",
        "）": ")",
        "\u3000": " ",
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
    }
)


def apply_house_style(text: str) -> str:
    """``text`` in the configured house style ("blog" by default; "none" leaves it alone)."""
    text = " ".join(text.split()) if "\n" not in text.strip() else text.strip()
    if settings.DRAFTING_HOUSE_STYLE != "blog":
        return text
    return text.translate(_BLOG)
