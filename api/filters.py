"""Filters of the notes list (django-filter): week, category, arXiv id, 発行日 range, ``q``."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from papernotes import stamps
from papernotes.categories import category_index
from papernotes.ingestion.ids import InvalidArxivId, parse_arxiv_id
from papernotes.search.backends import matched_note_ids_sql
from papernotes.search.query import InvalidQuery, parse_query


class NoteFilter(django_filters.FilterSet):
    week = django_filters.DateFilter(field_name="issue__week_start", label=_("号の週の開始日(月曜日)"))
    category = django_filters.CharFilter(method="filter_category", label=_("arXiv のカテゴリコード(例: cs.LG)"))
    arxiv_id = django_filters.CharFilter(method="filter_arxiv_id", label=_("arXiv ID(例: 2405.01535)"))
    published_after = django_filters.DateFilter(
        field_name="paper__first_published_on", lookup_expr="gte", label=_("発行日がこの日以降")
    )
    published_before = django_filters.DateFilter(
        field_name="paper__first_published_on", lookup_expr="lte", label=_("発行日がこの日以前")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("全文検索(空白区切りの語をすべて含む)"))

    def filter_category(self, queryset, name, value):
        version = stamps.stamp_of((stamps.CATEGORIES,)).token
        return queryset.filter(id__in=category_index(version=version).get(value.strip(), []))

    def filter_arxiv_id(self, queryset, name, value):
        try:
            arxiv_id = parse_arxiv_id(value).arxiv_id
        except InvalidArxivId:
            return queryset.none()
        return queryset.filter(paper__arxiv_id=arxiv_id)

    def filter_q(self, queryset, name, value):
        try:
            query = parse_query(value)
        except InvalidQuery as error:
            raise ValidationError({"q": [str(error)]}) from error
        return queryset.filter(id__in=matched_note_ids_sql(query.terms))
