"""Publication starts the mailing (after commit, once); back issues are not sent; chief editors
re-send a corrected issue from 「号のメール配信」, editors are told they may not."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial.workflow import issue_publish, issue_record_correction, issue_schedule, publish_due_issues
from papernotes.delivery.services import DeliveryError, issue_delivery_start
from papernotes.models import IssueState, Mailing, MailingKind, NoteState, SendLog, SendState, SubscriberStatus
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory
from tests.support.delivery import make_subscriber

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/papernotes/newsletterissue/"


def _ready_issue(**kwargs):
    issue = WeeklyIssueFactory(state=IssueState.READY, **kwargs)
    note = NoteFactory(issue=issue, position=1, state=NoteState.APPROVED)
    QuestionAnswerFactory(note=note, position=1)
    return issue


def test_publishing_sends_the_issue_to_confirmed_subscribers_once(
    smtp_server, chief_editor, eager_tasks, django_capture_on_commit_callbacks
):
    # Given two confirmed subscribers, one still unconfirmed, and an issue ready to publish
    make_subscriber("a@example.com")
    make_subscriber("b@example.com")
    make_subscriber("pending@example.com", status=SubscriberStatus.PENDING)
    issue = _ready_issue()

    # When a chief editor publishes it
    with django_capture_on_commit_callbacks(execute=True):
        issue_publish(issue=issue, actor=chief_editor)

    # Then each confirmed subscriber received it, once; the unconfirmed one nothing
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == ["a@example.com", "b@example.com"]
    mailing = Mailing.objects.get(issue=issue)
    assert mailing.kind == MailingKind.ISSUE and mailing.finished_at
    assert set(SendLog.objects.values_list("state", flat=True)) == {SendState.SENT}

    # and a correction is not sent by itself
    with django_capture_on_commit_callbacks(execute=True):
        issue_record_correction(issue=issue, actor=chief_editor, comment="誤字を訂正")
    assert len(smtp_server.messages) == 2 and Mailing.objects.count() == 1


def test_a_publication_that_rolls_back_sends_nothing(smtp_server, chief_editor, django_capture_on_commit_callbacks):
    make_subscriber("a@example.com")
    issue = _ready_issue()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issue_publish(issue=issue, actor=chief_editor)
    # The mailing waits for the commit: nothing exists before it.
    assert callbacks and not Mailing.objects.exists()


def test_scheduled_publication_sends_too(smtp_server, chief_editor, eager_tasks, django_capture_on_commit_callbacks):
    make_subscriber("a@example.com")
    issue = _ready_issue()
    issue_schedule(issue=issue, actor=chief_editor, publish_at=timezone.now() + datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        publish_due_issues(now=timezone.now() + datetime.timedelta(hours=2))
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.com"]]


def test_nothing_is_sent_when_sending_on_publish_is_off(
    smtp_server, chief_editor, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_SEND_ON_PUBLISH = False
    make_subscriber("a@example.com")
    issue = _ready_issue()
    with django_capture_on_commit_callbacks(execute=True):
        issue_publish(issue=issue, actor=chief_editor)
    assert not Mailing.objects.exists() and not smtp_server.messages


def test_an_imported_back_issue_is_not_sent(smtp_server, sample_issue, django_capture_on_commit_callbacks):
    # sample_issue was imported through the workflow's publication (announce=False)
    assert sample_issue.state == IssueState.PUBLISHED
    assert not Mailing.objects.exists() and not smtp_server.messages


def test_the_chief_editor_resends_a_corrected_issue_and_an_editor_is_refused(
    smtp_server, chief_editor, editor, eager_tasks, client, django_capture_on_commit_callbacks
):
    # Given a published issue sent to one subscriber, then corrected
    make_subscriber("a@example.com")
    issue = _ready_issue()
    with django_capture_on_commit_callbacks(execute=True):
        issue_publish(issue=issue, actor=chief_editor)
    issue_record_correction(issue=issue, actor=chief_editor, comment="数値を訂正")

    # When an editor tries 「訂正版を再送」, they are told, in Japanese, that it is the chief's
    client.force_login(editor)
    page = client.get(CHANGELIST)
    assert page.status_code == 200 and "訂正版を再送" in page.content.decode()
    response = client.post(CHANGELIST, {"action": "resend_correction", "_selected_action": [issue.pk]}, follow=True)
    assert "メール配信の操作は編集長だけが行えます。" in response.content.decode()
    assert Mailing.objects.count() == 1 and len(smtp_server.messages) == 1

    # When the chief editor does it, the corrected version goes out, marked as such
    client.force_login(chief_editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGELIST, {"action": "resend_correction", "_selected_action": [issue.pk]}, follow=True)
    assert "訂正版の再送を開始しました" in response.content.decode()
    correction = Mailing.objects.get(kind=MailingKind.CORRECTION)
    assert correction.number == 2 and correction.requested_by == chief_editor
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[1].message["Subject"].strip().startswith("【訂正版】")
    _text, html = smtp_server.messages[1].message.iter_parts()
    assert "この号は公開後に訂正されました。" in html.get_content()

    # and the delivery screen shows both mailings
    page = client.get(CHANGELIST).content.decode()
    assert "号の配信" in page and "訂正版の再送 #2" in page and "送信済み 1 / 1" in page


def test_a_correction_is_refused_for_an_issue_never_corrected(smtp_server, chief_editor, client):
    issue = _ready_issue()
    issue_publish(issue=issue, actor=chief_editor)
    client.force_login(chief_editor)
    response = client.post(CHANGELIST, {"action": "resend_correction", "_selected_action": [issue.pk]}, follow=True)
    assert "訂正されていないため" in response.content.decode()
    assert not Mailing.objects.filter(kind=MailingKind.CORRECTION).exists()


def test_editors_see_subscribers_and_the_send_log_but_cannot_change_them(editor_client):
    make_subscriber("a@example.com")
    for url in (
        reverse("admin:papernotes_subscriber_changelist"),
        reverse("admin:papernotes_sendlog_changelist"),
        reverse("admin:papernotes_deliveryevent_changelist"),
        CHANGELIST,
    ):
        assert editor_client.get(url).status_code == 200, url
    assert editor_client.get(reverse("admin:papernotes_subscriber_add")).status_code == 403


def test_the_services_refuse_an_editor_whoever_calls_them(editor, sample_issue):
    with pytest.raises(DeliveryError, match="編集長だけ"):
        issue_delivery_start(issue_id=sample_issue.pk, user=editor)
    assert not Mailing.objects.exists()
