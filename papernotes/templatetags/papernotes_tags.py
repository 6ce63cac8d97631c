"""Template filters for the reader pages: safe Markdown and Japanese dates."""

import datetime

from django import template
from django.utils.safestring import SafeString

from papernotes.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown as sanitised HTML (``{{ note.abstract_ja|markdown }}``)."""
    return render_markdown(text or "")


@register.filter
def ja_date(value: datetime.date | None) -> str:
    """``2024-05-02`` → ``2024年05月02日``, zero-padded as in the published issues."""
    if not value:
        return ""
    return f"{value.year:04d}年{value.month:02d}月{value.day:02d}日"
