"""``manage.py delivery_event bounce|soft_bounce|complaint ADDRESS``: record a report by hand.

What the webhook does for a provider, for a report that arrived another way (a bounce
in the sender's mailbox, a reader's complaint by email): a bounce or complaint suppresses
the address for good; a soft bounce is only recorded.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from papernotes.delivery.suppression import DeliveryError, subscriber_record_event
from papernotes.models import DeliveryEventType

KINDS = (DeliveryEventType.BOUNCE, DeliveryEventType.SOFT_BOUNCE, DeliveryEventType.COMPLAINT)


class Command(BaseCommand):
    help = _("バウンスや迷惑メール報告を記録します(バウンスと報告は、そのアドレスへの送信を止めます)。")

    def add_arguments(self, parser):
        parser.add_argument("event_type", choices=[str(kind) for kind in KINDS])
        parser.add_argument("email")
        parser.add_argument("--reason", default="", help=_("記録しておく理由"))

    def handle(self, *args, event_type: str, email: str, reason: str, **options):
        if "@" not in email:
            raise CommandError(_("メールアドレスを指定してください: {email}").format(email=email))
        try:
            event = subscriber_record_event(
                email=email, event_type=event_type, source="command", detail={"reason": reason} if reason else {}
            )
        except DeliveryError as error:
            raise CommandError(error.message) from error
        if event.subscriber is None:
            self.stdout.write(_("{email} は購読者にいないため、記録だけしました。").format(email=event.email))
        else:
            self.stdout.write(
                _("{email}: {event} を記録しました(状態: {status})。").format(
                    email=event.email,
                    event=event.get_event_type_display(),
                    status=event.subscriber.get_status_display(),
                )
            )
