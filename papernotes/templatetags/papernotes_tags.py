"""Template filters for the reader pages: safe Markdown, Japanese dates, arXiv links."""

import datetime
import re

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from papernotes.categories import ShownCategory, note_categories
from papernotes.markdown import linkify, phrase_breaks, render_reader_markdown
from papernotes.reading import note_characters, reading_minutes

register = template.Library()

_ARXIV_HTTP = re.compile(r"^http://(export\.|www\.)?arxiv\.org/", re.IGNORECASE)


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """A short text's Markdown as sanitised HTML, broken between phrases (``{{ qa.question|markdown }}``)."""
    return render_reader_markdown(text or "")


_BLOCK_TAG = re.compile(r"<(?:p|ul|ol|li|dl|dt|dd|blockquote|pre|table|h[1-6]|hr|div)\b")


@register.filter
def markdown_inline(text: str | None) -> SafeString:
    """``markdown`` without the paragraph around a one-paragraph text, for phrasing content
    such as a question inside ``<summary>``."""
    html = str(render_reader_markdown(text or ""))
    inner = html.removeprefix("<p>").removesuffix("</p>")
    if html.startswith("<p>") and html.endswith("</p>") and not _BLOCK_TAG.search(inner):
        return mark_safe(inner)
    return mark_safe(html)


@register.filter
def prose(text: str | None) -> SafeString:
    """Body text's Markdown as sanitised HTML, broken like print (``{{ qa.answer|prose }}``)."""
    return render_reader_markdown(text or "", phrases=False)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@register.filter
def keep_dates(text) -> SafeString:
    """``text`` escaped, its ISO dates unbreakable: browsers may break a line after a hyphen,
    and 「2024-05-」 / 「05】」 on two lines of a phone screen reads as two things."""
    return mark_safe(ISO_DATE.sub(lambda m: f'<span class="nowrap">{m.group()}</span>', escape(text)))


@register.filter(name="linkify")
def linkify_filter(text: str | None) -> SafeString:
    """Plain body text with its URLs as links, for Japanese text (``{{ issue.intro|linkify }}``)."""
    return linkify(text or "", phrases=False)


@register.filter
def minutes_to_read(note) -> int:
    """Whole minutes to read a note (``READING_RATE`` characters a minute)."""
    return reading_minutes(note_characters(note))


@register.filter
def phrases(text: str | None) -> SafeString:
    """Plain Japanese text, escaped, with line-break opportunities between phrases."""
    return phrase_breaks(text or "")


@register.filter
def ja_date(value: datetime.date | datetime.datetime | None) -> str:
    """``2024-05-02`` → ``2024年5月2日``, as Japanese text writes dates (no zero padding).

    A datetime is shown in the site's time zone (Japan time).
    """
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def ja_month(value: datetime.date | None) -> str:
    """``2024-05-02`` → ``2024年5月``."""
    return f"{value.year}年{value.month}月" if value else ""


@register.filter
def https(url: str | None) -> str:
    """arXiv links over https (stored metadata keeps arXiv's own http URLs, byte for byte)."""
    return _ARXIV_HTTP.sub("https://arxiv.org/", url or "")


@register.filter
def categories(note) -> list[ShownCategory]:
    """The categories a note shows, each with its arXiv code."""
    return note_categories(note)
