"""API fixtures: a published archive with drafts around it, API clients, an editor's token."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from api.tokens import api_token_create
from papernotes.models import IssueState, NoteState
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory, set_issue_state

MONDAY = datetime.date(2024, 4, 29)
SECRET = "SECRET-DRAFT-TEXT"


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    # Throttling has its own test; elsewhere many requests in a row must all be answered.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"}}


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def archive():
    """A published issue (one approved note with Q&A, one unapproved note), a corrected one,
    a withdrawn one, and issues in every unpublished state: every secret says SECRET."""
    published = WeeklyIssueFactory(week_start=MONDAY, published=True, intro="今週の論文です.")
    approved = NoteFactory(
        issue=published,
        position=1,
        state=NoteState.APPROVED,
        paper=PaperFactory(arxiv_id="2405.01535", title="Prometheus 2", categories=["cs.CL", "cs.LG"]),
        summary="評価用の言語モデル.",
        abstract_ja="評価に特化したモデルを提案する.",
        paper_as_shown_data={},
    )
    QuestionAnswerFactory(note=approved, position=1, question="何を評価する?", answer="LM の出力です.")
    for position, state in enumerate(
        (NoteState.AWAITING_DRAFT, NoteState.DRAFTED, NoteState.IN_REVIEW, NoteState.CHANGES_REQUESTED), start=2
    ):
        hidden = NoteFactory(
            issue=published,
            position=position,
            state=state,
            paper=PaperFactory(title=f"{SECRET} paper {state}", categories=["cs.CL"]),
            summary=f"{SECRET} 要約 評価",
        )
        QuestionAnswerFactory(note=hidden, position=1, question=f"{SECRET} 質問", answer=f"{SECRET} 回答 評価")
    corrected = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)
    corrected = set_issue_state(
        corrected, IssueState.CORRECTED, corrected_at=datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    )
    NoteFactory(issue=corrected, position=1, state=NoteState.APPROVED, paper=PaperFactory(title="Corrected Paper"))
    hidden_weeks = []
    for offset, state in enumerate(
        (IssueState.COLLECTING, IssueState.IN_REVIEW, IssueState.READY, IssueState.SCHEDULED, IssueState.WITHDRAWN),
        start=1,
    ):
        extra = (
            {"published_at": datetime.datetime(2024, 5, 6, tzinfo=datetime.UTC)}
            if state == IssueState.WITHDRAWN
            else {}
        )
        issue = WeeklyIssueFactory(
            week_start=MONDAY + datetime.timedelta(weeks=offset), state=state, intro=SECRET, **extra
        )
        note = NoteFactory(
            issue=issue,
            position=1,
            state=NoteState.APPROVED,
            paper=PaperFactory(title=f"{SECRET} in {state}", categories=["cs.CL"]),
            summary=f"{SECRET} 評価",
        )
        QuestionAnswerFactory(note=note, position=1, question=f"{SECRET} 評価?", answer=SECRET)
        hidden_weeks.append(issue.week_start.isoformat())
    return {"published": published, "approved": approved, "corrected": corrected, "hidden_weeks": hidden_weeks}


def _user(username: str, *, staff: bool, permissions: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(username=username, password="x", is_staff=staff)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="papernotes"))
    return user


@pytest.fixture
def editor_api() -> APIClient:
    user = _user("editor", staff=True, permissions=("add_weeklyissue", "view_weeklyissue", "change_note"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='tests').key}")
    return client


@pytest.fixture
def reader_api() -> APIClient:
    """Authenticated, but neither staff nor holding any permission."""
    user = _user("reader", staff=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='tests').key}")
    return client


@pytest.fixture
def editor_token() -> str:
    user = _user("fuzzing-editor", staff=True, permissions=("add_weeklyissue", "view_weeklyissue"))
    return api_token_create(user=user, name="fuzzing").key
