"""Template helpers of the editors' screens: diffs, findings by field, the dashboard."""

from django import template

from editorial.diffs import diff_html

register = template.Library()


@register.filter
def diff_against(current: str, machine_draft: str):
    """``{{ current|diff_against:machine_draft }}``: what the editor changed in the machine draft."""
    return diff_html(machine_draft, current)


@register.filter
def findings_of(findings, key: str):
    """Findings for one field: ``findings|findings_of:"abstract_ja"`` or ``"qa:3:answer"``."""
    return [finding for finding in findings or () if finding.slot == key]


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    from editorial.dashboard import dashboard_for

    return {"dashboard": dashboard_for(user=context["request"].user), "request": context["request"]}
