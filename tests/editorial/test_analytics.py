"""Edit analytics: how much editors changed the machine drafts of published notes, per
prompt version × model × field and per week; the command and the chief editors' screen."""

import datetime
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from editorial.analytics import REWRITE_THRESHOLD, edit_analytics, edit_distance
from papernotes.models import IssueState, LlmCall, NoteDrafting, TextSource
from tests.factories import NoteFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

SUMMARY = "評価用の言語モデルを公開した。"
ANSWER = "論文によると、提案手法は既存手法を上回ります."


def _drafted_note(issue, *, read_tag: str, answer_tag: str, model: str = "gpt-4o-mini", **texts):
    """A note whose fields were machine drafts (``<field>_machine_draft``), then published as ``texts`` say."""
    note = NoteFactory(
        issue=issue,
        summary=texts.get("summary", SUMMARY),
        summary_source=TextSource.MACHINE,
        summary_machine_draft=SUMMARY,
        abstract_ja="本論文の概要です.",
        abstract_ja_source=TextSource.MACHINE,
        abstract_ja_machine_draft="本論文の概要です.",
    )
    NoteDrafting.objects.create(note=note, run=1, prompt_version=f"{read_tag},{answer_tag}", models_used=model)
    LlmCall.objects.create(note=note, run=1, step="read", model=model, prompt_version=read_tag, outcome="ok")
    LlmCall.objects.create(note=note, run=1, step="answer", model=model, prompt_version=answer_tag, outcome="ok")
    for position, (question, answer) in enumerate(texts.get("pairs", [("Q?", ANSWER)]), start=1):
        QuestionAnswerFactory(
            note=note,
            position=position,
            question=question,
            question_source=TextSource.MACHINE if question == "Q?" else TextSource.EDITOR,
            question_machine_draft="Q?",
            answer=answer,
            answer_source=TextSource.MACHINE if answer == ANSWER else TextSource.EDITOR,
            answer_machine_draft=ANSWER,
        )
    return note


def test_edit_distance_is_the_share_of_characters_changed_normalised_by_length():
    # Given texts the same, sharing nothing, and sharing three of four characters
    # Then the distance is 0, 1, and 1 - 2*3/(4+4)
    assert edit_distance("同じ文章です.", " 同じ文章です. ") == 0.0
    assert edit_distance("あいう", "xyz") == 1.0
    assert edit_distance("abcd", "abcx") == 0.25
    assert edit_distance("", "新しい文章") == 1.0


def test_long_texts_are_compared_in_bounded_time():
    # Given two 概要 far longer than any real one, differing everywhere
    a, b = "あい" * 40_000, "うえ" * 40_000

    # When they are compared
    started = time.monotonic()
    distance = edit_distance(a, b)

    # Then the answer comes quickly (each side is cut) and says they have nothing in common
    assert distance == 1.0 and time.monotonic() - started < 5


def test_published_notes_are_measured_per_prompt_version_model_and_field():
    # Given a published week: one note of read@1 accepted as drafted, one of read@2 whose
    # summary, second question and first answer an editor rewrote
    issue = WeeklyIssueFactory(published=True, week_start=datetime.date(2024, 4, 29))
    _drafted_note(issue, read_tag="read@1", answer_tag="answer@1")
    _drafted_note(
        issue,
        read_tag="read@2",
        answer_tag="answer@1",
        summary="オープンな評価器 Prometheus 2 を提案し、GPT-4 に近い評価ができることを示した。",
        pairs=[
            ("Q?", "全く別の回答を編集者が書きました。詳しくは第3節を参照してください."),
            ("質問を差し替え", ANSWER),
        ],
    )
    # ...and notes readers do not see, or without machine drafts, which are not counted
    _drafted_note(WeeklyIssueFactory(state=IssueState.IN_REVIEW), read_tag="read@9", answer_tag="answer@9")
    imported = NoteFactory(issue=issue)
    QuestionAnswerFactory(note=imported)

    # When the analytics are read
    analytics = edit_analytics()

    # Then each group says how many fields were accepted unchanged and how many rewritten
    rows = {(s.key, s.field): s for s in analytics.versions}
    assert analytics.notes == 3
    assert {key[0] for key, _field in rows} == {"read@1", "read@2", "answer@1"}
    summary_1, summary_2 = rows[(("read@1", "gpt-4o-mini"), "summary")], rows[(("read@2", "gpt-4o-mini"), "summary")]
    assert (summary_1.count, summary_1.unchanged, summary_1.mean_distance) == (1, 1, 0.0)
    assert (summary_2.count, summary_2.unchanged, summary_2.rewritten) == (1, 0, 1)
    assert summary_2.mean_distance >= REWRITE_THRESHOLD
    questions = rows[(("read@2", "gpt-4o-mini"), "question")]
    assert (questions.count, questions.unchanged, questions.rewritten) == (2, 1, 1)  # one question replaced
    # ...the answers of both notes under the answer step's prompt: 3 answers, one rewritten
    answers = rows[(("answer@1", "gpt-4o-mini"), "answer")]
    assert (answers.count, answers.unchanged, answers.rewritten) == (3, 2, 1)
    assert answers.share_unchanged == pytest.approx(2 / 3)
    # ...and over time, per week and field
    weeks = {(s.key, s.field): s for s in analytics.weeks}
    assert weeks[(("2024-04-29",), "answer")].count == 3
    assert weeks[(("2024-04-29",), "abstract_ja")].unchanged == 2


