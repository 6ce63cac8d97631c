"""What a subscriber receives, read back from a real SMTP server: headers, both parts, links."""

import re

import pytest
from django.urls import reverse

from papernotes.delivery import sending
from papernotes.delivery.content import subscriber_links
from papernotes.delivery.services import issue_delivery_start
from papernotes.models import EmailFormat, NoteState, SendLog, SendState
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory
from tests.support.delivery import SITE, make_subscriber

pytestmark = pytest.mark.django_db


def _deliver(issue) -> None:
    mailing = issue_delivery_start(issue_id=issue.pk)
    result = sending.send_batch(mailing_id=mailing.pk)
    assert result.next_in is None, result


def test_an_issue_arrives_as_text_and_html_with_list_headers(smtp_server, sample_issue, client):
    # Given a confirmed subscriber and the published sample week
    subscriber = make_subscriber("reader@example.com")

    # When the issue is delivered
    _deliver(sample_issue)

    # Then one message arrived, from the newsletter, titled as the issue
    [received] = smtp_server.received_by("reader@example.com")
    message = received.message
    # (Django folds a non-ASCII subject onto the next line; unfolding leaves a leading blank
    # that mail clients drop, as does str.strip.)
    assert message["Subject"].strip() == "最新論文ノート:【2024-04-29~ 2024-05-05】"
    assert message["From"].addresses[0].addr_spec == "newsletter@notes.example.org"
    assert message["To"] == "reader@example.com"
    assert message["Date"]
    # RFC 8058 one-click unsubscribe, RFC 2369/2919 list headers; no Auto-Submitted on a list message
    unsubscribe = re.fullmatch(
        r"<(https://notes\.example\.org/newsletter/unsubscribe/[^>]+/)>", message["List-Unsubscribe"].strip()
    )
    assert unsubscribe, message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "<weekly.notes.example.org>"
    assert message["Auto-Submitted"] is None
    log = SendLog.objects.get(subscriber=subscriber)
    assert message["Message-ID"] == log.message_id
    assert re.fullmatch(r"<papernotes\.\d+\.\d+\.[0-9a-f]{16}@notes\.example\.org>", log.message_id)
    assert log.state == SendState.SENT and log.attempts == 1
    assert log.smtp_response.startswith("250 2.0.0 Ok: queued as STANDIN")

    # and it is multipart/alternative: the blog's text format first, then HTML
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain" and html_part.get_content_type() == "text/html"

    # The text part is the site's /issues/<week>.txt byte for byte, then the footer
    export = client.get(reverse("papernotes:issue_text", kwargs={"week": "2024-04-29"})).content
    body = text_part.get_payload(decode=True)
    assert text_part.get_content_charset() == "utf-8"
    assert body[: len(export)] == export
    footer = body[len(export) :].decode("utf-8")
    links = subscriber_links(subscriber.pk)
    assert links.unsubscribe == unsubscribe.group(1)
    assert footer == (
        "\n\n-- \n"
        f"最新論文ノート(ウェブ版): {SITE}/issues/2024-04-29/\n"
        f"配信形式の変更: {links.preferences}\n"
        f"配信停止: {links.unsubscribe}\n"
    )

    # The HTML has every paper and its Q&A, links absolute: the site's and arXiv's over
    # https, and the URLs the texts themselves cite (the sample's 概要 name GitHub pages)
    html = html_part.get_content()
    for note in sample_issue.notes.select_related("paper"):
        assert f"{SITE}/papers/{note.paper.arxiv_id}/" in html
    assert html.count(">Q:</td>") == sum(note.qas.count() for note in sample_issue.notes.all())
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(href.startswith(("https://", "http://")) for href in hrefs), hrefs
    own = [href for href in hrefs if href.startswith((SITE + "/", "https://arxiv.org/"))]
    cited = [href for href in hrefs if href not in own]
    assert len(own) > len(cited) and all(href in export.decode() for href in cited), cited
    assert unsubscribe.group(1) in hrefs
    assert "<script" not in html and "<style" not in html


def test_a_text_only_subscriber_gets_the_plain_text_alone(smtp_server, sample_issue):
    make_subscriber("plain@example.com", email_format=EmailFormat.TEXT)
    _deliver(sample_issue)
    [received] = smtp_server.received_by("plain@example.com")
    assert received.message.get_content_type() == "text/plain"
    assert "Q&A:" in received.message.get_content()


def test_only_approved_notes_are_sent_and_markdown_is_sanitised_with_absolute_links(smtp_server):
    # Given a published issue with an approved note (Markdown with a script, a relative and
    # a javascript: link) and a note still in review
    issue = WeeklyIssueFactory(published=True)
    approved = NoteFactory(
        issue=issue,
        position=1,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="Approved Paper"),
        abstract_ja="概要です<script>alert(1)</script> [関連](/papers/2405.01535/) [悪い](javascript:alert(1)).",
    )
    QuestionAnswerFactory(note=approved, position=1, question="何を示した?", answer="**有効性**を示した.")
    NoteFactory(issue=issue, position=2, state=NoteState.IN_REVIEW, paper=PaperFactory(title="Draft Paper"))
    make_subscriber("reader@example.com")

    _deliver(issue)

    [received] = smtp_server.received_by("reader@example.com")
    text_part, html_part = received.message.iter_parts()
    text, html = text_part.get_content(), html_part.get_content()
    assert "Approved Paper" in text and "Approved Paper" in html
    assert "Draft Paper" not in text and "Draft Paper" not in html
    assert "<script" not in html and "javascript:" not in html
    assert f'href="{SITE}/papers/2405.01535/"' in html
    assert "<strong>有効性</strong>" in html


def test_the_unsubscribe_mailto_is_listed_when_configured(smtp_server, sample_issue, settings):
    settings.NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@notes.example.org"
    make_subscriber("reader@example.com")
    _deliver(sample_issue)
    [received] = smtp_server.received_by("reader@example.com")
    targets = [t.strip() for t in received.message["List-Unsubscribe"].split(",")]
    assert targets[0].startswith("<https://notes.example.org/newsletter/unsubscribe/")
    assert targets[1] == "<mailto:unsubscribe@notes.example.org?subject=unsubscribe>"
