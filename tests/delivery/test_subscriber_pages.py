"""The subscriber's pages, as a reader and a mail client use them: double opt-in end to end
(the confirmation email read back from the SMTP server), one-click unsubscribe (RFC 8058),
preferences, and what the pages refuse."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from papernotes.delivery import sending
from papernotes.delivery.content import subscriber_links
from papernotes.delivery.services import issue_delivery_start
from papernotes.delivery.tokens import confirmation_token
from papernotes.models import DeliveryEvent, EmailFormat, SendLog, SendState, Subscriber, SubscriberStatus
from tests.support.delivery import SITE, make_subscriber

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/newsletter/"


def _subscribe(client, email: str, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(SUBSCRIBE, {"email": email, "website": ""}, **extra)


def _link(message, kind: str) -> str:
    match = re.search(rf"{re.escape(SITE)}(/newsletter/{kind}/[^/\s]+/)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_double_opt_in_end_to_end(client, smtp_server, eager_tasks, django_capture_on_commit_callbacks):
    # Given the subscribe page, in Japanese, with a CSRF-protected form and no caching
    page = client.get(SUBSCRIBE)
    assert page.status_code == 200
    assert "メールで購読する" in page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert "no-cache" in page["Cache-Control"] and "private" in page["Cache-Control"]

    # When a reader subscribes
    response = _subscribe(client, "  Reader@Example.com ", django_capture_on_commit_callbacks)

    # Then they land on the "check your mail" page, and a confirmation email arrived
    assert response.status_code == 302 and response["Location"] == "/newsletter/sent/"
    assert "確認メールをお送りしました" in client.get(response["Location"]).content.decode()
    [received] = smtp_server.received_by("reader@example.com")
    confirmation = received.message
    assert "購読の確認" in confirmation["Subject"]
    assert confirmation["Auto-Submitted"] == "auto-generated"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.com" and subscriber.status == SubscriberStatus.PENDING

    # When the link is opened (as a link scanner would), nothing is confirmed yet
    link = _link(confirmation, "confirm")
    page = client.get(link)
    assert page.status_code == 200 and "購読を確定する" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING

    # When the reader presses the button, the subscription is confirmed
    done = client.post(link)
    assert done.status_code == 200 and "購読を開始しました" in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.confirmed_at
    assert subscriber.subscribed_ip == "127.0.0.1" == subscriber.confirmed_ip

    # and pressing it again changes nothing
    assert client.post(link).status_code == 200


def test_subscribing_never_tells_whether_an_address_is_known(
    client, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    # Given a confirmed, a suppressed and an unknown address
    make_subscriber("known@example.com")
    make_subscriber("bounced@example.com", status=SubscriberStatus.BOUNCED)

    responses = [
        _subscribe(client, email, django_capture_on_commit_callbacks)
        for email in ("known@example.com", "bounced@example.com", "new@example.com", "new@example.com")
    ]

    # Then every answer is the same redirect
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, "/newsletter/sent/")}
    # and only the new address got a confirmation, once (the repeat is within the resend interval)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["new@example.com"]]
    assert Subscriber.objects.filter(email="known@example.com", status=SubscriberStatus.CONFIRMED).exists()
    assert Subscriber.objects.get(email="bounced@example.com").status == SubscriberStatus.BOUNCED


def test_an_unsubscribed_reader_can_subscribe_again_through_the_confirmation(
    client, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    make_subscriber("back@example.com", status=SubscriberStatus.UNSUBSCRIBED)
    _subscribe(client, "back@example.com", django_capture_on_commit_callbacks)
    [received] = smtp_server.received_by("back@example.com")
    client.post(_link(received.message, "confirm"))
    assert Subscriber.objects.get(email="back@example.com").status == SubscriberStatus.CONFIRMED


def test_the_form_refuses_bad_input_and_a_post_without_csrf(client, smtp_server, django_capture_on_commit_callbacks):
    bad = _subscribe(client, "not-an-address", django_capture_on_commit_callbacks)
    assert bad.status_code == 400
    assert "メールアドレスの形が正しくありません。" in bad.content.decode()

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(SUBSCRIBE, {"email": "reader@example.com"}).status_code == 403
    assert not Subscriber.objects.exists() and not smtp_server.messages


def test_a_bot_filling_the_honeypot_is_answered_as_anyone_but_nothing_is_sent(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUBSCRIBE, {"email": "victim@example.com", "website": "http://spam.example"})
    assert response.status_code == 302 and response["Location"] == "/newsletter/sent/"
    assert not Subscriber.objects.exists() and not smtp_server.messages


def test_subscribe_requests_are_limited_per_client_and_per_address(
    client, settings, django_capture_on_commit_callbacks
):
    # Given at most 3 requests an hour per client address and 2 per email address
    settings.NEWSLETTER_SUBSCRIBE_PER_IP_HOUR = 3
    settings.NEWSLETTER_SUBSCRIBE_PER_ADDRESS_HOUR = 2
    one_client = {"REMOTE_ADDR": "198.51.100.7"}

    # When one address is asked for three times from different clients
    statuses = [
        _subscribe(
            client, "target@example.com", django_capture_on_commit_callbacks, REMOTE_ADDR=f"203.0.113.{n}"
        ).status_code
        for n in range(3)
    ]
    # Then the third is refused (429, in Japanese)
    assert statuses == [302, 302, 429]

    # When one client asks for four different addresses, the fourth is refused
    statuses = [
        _subscribe(client, f"user{n}@example.com", django_capture_on_commit_callbacks, **one_client).status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    refused = _subscribe(client, "user9@example.com", django_capture_on_commit_callbacks, **one_client)
    assert "しばらくしてからお試しください" in refused.content.decode()


def test_one_click_unsubscribe_as_a_mail_client_sends_it(smtp_server, sample_issue):
    # Given a subscriber who received an issue
    subscriber = make_subscriber("reader@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    sending.send_batch(mailing_id=mailing.pk)
    [received] = smtp_server.received_by("reader@example.com")
    url = received.message["List-Unsubscribe"].strip().strip("<>")
    path = url.removeprefix(SITE)

    # When the mail client POSTs the RFC 8058 body: no cookie, no CSRF token, no login
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    # Then the subscriber is unsubscribed and the event recorded
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED and subscriber.unsubscribed_at
    assert DeliveryEvent.objects.get(subscriber=subscriber).source == "one-click"
    # and a repeated POST is harmless
    assert (
        mail_client.post(
            path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert DeliveryEvent.objects.filter(subscriber=subscriber).count() == 1


def test_opening_the_unsubscribe_link_only_asks(client):
    subscriber = make_subscriber("reader@example.com")
    path = subscriber_links(subscriber.pk).unsubscribe.removeprefix(SITE)
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "配信を停止する" in body and "reader@example.com" in body
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    # the page's button posts the same one-click form
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def test_an_unsubscribed_reader_is_skipped_by_a_mailing_in_progress(smtp_server, sample_issue, client):
    leaving = make_subscriber("leaving@example.com")
    make_subscriber("staying@example.com")
    mailing = issue_delivery_start(issue_id=sample_issue.pk)
    client.post(subscriber_links(leaving.pk).unsubscribe.removeprefix(SITE), {"List-Unsubscribe": "One-Click"})
    sending.send_batch(mailing_id=mailing.pk)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["staying@example.com"]]
    assert SendLog.objects.get(subscriber=leaving).state == SendState.SKIPPED


def test_forged_and_expired_links_are_refused_in_japanese(client, settings):
    subscriber = make_subscriber("reader@example.com")
    token = subscriber_links(subscriber.pk).unsubscribe.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    for path in (f"/newsletter/unsubscribe/{forged}/", f"/newsletter/preferences/{forged}/", "/newsletter/confirm/x/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert (
            "リンクが正しくありません" in response.content.decode()
            or "確認用リンクが正しくありません" in response.content.decode()
        )
    assert client.post(f"/newsletter/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED

    # An expired confirmation link says so (410)
    settings.NEWSLETTER_CONFIRM_MAX_AGE = -1
    pending = make_subscriber("late@example.com", status=SubscriberStatus.PENDING)
    expired = client.post(
        reverse("delivery:confirm", kwargs={"token": confirmation_token(subscriber_id=pending.pk, email=pending.email)})
    )
    assert expired.status_code == 410 and "有効期限が切れています" in expired.content.decode()
    pending.refresh_from_db()
    assert pending.status == SubscriberStatus.PENDING


def test_preferences_change_the_format_stop_and_start_again(client):
    subscriber = make_subscriber("reader@example.com")
    path = subscriber_links(subscriber.pk).preferences.removeprefix(SITE)
    page = client.get(path)
    assert page.status_code == 200 and "配信の設定" in page.content.decode()

    saved = client.post(path, {"email_format": EmailFormat.TEXT, "subscribed": "1"})
    assert "設定を保存しました。" in saved.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email_format == EmailFormat.TEXT and subscriber.status == SubscriberStatus.CONFIRMED

    client.post(path, {"email_format": EmailFormat.TEXT, "subscribed": "0"})
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED

    client.post(path, {"email_format": EmailFormat.HTML, "subscribed": "1"})
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.email_format == EmailFormat.HTML


def test_a_suppressed_address_cannot_start_again_from_its_preferences(client):
    subscriber = make_subscriber("gone@example.com", status=SubscriberStatus.COMPLAINED)
    path = subscriber_links(subscriber.pk).preferences.removeprefix(SITE)
    response = client.post(path, {"email_format": EmailFormat.HTML, "subscribed": "1"})
    assert response.status_code == 400
    assert "配信できない状態です" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.COMPLAINED