def test_a_later_week_only_with_since_and_newest_week_first():
    # Given two published weeks
    old = WeeklyIssueFactory(published=True, week_start=datetime.date(2024, 4, 22))
    new = WeeklyIssueFactory(published=True, week_start=datetime.date(2024, 4, 29))
    _drafted_note(old, read_tag="read@1", answer_tag="answer@1")
    _drafted_note(new, read_tag="read@2", answer_tag="answer@2")

    # When everything is read, and from the later week on
    everything = edit_analytics()
    later = edit_analytics(since=datetime.date(2024, 4, 29))

    # Then the weeks come newest first, and --since leaves the older one out
    assert everything.weeks[0].key == ("2024-04-29",)
    assert {s.key[0] for s in everything.weeks} == {"2024-04-22", "2024-04-29"}
    assert {s.key[0] for s in later.weeks} == {"2024-04-29"}
    assert {s.key[0] for s in later.versions} == {"read@2", "answer@2"}


def test_the_command_prints_the_tables_and_json():
    # Given a published week with one rewritten answer
    issue = WeeklyIssueFactory(published=True, week_start=datetime.date(2024, 4, 29))
    _drafted_note(issue, read_tag="read@2", answer_tag="answer@2", pairs=[("Q?", "編集者が全部書き直した回答です。")])

    # When the command runs, as text and as JSON
    text, data = StringIO(), StringIO()
    call_command("edit_analytics", stdout=text)
    call_command("edit_analytics", "--json", "--since", "2024-04-29", stdout=data)

    # Then the text names the groups in Japanese, and the JSON carries the same figures
    output = text.getvalue()
    assert "公開済みのノート 1 件" in output
    assert "answer@2 / gpt-4o-mini\t回答\t件数 1\t無修正 0%" in output
    parsed = json.loads(data.getvalue())
    [answers] = [row for row in parsed["by_version"] if row["field"] == "answer"]
    assert answers["key"] == ["answer@2", "gpt-4o-mini"]
    assert (answers["count"], answers["unchanged"], answers["rewritten"]) == (1, 0, 1)
    assert parsed["fields_compared"] == 4


def test_the_screen_is_for_chief_editors_and_linked_from_their_dashboard(client, chief_editor, editor):
    # Given a published week with machine drafts
    issue = WeeklyIssueFactory(published=True, week_start=datetime.date(2024, 4, 29))
    _drafted_note(issue, read_tag="read@2", answer_tag="answer@2")
    url = reverse("edit_analytics")

    # When a chief editor opens the dashboard and the screen
    client.force_login(chief_editor)
    dashboard = client.get(reverse("admin:index"))
    page = client.get(url, {"since": "2024-04-29"})

    # Then the dashboard links it and the screen shows the tables in Japanese
    assert url in dashboard.content.decode()
    assert page.status_code == 200
    body = page.content.decode()
    assert "プロンプトの版 × モデル" in body and "answer@2 / gpt-4o-mini" in body and "無修正の割合" in body

    # When an editor tries
    client.force_login(editor)
    refused = client.get(url)

    # Then it is refused in Japanese, and their dashboard has no link
    assert refused.status_code == 403
    assert "編集長だけ" in refused.content.decode()
    assert url not in client.get(reverse("admin:index")).content.decode()


def test_a_bad_week_on_the_screen_is_said_in_japanese(client, chief_editor):
    client.force_login(chief_editor)
    page = client.get(reverse("edit_analytics"), {"since": "last week"})
    assert page.status_code == 200
    assert "YYYY-MM-DD 形式" in page.content.decode()
