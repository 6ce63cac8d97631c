"""Markdown → sanitised HTML, for everything the LLM or an editor wrote.

Markdown is converted with python-markdown (the same library django-markdownx uses for
its preview), then cleaned with nh3 so that no script, style or event handler written in
a text field can reach a reader's browser.
"""

from functools import lru_cache

import markdown as md
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> SafeString:
    """Render ``text`` as Markdown and return HTML that is safe to embed."""
    return mark_safe(_render(text or "", tuple(settings.MARKDOWNX_MARKDOWN_EXTENSIONS)))


@lru_cache(maxsize=8192)
def _render(text: str, extensions: tuple[str, ...]) -> str:
    # A pure function of its arguments, and pages are read far more often than texts
    # change: an edited text is simply a new key.
    return sanitise_html(md.markdown(text, extensions=list(extensions)))
