"""``manage.py draft_issue`` and ``pipeline_status`` as an operator uses them."""

import io

import pytest
from django.core.management import CommandError, call_command

from papernotes.models import DraftingStatus, NoteDrafting
from tests.drafting.conftest import make_note

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def _call(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_draft_issue_then_pipeline_status_with_calls_tokens_and_cost(llm_server, django_capture_on_commit_callbacks):
    note = make_note()
    week = note.issue.week_start.isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        started = _call("draft_issue", week)
    status = _call("pipeline_status", week)

    assert "1 本の論文の下書きを開始しました" in started
    assert "LLM: 呼び出し 2 回" in status and "USD" in status
    assert "完了 / 完了" in status and "100%" in status
    assert NoteDrafting.objects.get(note=note).status == DraftingStatus.SUCCEEDED
    # Again: nothing to do unless forced
    assert "下書きを作る論文はありません" in _call("draft_issue", week)
    with django_capture_on_commit_callbacks(execute=True):
        assert "1 本の論文の下書きを開始しました" in _call("draft_issue", week, "--force")
    assert len(llm_server.calls) == 4


def test_draft_issue_without_an_llm_says_why(settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    note = make_note()

    with pytest.raises(CommandError, match="OPENAI_API_KEY"):
        _call("draft_issue", note.issue.week_start.isoformat())
    assert NoteDrafting.objects.get(note=note).status == DraftingStatus.MANUAL


@pytest.mark.parametrize(("week", "message"), [("2030-01-07", "週刊号はありません"), ("next week", "YYYY-MM-DD")])
def test_draft_issue_bad_week(week, message):
    with pytest.raises(CommandError, match=message):
        _call("draft_issue", week)
