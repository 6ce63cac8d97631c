"""Filters of the notes list (django-filter): week, category, arXiv id, 発行日 range, ``q``."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from papernotes import stamps
from papernotes.categories import category_index
from papernotes.ingestion.ids import InvalidArxivId, parse_arxiv_id
from papernotes.search.query import MAX_QUERY_LENGTH, MAX_TERMS, InvalidQuery, parse_query


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
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
        label=_(
            "全文検索: 空白で区切った語をすべて含むノートを関連度の高い順に({max_length} 文字・{max_terms} 語まで。"
            "各語は 2 文字以上、「GPT 4」の「4」のような英数字 1 文字は前の語と続けて探す)"
        ).format(max_length=MAX_QUERY_LENGTH, max_terms=MAX_TERMS),
    )

    def filter_category(self, queryset, name, value):
        version = stamps.stamp_of((stamps.CATEGORIES,)).token
        return queryset.filter(id__in=category_index(version=version).get(value.strip(), []))

    def filter_arxiv_id(self, queryset, name, value):
        try:
            arxiv_id = parse_arxiv_id(value).arxiv_id
        except InvalidArxivId:
            return queryset.none()
        return queryset.filter(paper__arxiv_id=arxiv_id)

    @extend_schema_field(
        {"type": "string", "maxLength": MAX_QUERY_LENGTH, "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"}
    )
    def filter_q(self, queryset, name, value):
        """Checks ``q`` (a 400 with the reason); the view runs the ranked search itself
        (``papernotes.search.service.page_of_matches``), within the other filters."""
        try:
            parse_query(value)
        except InvalidQuery as error:
            raise ValidationError({"q": [str(error)]}) from error
        return queryset
