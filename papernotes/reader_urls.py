"""Reader-facing pages."""

from django.urls import path, register_converter

from . import views


class WeekConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class ArxivIdConverter:
    """An arXiv id without version: ``2405.01535`` or the old ``hep-th/9901001``."""

    regex = r"\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class CategoryConverter:
    regex = r"[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(WeekConverter, "week")
register_converter(ArxivIdConverter, "arxiv_id")
register_converter(CategoryConverter, "category")

app_name = "papernotes"
urlpatterns = [
    path("", views.home, name="home"),
    path("issues/<week:week>/", views.issue_detail, name="issue_detail"),
    path("issues/<week:week>.txt", views.issue_text, name="issue_text"),
    path("issues/<week:week>.md", views.issue_markdown, name="issue_markdown"),
    path("papers/<arxiv_id:arxiv_id>/", views.paper_detail, name="paper_detail"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<category:code>/", views.category_detail, name="category_detail"),
    path("search/", views.search, name="search"),
    path("feed.atom", views.feed, name="feed"),
]
