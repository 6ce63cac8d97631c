"""What the door tests share: issues with approved notes, the review screen's form, error texts."""

import datetime
import re
from html.parser import HTMLParser

from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse

from editorial.checks.services import note_refresh_findings
from editorial.models import QualityFinding, WorkflowEvent
from editorial.workflow import freeze_paper_metadata
from papernotes.models import ONCE_PUBLISHED_ISSUE_STATES, IssueState, Note, QuestionAnswer, WeeklyIssue
from tests.factories import WeeklyIssueFactory, set_issue_state
from tests.rules.htmlforms import Form, Submit, main_form
from tests.rules.world import CORRECTED_AT, MONDAY, PUBLISHED_AT, make_note

GENERIC_ERRORS = ("下記のエラーを修正してください。", "下記のエラーを修正してください")
# An unbalanced bracket: a blocking (要修正) finding of the quality checks.
BLOCKING_SUMMARY = "括弧が閉じない(要約です."


def issue_with_notes(
    state: str = IssueState.IN_REVIEW, *, notes: int = 1, qa_count: int = 3, week: datetime.date = MONDAY
) -> tuple[WeeklyIssue, list[Note]]:
    """An issue in ``state`` with approved notes (each with an older, 下書き済み revision in its history)."""
    issue = WeeklyIssueFactory(week_start=week, intro="前書きです.")
    made = [
        make_note(issue, position=position, state="approved", qa_count=qa_count, label=f"{state}-{position}")
        for position in range(1, notes + 1)
    ]
    extra = {}
    if state in ONCE_PUBLISHED_ISSUE_STATES:
        extra["published_at"] = PUBLISHED_AT
    if state == IssueState.CORRECTED:
        extra["corrected_at"] = CORRECTED_AT
    if state != IssueState.COLLECTING:
        issue = set_issue_state(issue, state, **extra)
    if state in ONCE_PUBLISHED_ISSUE_STATES:
        freeze_paper_metadata(issue)
    for note in made:
        note_refresh_findings(note_id=note.pk)
    return issue, [Note.objects.get(pk=note.pk) for note in made]


def review_url(note: Note) -> str:
    return reverse("admin:papernotes_note_change", args=[note.pk])


def page_form(response) -> Form:
    assert response.status_code == 200, response.status_code
    form = main_form(response.content.decode())
    assert form is not None, "the page has no form"
    return form


def body(form: Form, submit: Submit | None = None, **changes: str | list[str]) -> dict[str, list[str]]:
    """The form's data as a browser sends it, with ``changes`` (names with ``-`` passed as a dict)."""
    data = form.data(submit)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


SAVE = Submit("_continue", "1")


def qa_texts(note: Note) -> list[tuple[int, int, str, str]]:
    return list(
        QuestionAnswer.objects.filter(note=note)
        .order_by("position")
        .values_list("pk", "position", "question", "answer")
    )


def note_row(note: Note) -> tuple:
    fresh = Note.objects.get(pk=note.pk)
    return (fresh.state, fresh.position, fresh.summary, fresh.abstract_ja, qa_texts(fresh))


def issue_row(issue: WeeklyIssue) -> tuple:
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    return (fresh.state, fresh.published_at, fresh.corrected_at)


def corrections(issue: WeeklyIssue):
    return WorkflowEvent.objects.filter(issue=issue, action="issue_correct")


def message_levels(response) -> list[int]:
    return [message.level for message in get_messages(response.wsgi_request)]


def success_messages(response) -> list[str]:
    return [
        str(message)
        for message in get_messages(response.wsgi_request)
        if message.level in (messages.SUCCESS, messages.INFO)
    ]


def blocking_finding(note: Note) -> QualityFinding:
    finding = QualityFinding.objects.filter(note=note, severity="blocking").first()
    assert finding is not None, "the set-up should give the note a blocking finding"
    return finding


class _ErrorText(HTMLParser):
    """Text inside the admin's error elements (errorlist, errornote, error messages)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        is_error = any(name in ("errorlist", "errornote", "error", "errors") for name in classes)
        self.stack.append(is_error)
        if is_error:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("br", "input", "img", "meta", "link", "hr") or not self.stack:
            return
        if self.stack.pop():
            self.depth -= 1

    def handle_data(self, data):
        if self.depth > 0 and data.strip():
            self.texts.append(data.strip())


def error_texts(response) -> list[str]:
    """The error texts a page shows, without the admin's generic 「下記のエラーを修正してください。」."""
    parser = _ErrorText()
    parser.feed(response.content.decode())
    texts = [text for text in parser.texts if text not in GENERIC_ERRORS]
    return [text for text in texts if re.search("[ぁ-んァ-ン一-龥]", text)]
