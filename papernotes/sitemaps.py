"""``sitemap.xml``: an index of sitemap pages of home, every public issue, every paper with a
public note, categories; each section split into pages of ``SITEMAP_PAGE_SIZE`` URLs."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap as BaseSitemap
from django.db.models import Max
from django.urls import reverse

from papernotes import selectors
from papernotes.models import WeeklyIssue


class Sitemap(BaseSitemap):
    """A section of the sitemap, in pages of SITEMAP_PAGE_SIZE URLs (the index lists them)."""

    @property
    def limit(self) -> int:
        return settings.SITEMAP_PAGE_SIZE


class StaticSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return ["papernotes:home", "papernotes:category_list"]

    def location(self, item):
        return reverse(item)


class IssueSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return selectors.public_issues().only("week_start", "published_at", "corrected_at")

    def lastmod(self, issue: WeeklyIssue):
        return issue.corrected_at or issue.published_at


class PaperSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return (
            selectors.public_notes()
            .values("paper__arxiv_id")
            .annotate(last_published=Max("issue__published_at"))
            .order_by("paper__arxiv_id")
        )

    def location(self, item):
        return reverse("papernotes:paper_detail", kwargs={"arxiv_id": item["paper__arxiv_id"]})

    def lastmod(self, item):
        return item["last_published"]


SITEMAPS = {"pages": StaticSitemap, "issues": IssueSitemap, "papers": PaperSitemap}
