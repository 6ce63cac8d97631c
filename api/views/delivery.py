"""The mail provider's webhook: bounces and complaints (``POST /api/v1/delivery/events/``).

Not a DRF view: providers post JSON with their own content types (SNS sends
``text/plain``) and authenticate with a shared secret, not a user's token. The secret
(``NEWSLETTER_WEBHOOK_SECRET``) comes as ``Authorization: Bearer <secret>`` or as the
password of HTTP Basic authentication (what an SNS HTTPS subscription sends when the
endpoint URL carries ``user:secret@``); it is compared in constant time. Without a secret
configured the endpoint answers 404. Payloads: ``papernotes.delivery.events``.
"""

import base64
import binascii
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from papernotes.delivery.events import PayloadError, parse_report
from papernotes.delivery.suppression import DeliveryError, events_record

logger = logging.getLogger(__name__)

MAX_BODY = 256 * 1024


def _presented_secret(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


@csrf_exempt
@never_cache
@require_POST
def delivery_events(request: HttpRequest) -> JsonResponse:
    secret = settings.NEWSLETTER_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"detail": _("このエンドポイントは無効です。")}, status=404)
    if not hmac.compare_digest(_presented_secret(request).encode(), secret.encode()):
        return JsonResponse({"detail": _("認証に失敗しました。")}, status=401, headers={"WWW-Authenticate": "Bearer"})
    if len(request.body) > MAX_BODY:
        return JsonResponse({"detail": _("本文が大きすぎます。")}, status=413)
    try:
        report = parse_report(request.body)
        recorded = events_record(events=report.events, source=report.source)
    except (PayloadError, DeliveryError) as error:
        return JsonResponse({"detail": str(error)}, status=400)
    if report.subscribe_url:
        logger.warning("SNS subscription to confirm: visit %s", report.subscribe_url)
        return JsonResponse({"detail": _("SNS の購読確認です。ログの URL を開いて確認してください。"), "recorded": 0})
    return JsonResponse({"recorded": len(recorded)})
