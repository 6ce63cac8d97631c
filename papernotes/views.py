"""Reader pages: home and archive, issues (HTML, text, Markdown), papers, categories, search, feed.

Everything shown comes from ``papernotes.selectors`` (published issues, approved notes).
Pages are rendered once per version of public content and revalidated without rendering
(``papernotes.caching``). A week without a public issue is a 404; a withdrawn issue is a
410 (it was public once: search engines should drop it).
"""

import datetime
from itertools import groupby

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from papernotes import selectors, stamps
from papernotes.caching import cached_public_page
from papernotes.categories import category_index, category_name, category_reader_name
from papernotes.exports import render_issue_markdown
from papernotes.feeds import IssueFeed
from papernotes.models import WeeklyIssue
from papernotes.reading import READING_RATE, issue_reading_minutes
from papernotes.search.query import InvalidQuery, parse_query
from papernotes.search.service import search_public_notes
from papernotes.search.throttling import search_allowed
from papernotes.textformat import render_issue

ARCHIVE_PAGE_SIZE = 24
LIST_PAGE_SIZE = 20


class IssueWithdrawn(Exception):
    pass


def _week_start(week: str) -> datetime.date:
    """The Monday named by the URL; anything else (2024-02-30, a Tuesday) is a 404."""
    try:
        day = datetime.date.fromisoformat(week)
    except ValueError as error:
        raise Http404(_("その日付の週刊号はありません。")) from error
    if day.isoweekday() != 1:
        raise Http404(_("週刊号の URL には週の開始日(月曜日)を指定してください。"))
    return day


def _public_issue(week: str) -> WeeklyIssue:
    week_start = _week_start(week)
    try:
        return selectors.get_public_issue(week_start=week_start)
    except WeeklyIssue.DoesNotExist as error:
        if selectors.issue_was_withdrawn(week_start=week_start):
            raise IssueWithdrawn from error
        raise Http404(_("その週の週刊号は公開されていません。")) from error


def _withdrawn(request: HttpRequest) -> HttpResponse:
    return render(request, "papernotes/withdrawn.html", status=410)


def _page(request: HttpRequest, items, per_page: int):
    """The requested page of ``items``; a page that does not exist is a 404."""
    try:
        return Paginator(items, per_page).page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404(_("そのページはありません。")) from error


def _reading(notes) -> dict:
    """The time to read a whole issue, and the rate it assumes, for ``_issue_meta.html``."""
    return {"reading_minutes": issue_reading_minutes(notes) if notes else None, "reading_rate": READING_RATE}


def _by_month(issues) -> list[tuple[datetime.date, list[WeeklyIssue]]]:
    return [(month, list(group)) for month, group in groupby(issues, key=lambda issue: issue.week_start.replace(day=1))]


# --- home and issues ---------------------------------------------------------------------


@require_safe
@cached_public_page(keys=lambda: (stamps.ARCHIVE,), params=("page",))
def home(request: HttpRequest) -> HttpResponse:
    """The latest issue with its contents and one-liners, then the archive by month."""
    page = _page(request, selectors.public_issue_archive(), ARCHIVE_PAGE_SIZE)
    latest = selectors.latest_public_issue() if page.number == 1 else None
    latest_notes = list(latest.notes.all()) if latest else []
    context = {
        "latest": latest,
        "latest_notes": latest_notes,
        "page": page,
        "months": _by_month(page.object_list),
        **_reading(latest_notes),
    }
    return render(request, "papernotes/home.html", context)


@require_safe
@cached_public_page(keys=lambda week: (stamps.issue_key(week), stamps.ISSUE_SET))
def issue_detail(request: HttpRequest, week: str) -> HttpResponse:
    """One issue: intro, contents, then each paper's metadata, 概要 and Q&A."""
    try:
        issue = _public_issue(week)
    except IssueWithdrawn:
        return _withdrawn(request)
    notes = list(issue.notes.all())
    context = {
        "issue": issue,
        "notes": notes,
        # each paper with the ones before and after it, for the links between papers
        "papers": list(zip(notes, [None, *notes], [*notes[1:], None], strict=False)),
        "neighbours": selectors.issue_neighbours(issue=issue),
        **_reading(notes),
    }
    return render(request, "papernotes/issue_detail.html", context)


