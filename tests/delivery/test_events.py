"""Bounce and complaint reports: the provider webhook (shared secret) and the command."""

import base64
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from papernotes.models import DeliveryEvent, DeliveryEventType, SubscriberStatus
from tests.support.delivery import make_subscriber

pytestmark = pytest.mark.django_db

URL = "/api/v1/delivery/events/"
AUTH = {"HTTP_AUTHORIZATION": "Bearer test-webhook-secret"}


def _post(client, payload, *, content_type="application/json", **headers):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(URL, data=body, content_type=content_type, **headers)


def test_a_generic_bounce_and_complaint_suppress_the_addresses(client):
    bounced = make_subscriber("bounced@example.com")
    complained = make_subscriber("complained@example.com")
    response = _post(
        client,
        {
            "events": [
                {"type": "bounce", "email": "Bounced@Example.com", "reason": "550 5.1.1 user unknown"},
                {"type": "complaint", "email": "complained@example.com"},
                {"type": "bounce", "email": "stranger@example.com"},
            ]
        },
        **AUTH,
    )
    assert response.status_code == 200 and response.json() == {"recorded": 3}
    bounced.refresh_from_db()
    complained.refresh_from_db()
    assert bounced.status == SubscriberStatus.BOUNCED
    assert complained.status == SubscriberStatus.COMPLAINED
    assert DeliveryEvent.objects.get(email="stranger@example.com").subscriber is None
    assert DeliveryEvent.objects.get(subscriber=bounced).detail == {"reason": "550 5.1.1 user unknown"}


def test_a_soft_bounce_is_recorded_and_suppresses_nothing(client):
    subscriber = make_subscriber("full@example.com")
    assert _post(client, {"type": "soft_bounce", "email": "full@example.com"}, **AUTH).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    assert DeliveryEvent.objects.get().event_type == DeliveryEventType.SOFT_BOUNCE


def _sns(message: dict, kind: str = "Notification") -> str:
    return json.dumps(
        {
            "Type": kind,
            "MessageId": "b0d4c3a2-0000-4000-8000-000000000001",
            "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:ses-feedback",
            "Message": json.dumps(message),
            "Timestamp": "2024-05-06T00:00:00.000Z",
        }
    )


def test_amazon_ses_notifications_through_sns_with_basic_auth(client):
    # SNS posts text/plain and authenticates with the user:secret@ of its endpoint URL.
    hard = make_subscriber("hard@example.com")
    soft = make_subscriber("soft@example.com")
    angry = make_subscriber("angry@example.com")
    basic = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"sns:test-webhook-secret").decode()}
    bounce = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "hard@example.com", "diagnosticCode": "smtp; 550 5.1.1"}],
        },
        "mail": {"messageId": "0100018f-ses"},
    }
    transient = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "soft@example.com"}]},
        "mail": {},
    }
    complaint = {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": "angry@example.com"}],
            "complaintFeedbackType": "abuse",
        },
        "mail": {},
    }
    for message in (bounce, transient, complaint):
        response = _post(client, _sns(message), content_type="text/plain; charset=UTF-8", **basic)
        assert response.status_code == 200, response.content
    for subscriber in (hard, soft, angry):
        subscriber.refresh_from_db()
    assert (hard.status, soft.status, angry.status) == (
        SubscriberStatus.BOUNCED,
        SubscriberStatus.CONFIRMED,
        SubscriberStatus.COMPLAINED,
    )
    assert DeliveryEvent.objects.get(subscriber=hard).detail["bounce_type"] == "Permanent"
    assert DeliveryEvent.objects.get(subscriber=angry).source == "ses"


def test_an_sns_subscription_confirmation_is_acknowledged_without_a_call_out(client):
    body = json.dumps(
        {
            "Type": "SubscriptionConfirmation",
            "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:ses-feedback",
            "SubscribeURL": "https://sns.example/confirm?token=abc",
            "Message": "You have chosen to subscribe",
        }
    )
    response = _post(client, body, content_type="text/plain", **AUTH)
    assert response.status_code == 200 and response.json()["recorded"] == 0
    assert "購読確認" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": "Basic !!!"},
        {"HTTP_AUTHORIZATION": "Token x"},
    ],
)
def test_a_report_without_the_secret_is_refused_and_changes_nothing(client, headers):
    subscriber = make_subscriber("reader@example.com")
    response = _post(client, {"type": "complaint", "email": "reader@example.com"}, **headers)
    assert response.status_code == 401 and response.json()["detail"] == "認証に失敗しました。"
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and not DeliveryEvent.objects.exists()


def test_without_a_configured_secret_the_endpoint_is_off(client, settings):
    settings.NEWSLETTER_WEBHOOK_SECRET = ""
    assert _post(client, {"type": "bounce", "email": "a@example.com"}, HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        [],
        {"type": "explode", "email": "a@example.com"},
        {"type": "bounce", "email": "no-at-sign"},
        {"events": []},
    ],
)
def test_a_malformed_report_is_refused_in_japanese_and_records_nothing(client, payload):
    response = _post(client, payload, **AUTH)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not DeliveryEvent.objects.exists()


def test_one_bad_event_records_none_of_its_batch(client):
    make_subscriber("a@example.com")
    response = _post(
        client, {"events": [{"type": "bounce", "email": "a@example.com"}, {"type": "bounce", "email": "x"}]}, **AUTH
    )
    assert response.status_code == 400 and not DeliveryEvent.objects.exists()


def test_the_command_records_a_bounce(capsys):
    subscriber = make_subscriber("reader@example.com")
    out = StringIO()
    call_command("delivery_event", "bounce", "reader@example.com", "--reason", "手で確認", stdout=out)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.BOUNCED
    assert "reader@example.com" in out.getvalue() and "不達(バウンス)" in out.getvalue()
    assert DeliveryEvent.objects.get().source == "command"
    with pytest.raises(CommandError):
        call_command("delivery_event", "bounce", "not-an-address")
