"""Delivery fixtures (a pytest plugin, ``tests/conftest.py``): a real SMTP server on loopback
with Django's SMTP backend pointed at it, the settings the delivery tests assume, the sample
issue published, and confirmed subscribers."""

from collections.abc import Iterator

import pytest
from django.utils import timezone

from editorial.imports import issue_import
from papernotes.models import EmailFormat, Subscriber, SubscriberStatus, WeeklyIssue
from papernotes.textformat import decode_issue_bytes, parse_issue_text
from tests.conftest import SAMPLE_ISSUE
from tests.support.smtp_server import SmtpServer

SITE = "https://notes.example.org"


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "papernotes.delivery.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def delivery_settings(settings):
    settings.SITE_URL = SITE
    settings.NEWSLETTER_FROM_EMAIL = "最新論文ノート <newsletter@notes.example.org>"
    settings.NEWSLETTER_LIST_ID = ""
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = ""
    # No pacing unless a test measures it; the shared limiter keeps its state in tmp_path
    # (or in Redis under a key of its own).
    settings.NEWSLETTER_MIN_INTERVAL = 0.0
    settings.NEWSLETTER_REQUESTS_PER_MINUTE = 0
    settings.NEWSLETTER_SEND_ON_PUBLISH = True
    settings.NEWSLETTER_RETRY_BACKOFF = 60.0
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    settings.NEWSLETTER_SENDING_LEASE = 600.0
    settings.NEWSLETTER_SUBSCRIBE_PER_IP_HOUR = 0
    settings.NEWSLETTER_SUBSCRIBE_PER_ADDRESS_HOUR = 0
    settings.NEWSLETTER_WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def sample_issue(db) -> WeeklyIssue:
    """The real sample week, published (as a back issue: announced to nobody)."""
    document = parse_issue_text(decode_issue_bytes(SAMPLE_ISSUE.read_bytes()))
    return issue_import(document=document).issue


def make_subscriber(email: str, *, email_format: str = EmailFormat.HTML, status: str = SubscriberStatus.CONFIRMED):
    return Subscriber.objects.create(
        email=email,
        email_format=email_format,
        status=status,
        confirmed_at=timezone.now() if status == SubscriberStatus.CONFIRMED else None,
    )
