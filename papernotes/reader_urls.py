"""Reader-facing pages."""

from django.urls import path, register_converter

from . import views


class WeekConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(WeekConverter, "week")

app_name = "papernotes"
urlpatterns = [
    path("", views.issue_list, name="issue_list"),
    path("issues/<week:week>/", views.issue_detail, name="issue_detail"),
    path("issues/<week:week>.txt", views.issue_text, name="issue_text"),
]
