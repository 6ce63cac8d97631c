"""Template helpers of the editors' screens: the dashboard on the admin index."""

from django import template

register = template.Library()


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    from editorial.dashboard import dashboard_for

    return {"dashboard": dashboard_for(user=context["request"].user), "request": context["request"]}