@require_safe
@cached_public_page(keys=lambda week: (stamps.issue_key(week),))
def issue_text(request: HttpRequest, week: str) -> HttpResponse:
    """The issue in the blog's text format, byte for byte, for cross-posting."""
    try:
        issue = _public_issue(week)
    except IssueWithdrawn:
        return _withdrawn(request)
    return HttpResponse(render_issue(issue), content_type="text/plain; charset=utf-8")


@require_safe
@cached_public_page(keys=lambda week: (stamps.issue_key(week),))
def issue_markdown(request: HttpRequest, week: str) -> HttpResponse:
    """The issue as Markdown, for cross-posting."""
    try:
        issue = _public_issue(week)
    except IssueWithdrawn:
        return _withdrawn(request)
    return HttpResponse(render_issue_markdown(issue), content_type="text/markdown; charset=utf-8")


# --- papers and categories -------------------------------------------------------------


@require_safe
@cached_public_page(keys=lambda arxiv_id: (stamps.paper_key(arxiv_id),))
def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """A paper's note (from its latest public issue), with every issue it appeared in."""
    notes = selectors.public_notes_of_paper(arxiv_id=arxiv_id)
    if not notes:
        raise Http404(_("その論文のノートは公開されていません。"))
    return render(request, "papernotes/paper_detail.html", {"note": notes[0], "notes": notes})


@require_safe
@cached_public_page(keys=lambda: (stamps.CATEGORIES,))
def category_list(request: HttpRequest) -> HttpResponse:
    """Every category with public notes, by number of notes."""
    index = category_index(version=request.public_version.stamp)
    categories = sorted(
        ((code, category_reader_name(code) or code, len(ids)) for code, ids in index.items()),
        key=lambda item: (-item[2], item[0]),
    )
    return render(request, "papernotes/category_list.html", {"categories": categories})


@require_safe
@cached_public_page(keys=lambda code: (stamps.CATEGORIES,), params=("page",))
def category_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The public notes of one arXiv category, newest first."""
    name = category_name(code)
    ids = category_index(version=request.public_version.stamp).get(code, [])
    if name is None and not ids:
        raise Http404(_("そのカテゴリはありません。"))
    page = _page(request, ids, LIST_PAGE_SIZE)
    by_id = selectors.public_notes_by_ids(ids=list(page.object_list))
    notes = [by_id[note_id] for note_id in page.object_list if note_id in by_id]
    context = {"code": code, "name": category_reader_name(code) or code, "name_en": name, "page": page, "notes": notes}
    return render(request, "papernotes/category_detail.html", context)


# --- search and feed ----------------------------------------------------------------------


@require_safe
@cached_public_page(params=("q", "page"), store=False)
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over public notes and Q&A, most relevant first, with highlighted snippets.

    A query that cannot be searched is a 400 that shows why; a client searching too often a 429.
    """
    text = request.GET.get("q", "")
    context = {"q": text, "results": None, "error": None}
    if not text.strip():
        return render(request, "papernotes/search.html", context)
    try:
        query = parse_query(text)
    except InvalidQuery as error:
        context["q"] = text.replace("\x00", "")
        context["error"] = str(error)
        return render(request, "papernotes/search.html", context, status=400)
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError as error:
        raise Http404(_("そのページはありません。")) from error
    if number < 1:
        raise Http404(_("そのページはありません。"))
    allowed, wait = search_allowed(request)
    if not allowed:
        message = _("検索が多すぎます。{seconds} 秒ほど待ってから、もう一度お試しください。")
        context["error"] = message.format(seconds=wait)
        response = render(request, "papernotes/search.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    results = search_public_notes(
        query,
        limit=LIST_PAGE_SIZE,
        offset=(number - 1) * LIST_PAGE_SIZE,
        version=getattr(request, "public_version", None),
    )
    if number > 1 and not results.hits:
        raise Http404(_("そのページはありません。"))
    # Above SEARCH_COUNT_LIMIT matches the total is not known: no page count, only a next page.
    pages = None if results.total_is_capped else max(1, -(-results.total // LIST_PAGE_SIZE))
    context.update(
        results=results, number=number, pages=pages, has_next=results.has_next, capped_total=f"{results.total:,}"
    )
    return render(request, "papernotes/search.html", context)


feed = require_safe(cached_public_page(keys=lambda: (stamps.FEED,))(IssueFeed()))
