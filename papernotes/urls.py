"""Root URL configuration."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.sitemaps.views import index as sitemap_index
from django.contrib.sitemaps.views import sitemap
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from markdownx.views import MarkdownifyView

from editorial.admin.analytics import edit_analytics_view
from papernotes import stamps
from papernotes.caching import cached_public_page
from papernotes.sitemaps import SITEMAPS


@require_POST
def markdownx_upload_disabled(request):
    """Image upload is switched off: the reader pages' sanitiser drops images, so an
    uploaded file could never be shown, and the media folder holds the private PDFs."""
    return JsonResponse({"image_code": "", "error": _("画像のアップロードは無効になっています。")}, status=403)


# django-markdownx's preview serves the admin's editors only: left open, anyone could use
# the server to render Markdown. Its upload URL stays named (the widget reverses it).
markdownx_urls = [
    path("upload/", markdownx_upload_disabled, name="markdownx_upload"),
    path("markdownify/", staff_member_required(MarkdownifyView.as_view()), name="markdownx_markdownify"),
]

urlpatterns = [
    # The chief editors' edit analytics, inside the admin (its login and look).
    path("admin/analytics/edits/", admin.site.admin_view(edit_analytics_view), name="edit_analytics"),
    path("admin/", admin.site.urls),
    path("markdownx/", include(markdownx_urls)),
    path("api/", include("api.urls")),
    # An index of sitemap pages (Django's): each section split into pages of SITEMAP_PAGE_SIZE.
    path(
        "sitemap.xml",
        cached_public_page(keys=lambda **kwargs: (stamps.SITEMAP,))(sitemap_index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        cached_public_page(keys=lambda **kwargs: (stamps.SITEMAP,), params=("p",))(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    # The subscriber's pages (email delivery); never cached, unlike the reader pages.
    path("newsletter/", include("papernotes.delivery.urls")),
    path("", include("papernotes.reader_urls")),
]
