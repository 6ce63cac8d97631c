"""Markdown → sanitised HTML, for everything the LLM or an editor wrote.

Markdown is converted with python-markdown (the same library django-markdownx uses for
its preview), then cleaned with nh3 so that no script, style or event handler written in
a text field can reach a reader's browser.
"""

import re
from functools import lru_cache
from html import escape, unescape

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


# --- reader pages: phrases for Japanese line breaking ------------------------------------

_TAG = re.compile(r"(<[^>]+>)")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@lru_cache(maxsize=1)
def _phrase_parser():
    import budoux

    return budoux.load_default_japanese_parser()


def _wbr_between_phrases(html: str) -> str:
    """Mark BudouX phrase boundaries in the text of sanitised HTML with ``<wbr>``.

    Browsers without ``word-break: auto-phrase`` then break Japanese lines between
    phrases, not inside words (with ``word-break: keep-all`` in the CSS). Text is unescaped
    before and escaped after, so an entity is never split.
    """
    parser = _phrase_parser()
    out = []
    for part in _TAG.split(html):
        if not part or part.startswith("<") or not _JAPANESE.search(part):
            out.append(part)
            continue
        out.append("<wbr>".join(escape(chunk) for chunk in parser.parse(unescape(part))))
    return "".join(out)


def render_reader_markdown(text: str) -> SafeString:
    """Markdown for reader pages: sanitised HTML with phrase breaks in Japanese text."""
    return mark_safe(_render_reader(text or "", tuple(settings.MARKDOWNX_MARKDOWN_EXTENSIONS)))


@lru_cache(maxsize=8192)
def _render_reader(text: str, extensions: tuple[str, ...]) -> str:
    return _wbr_between_phrases(_render(text, extensions))


def phrase_breaks(text: str) -> SafeString:
    """Plain text (a one-line summary, an intro) as HTML with phrase breaks."""
    return mark_safe(_wbr_between_phrases(escape(text or "")))


# A URL in Japanese text ends where its ASCII characters end: Japanese prose puts no space
# after it (Django's urlize takes the whole run for one word and links 「ここでは、https://…」),
# and the blog glues some URLs together ("https://www.chatpdf.com/https://scispace.com/").
_URL_RE = re.compile(r"https?://(?:(?!https?://)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%])+")
_URL_TRAILING = ".,;:!?'"


def linkify(text: str) -> SafeString:
    """Plain text as HTML: its http(s) URLs as links, the rest escaped with phrase breaks."""
    out, at = [], 0
    for match in _URL_RE.finditer(text or ""):
        url = match.group().rstrip(_URL_TRAILING)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]  # "(https://example.org)" closes outside the URL
        out.append(phrase_breaks(text[at : match.start()]))
        out.append(f'<a href="{escape(url)}" rel="nofollow">{escape(url)}</a>')
        at = match.start() + len(url)
    out.append(phrase_breaks((text or "")[at:]))
    return mark_safe("".join(out))
