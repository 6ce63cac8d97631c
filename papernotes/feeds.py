"""The Atom feed of published issues: one entry per issue, its contents as the entry."""

from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from papernotes import selectors
from papernotes.models import NEWSLETTER_NAME, WeeklyIssue

FEED_LENGTH = 20


class IssueFeed(Feed):
    feed_type = Atom1Feed
    title = NEWSLETTER_NAME
    subtitle = _("毎週の Top ML Papers of the Week の論文を、日本語の概要と Q&A で紹介します。")
    language = "ja"

    def link(self):
        return reverse("papernotes:home")

    def feed_url(self):
        return reverse("papernotes:feed")

    def items(self):
        return selectors.public_issues_for_feed(limit=FEED_LENGTH)

    def item_title(self, issue: WeeklyIssue) -> str:
        return issue.title

    def item_description(self, issue: WeeklyIssue) -> str:
        return render_to_string("papernotes/feed_entry.html", {"issue": issue, "notes": issue.notes.all()})

    def item_link(self, issue: WeeklyIssue) -> str:
        return issue.get_absolute_url()

    def item_pubdate(self, issue: WeeklyIssue):
        return issue.published_at

    def item_updateddate(self, issue: WeeklyIssue):
        return issue.corrected_at or issue.published_at
