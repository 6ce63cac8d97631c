"""Root URL configuration."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import include, path
from markdownx.views import ImageUploadView, MarkdownifyView

# django-markdownx's preview and image upload serve the admin's editors only: left open,
# anyone could upload files or use the server to render Markdown.
markdownx_urls = [
    path("upload/", staff_member_required(ImageUploadView.as_view()), name="markdownx_upload"),
    path("markdownify/", staff_member_required(MarkdownifyView.as_view()), name="markdownx_markdownify"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("markdownx/", include(markdownx_urls)),
    path("", include("papernotes.reader_urls")),
]
