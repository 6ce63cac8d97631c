"""Template helpers of the editors' screens: the dashboard on the admin index, titles, lookups."""

from django import template

from editorial.dashboard import dashboard_for
from editorial.roles import PUBLISH_ISSUE
from papernotes.templatetags.papernotes_tags import keep_dates

register = template.Library()


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    user = context["request"].user
    return {
        "dashboard": dashboard_for(user=user),
        "request": context["request"],
        # The edit analytics are the chief editors' (editorial/admin/analytics.py checks the same).
        "may_see_edit_analytics": user.is_active and user.has_perm(PUBLISH_ISSUE),
    }


# Titles carry ISO dates on the editors' screens too (the reader pages' filter).
register.filter("keep_dates", keep_dates)


@register.filter
def item(mapping, key):
    """``mapping[key]``, or an empty list: a Q&A row's evidence or findings by its id."""
    return mapping.get(key, []) if mapping and key is not None else []
