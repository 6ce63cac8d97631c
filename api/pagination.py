"""Page-number pagination for every API list (``?page=``, ``?page_size=`` from 1 to 100).

``page_size`` is strict, as the schema says: anything but an integer from 1 to
:attr:`PageNumberPagination.max_page_size` is a 400 (DRF would quietly use another size,
and its ``next`` link would carry the value it did not use).
"""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[-1].strip()
        if len(values) > 1 or not value.isascii() or not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("1 から {max} までの整数を一つ指定してください。").format(max=self.max_page_size)
                    ]
                }
            )
        return int(value)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = _("1 ページの件数(1〜{max}、既定 {default})").format(
                    max=self.max_page_size, default=self.page_size
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class NoteSearchPagination(PageNumberPagination):
    """The notes list: with ``q``, ``count`` is exact up to ``SEARCH_COUNT_LIMIT`` matches (200);
    above that it is that limit and ``count_is_capped`` is true (the search page says 「200 件以上」)."""

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "Only with q: true when more notes match than count says (count is then the limit, 200).",
        }
        return response
