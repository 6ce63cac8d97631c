"""The chief editors' screen of edit analytics: how much the machine's drafts were changed
before publication, per prompt version × model × field and per week (``editorial/analytics.py``).

Read only; chief editors only (``editorial.publish_issue``). Reached from the dashboard, at
``/admin/analytics/edits/`` (``?since=2024-04-29`` for the weeks from then on).
"""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from editorial.analytics import REWRITE_THRESHOLD, edit_analytics
from editorial.roles import PUBLISH_ISSUE


def may_see_edit_analytics(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PUBLISH_ISSUE))


def edit_analytics_view(request):
    if not may_see_edit_analytics(request.user):
        raise PermissionDenied(_("編集の分析は編集長だけが見られます。"))
    since_text = request.GET.get("since", "").strip()
    since, error = None, ""
    if since_text:
        try:
            since = datetime.date.fromisoformat(since_text)
        except ValueError:
            error = _("週の指定は YYYY-MM-DD 形式の日付にしてください: {value}").format(value=since_text)
    analytics = edit_analytics(since=since)
    context = {
        **admin.site.each_context(request),
        "title": _("編集の分析(プロンプトの版ごと)"),
        "analytics": analytics,
        "since": since_text,
        "error": error,
        "threshold": REWRITE_THRESHOLD,
    }
    return TemplateResponse(request, "admin/editorial/edit_analytics.html", context)
