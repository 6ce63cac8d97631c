"""``manage.py deliver_issue 2024-04-29 [--correction]``: email a published issue to subscribers.

What publication does by itself when ``NEWSLETTER_SEND_ON_PUBLISH`` is on, and what the
admin's 「号のメール配信」 actions do: the first sending happens once per issue; a
corrected version is sent again only when asked with ``--correction``.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.delivery.services import DeliveryError, issue_delivery_resend_correction, issue_delivery_start
from papernotes.models import WeeklyIssue


class Command(BaseCommand):
    help = _("公開済みの号を購読者にメールで配信します。")

    def add_arguments(self, parser):
        parser.add_argument("week", help=_("週の開始日(例: 2024-04-29)"))
        parser.add_argument("--correction", action="store_true", help=_("訂正版として再送します"))
        parser.add_argument("--comment", default="", help=_("訂正版に添える説明"))

    def handle(self, *args, week: str, correction: bool, comment: str, **options):
        try:
            issue = WeeklyIssue.objects.get(week_start=datetime.date.fromisoformat(week))
        except (ValueError, WeeklyIssue.DoesNotExist) as error:
            raise CommandError(_("{week} の号はありません。").format(week=week)) from error
        try:
            if correction:
                mailing = issue_delivery_resend_correction(issue_id=issue.pk, user=None, comment=comment)
            else:
                mailing = issue_delivery_start(issue_id=issue.pk)
        except DeliveryError as error:
            raise CommandError(error.message) from error
        if mailing is None:
            raise CommandError(_("{title} は配信済みです(訂正版は --correction)。").format(title=issue.title))
        self.stdout.write(
            _("{title}: {count} 人への配信を開始しました。").format(title=issue.title, count=mailing.sends.count())
        )
