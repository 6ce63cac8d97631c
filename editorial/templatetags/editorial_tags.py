"""Template helpers of the editors' screens: the dashboard on the admin index, titles."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    from editorial.dashboard import dashboard_for

    return {"dashboard": dashboard_for(user=context["request"].user), "request": context["request"]}


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@register.filter
def keep_dates(text) -> SafeString:
    """``text`` escaped, its ISO dates unbreakable: browsers may break a line after a hyphen,
    and 「2024-05-」 / 「05】」 on two lines of a phone screen reads as two things."""
    return mark_safe(ISO_DATE.sub(lambda m: f'<span class="nowrap">{m.group()}</span>', escape(text)))
