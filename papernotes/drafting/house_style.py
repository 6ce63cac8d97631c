"""The blog's house style applied to machine drafts (``DRAFTING_HOUSE_STYLE``).

The style itself is defined once, in :mod:`papernotes.house_style`, which the editorial
checks use too: what drafting writes is what the checks expect. The prompts ask for it
(``prompts/house_style_blog.md``); this pass makes it so whatever the model wrote.
"""

from django.conf import settings

from papernotes.house_style import apply_blog_style


def apply(text: str) -> str:
    """``text`` in the configured house style ("blog" by default; "none" leaves it alone),
    on one line unless it has paragraphs."""
    text = text.strip()
    text = " ".join(text.split()) if "\n" not in text else text
    if settings.DRAFTING_HOUSE_STYLE != "blog":
        return text
    return apply_blog_style(text)
