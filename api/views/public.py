"""Public, read-only endpoints: published issues, their approved notes, papers.

Everything comes from ``papernotes.selectors``. They are served like the reader pages
(``papernotes.caching``): rendered once per change of what they show, revalidated with
ETags from the same stamps, compressed, with no cookies and no per-user variation. They
read no credentials; renders are throttled per client address (``api.throttling``).
"""

import datetime
import re

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.filters import NoteFilter
from api.pagination import NoteSearchPagination
from api.serializers import (
    ErrorSerializer,
    IssueDetailSerializer,
    IssueSummarySerializer,
    NoteSerializer,
    PaperSerializer,
)
from api.throttling import SearchThrottle, public_read_gate
from papernotes import selectors, stamps
from papernotes.caching import cached_public_page
from papernotes.models import WeeklyIssue
from papernotes.search.query import parse_query
from papernotes.search.service import page_of_matches


class PublicView:
    """Open to anyone, reading no credentials (so no session and no ``Vary: Cookie``);
    throttling is the cache's gate (``public_read``), which runs before every render."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


# Like the reader pages' URL converters: anything else names nothing that can be cached.
_WEEK = re.compile(r"\d{4}-\d{2}-\d{2}")
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}")


def _issue_keys(week: str):
    return (stamps.issue_key(week),) if _WEEK.fullmatch(week) else None


def _paper_keys(arxiv_id: str):
    return (stamps.paper_key(arxiv_id),) if _ARXIV_ID.fullmatch(arxiv_id) else None


def public_read(view_class, *, keys, params: tuple[str, ...] = ()):
    """The view function of a public endpoint: cached and throttled like the reader pages."""
    return cached_public_page(keys=keys, params=params, gate=public_read_gate)(view_class.as_view())


@extend_schema(
    summary="公開済みの週刊号の一覧(新しい順)",
    responses={200: IssueSummarySerializer(many=True), 404: ErrorSerializer},
)
class IssueListView(PublicView, generics.ListAPIView):
    serializer_class = IssueSummarySerializer

    def get_queryset(self):
        return selectors.public_issue_list()


@extend_schema(
    summary="公開済みの週刊号(承認済みの論文ノートと Q&A を含む)",
    parameters=[OpenApiParameter("week", OpenApiTypes.DATE, OpenApiParameter.PATH, description="週の開始日(月曜日)")],
    responses={200: IssueDetailSerializer, 404: ErrorSerializer},
)
class IssueDetailView(PublicView, generics.RetrieveAPIView):
    serializer_class = IssueDetailSerializer

    def get_object(self) -> WeeklyIssue:
        try:
            week = datetime.date.fromisoformat(self.kwargs["week"])
            return selectors.get_public_issue(week_start=week)
        except (ValueError, WeeklyIssue.DoesNotExist) as error:
            raise Http404 from error


@extend_schema(
    summary="公開済みの論文ノート(週・カテゴリ・arXiv ID・発行日・全文検索で絞り込み)",
    responses={
        200: NoteSerializer(many=True),
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="絞り込みの値が正しくありません(項目ごとの理由)"),
        404: ErrorSerializer,
        429: OpenApiResponse(ErrorSerializer, description="検索(q)が多すぎます。Retry-After 秒後に再試行してください"),
    },
)
class NoteListView(PublicView, generics.ListAPIView):
    serializer_class = NoteSerializer
    # A render with ``q`` also spends the client's search budget (shared with /search/).
    throttle_classes = [SearchThrottle]
    filterset_class = NoteFilter
    pagination_class = NoteSearchPagination
    key_params = ("page", "page_size", *NoteFilter.base_filters)

    def get_queryset(self):
        return selectors.public_notes_loaded()

    # Dates must be dates: an empty ``week=`` is not "any week".
    date_filters = ("week", "published_after", "published_before")

    def list(self, request, *args, **kwargs):
        empty = [name for name in self.date_filters if name in request.query_params and not request.query_params[name]]
        if empty:
            raise ValidationError({name: [_("日付を YYYY-MM-DD の形で指定してください。")] for name in empty})
        self.paginator.get_page_size(request)  # a bad page_size is a 400, with or without q
        self.filter_queryset(self.get_queryset())  # checks every filter, q included (a 400)
        text = request.query_params.get("q", "").strip()
        if not text:
            return super().list(request, *args, **kwargs)
        return self._search(request, parse_query(text))

    def _search(self, request, query):
        """``q``: the search page's matching (:func:`page_of_matches`), within the other
        filters; ``count`` is exact up to SEARCH_COUNT_LIMIT, else SEARCH_COUNT_LIMIT with ``count_is_capped``."""
        params = request.query_params.copy()
        params.pop("q")
        notes = NoteFilter(params, queryset=selectors.public_notes(), request=request).qs
        size = self.paginator.get_page_size(request)
        try:
            number = int(request.query_params.get("page") or 1)
        except ValueError:
            number = 0
        if number < 1:
            raise NotFound(self.paginator.invalid_page_message.format(page_number=number, message=""))
        page = page_of_matches(
            query,
            notes=notes,
            limit=size,
            offset=(number - 1) * size,
            version=getattr(request, "public_version", None),
        )
        if number > 1 and not page.ids:
            raise NotFound(self.paginator.invalid_page_message.format(page_number=number, message=""))
        loaded = {note.id: note for note in selectors.public_notes_loaded().filter(id__in=page.ids)}
        url = request.build_absolute_uri()
        return Response(
            {
                "count": page.total,
                "count_is_capped": page.total_is_capped,
                "next": replace_query_param(url, "page", number + 1) if page.has_next else None,
                "previous": (
                    remove_query_param(url, "page") if number == 2 else replace_query_param(url, "page", number - 1)
                )
                if number > 1
                else None,
                "results": self.get_serializer([loaded[i] for i in page.ids if i in loaded], many=True).data,
            }
        )


class _PaperRead(PublicView, generics.GenericAPIView):
    serializer_class = PaperSerializer

    def get(self, request, arxiv_id: str):
        notes = selectors.public_notes_of_paper(arxiv_id=arxiv_id)
        if not notes:
            raise Http404
        data = {
            "arxiv_id": arxiv_id,
            "title": notes[0].paper_as_shown.title,
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "url": reverse("papernotes:paper_detail", kwargs={"arxiv_id": arxiv_id}),
            "notes": notes,
        }
        return Response(PaperSerializer(data, context={"request": request}).data)


@extend_schema(
    summary="論文と、それを取り上げた公開済みの論文ノート(新しい号から)",
    parameters=[
        OpenApiParameter(
            "arxiv_id",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description="arXiv ID(版番号なし)",
            pattern=f"^(?:{_ARXIV_ID.pattern})$",
        )
    ],
    responses={200: PaperSerializer, 404: ErrorSerializer},
)
class PaperDetailView(_PaperRead):
    pass


issue_list = public_read(IssueListView, keys=lambda: (stamps.ARCHIVE,), params=("page", "page_size"))
issue_detail = public_read(IssueDetailView, keys=_issue_keys)
note_list = public_read(NoteListView, keys=lambda: (stamps.NOTES, stamps.CATEGORIES), params=NoteListView.key_params)
paper_detail = public_read(PaperDetailView, keys=_paper_keys)
