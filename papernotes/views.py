"""Reader-facing pages: the archive of published issues, one issue, its text version.

Only published issues are ever shown (see ``papernotes.selectors``); any other week,
including one whose issue is still a draft, is a plain 404.
"""

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from papernotes import selectors
from papernotes.models import WeeklyIssue
from papernotes.textformat import render_issue

# Short, so a correction after publication reaches readers within minutes; the ETag
# lets browsers and proxies revalidate cheaply after that.
CACHE_MAX_AGE = 300


def _week_start(week: str) -> datetime.date:
    """The Monday named by the URL; anything else (2024-02-30, a Tuesday) is a 404."""
    try:
        day = datetime.date.fromisoformat(week)
    except ValueError as error:
        raise Http404(_("その日付の週刊号はありません。")) from error
    if day.isoweekday() != 1:
        raise Http404(_("週刊号の URL には週の開始日(月曜日)を指定してください。"))
    return day


def _published_issue(week: str) -> WeeklyIssue:
    try:
        return selectors.get_published_issue(week_start=_week_start(week))
    except WeeklyIssue.DoesNotExist as error:
        raise Http404(_("その週の週刊号は公開されていません。")) from error


def _cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Mark a page publicly cacheable for a short time, with an ETag of its bytes.

    The ETag is computed from the rendered content rather than from ``updated_at``:
    Q&A rows carry no timestamp and editing a note does not touch its issue's row, so a
    timestamp-based validator would answer 304 with a stale page after a correction.
    """
    set_response_etag(response)
    patch_cache_control(response, public=True, max_age=CACHE_MAX_AGE)
    return get_conditional_response(request, etag=response.get("ETag"), response=response)


@require_safe
def issue_list(request: HttpRequest) -> HttpResponse:
    """The archive: every published issue, newest first."""
    issues = selectors.published_issues()
    return _cacheable(request, render(request, "papernotes/issue_list.html", {"issues": issues}))


@require_safe
def issue_detail(request: HttpRequest, week: str) -> HttpResponse:
    """One issue: intro, table of contents, then each paper's metadata, 概要 and Q&A."""
    issue = _published_issue(week)
    context = {"issue": issue, "notes": issue.notes.all()}
    return _cacheable(request, render(request, "papernotes/issue_detail.html", context))


@require_safe
def issue_text(request: HttpRequest, week: str) -> HttpResponse:
    """The issue in the blog's text format, for cross-posting."""
    issue = _published_issue(week)
    response = HttpResponse(render_issue(issue), content_type="text/plain; charset=utf-8")
    return _cacheable(request, response)
