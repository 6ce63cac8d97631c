"""The Atom feed of published issues: one entry per issue, its contents as the entry.

Every link in the feed is absolute (feed readers resolve relative links inconsistently) and
every entry names its author, as Atom requires.
"""

from django.contrib.syndication.views import Feed
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
    author_name = NEWSLETTER_NAME
    description_template = "papernotes/feed_entry.html"

    def link(self):
        return reverse("papernotes:home")

    def feed_url(self):
        return reverse("papernotes:feed")

    def items(self):
        return selectors.public_issues_for_feed(limit=FEED_LENGTH)

    def item_title(self, issue: WeeklyIssue) -> str:
        return issue.reader_title

    def get_context_data(self, *, item: WeeklyIssue, request, **kwargs) -> dict:
        return {
            "issue": item,
            "notes": item.notes.all(),
            "issue_url": request.build_absolute_uri(item.get_absolute_url()),
        }

    def item_link(self, issue: WeeklyIssue) -> str:
        return issue.get_absolute_url()

    def item_author_name(self, issue: WeeklyIssue) -> str:
        return NEWSLETTER_NAME

    def item_pubdate(self, issue: WeeklyIssue):
        return issue.published_at

    def item_updateddate(self, issue: WeeklyIssue):
        return issue.corrected_at or issue.published_at
