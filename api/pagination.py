"""Page-number pagination for every API list (``?page=``, ``?page_size=`` up to 100)."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


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
