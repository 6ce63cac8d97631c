"""The review screen for a day's work, as an editor sees it: each answer with the passage it
quotes beside it (quote highlighted, page linked), a save bar with only the actions the
note's state allows, the keyboard shortcuts on screen, and a Japanese page when refused."""

import datetime
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from editorial.admin.review import highlight, save_bar_buttons
from papernotes.drafting.evidence import _normalise_with_offsets, normalise, quote_in_passage, quote_spans
from papernotes.models import AnswerEvidence, IssueState, NoteState
from tests.editorial.test_admin import _form_data
from tests.factories import (
    NoteFactory,
    PaperFactory,
    PassageFactory,
    QuestionAnswerFactory,
    WeeklyIssueFactory,
    set_issue_state,
)

pytestmark = pytest.mark.django_db

PROSE = (
    "We fine-tune the model on 7B tokens. The length-controlled win rate against GPT-4 rises to 38.77% "
    "<b>with</b> self-play, & stays there."
)
TABLE = "Table 2: Results on PopQA.\nModel | PopQA | Win rate (%)\nAdapt-LLM | 81.42 | 36.77\nGPT-4 | 78.56 | 14.02"


@pytest.fixture
def note():
    issue = WeeklyIssueFactory(week_start=datetime.date(2024, 4, 29), state=IssueState.IN_REVIEW)
    paper = PaperFactory(arxiv_id="1912.00042", title="Self-Play Preference Optimization")
    note = NoteFactory(issue=issue, paper=paper, position=1, state=NoteState.DRAFTED)
    prose = PassageFactory(paper=paper, position=0, page_start=4, page_end=4, section="4 Experiments", text=PROSE)
    table = PassageFactory(paper=paper, position=1, page_start=7, page_end=7, section="5 Results", text=TABLE)
    table.is_table = True
    table.save()
    first = QuestionAnswerFactory(note=note, position=1, question="勝率は?", answer="38.77%に達します.")
    second = QuestionAnswerFactory(note=note, position=2, question="PopQAでは?", answer="81.42です.")
    AnswerEvidence.objects.create(
        qa=first,
        position=1,
        passage=prose,
        page_start=4,
        page_end=4,
        section="4 Experiments",
        quote="win rate against GPT-4 rises to 38.77% <b>with</b> self-play",
        verified=True,
    )
    AnswerEvidence.objects.create(
        qa=second, position=1, passage=table, page_start=7, page_end=7, section="5 Results",
        quote="Adapt-LLM 81.42 36.77", verified=True,
    )  # fmt: skip
    return note


def _url(note):
    return reverse("admin:papernotes_note_change", args=[note.pk])


def _evidence_of(html: str, position: int) -> str:
    match = re.search(rf'<section class="qa-evidence" aria-label="Q{position} の根拠">(.*?)</section>', html, re.S)
    assert match, f"no evidence beside Q{position}"
    return match.group(1)


def test_each_answer_shows_the_passage_it_quotes_with_the_quote_highlighted(editor_client, note):
    # When the editor opens the note
    html = editor_client.get(_url(note)).content.decode()

    # Then beside the first answer is its passage, escaped, the quote marked inside it
    first = _evidence_of(html, 1)
    assert (
        '<mark class="evidence__quote">win rate against GPT-4 rises to 38.77% &lt;b&gt;with&lt;/b&gt; self-play</mark>'
        in first
    )
    assert "We fine-tune the model on 7B tokens. The length-controlled " in first
    assert ", &amp; stays there." in first and "<b>" not in first
    # And a link to that page of the PDF on arXiv
    assert 'href="https://arxiv.org/pdf/1912.00042v1#page=4"' in first and ">p.4<" in first
    # And beside the second, the table row by row, the quoted row marked across its cells
    second = _evidence_of(html, 2)
    assert 'class="evidence__passage evidence__passage--table"' in second
    assert "Model | PopQA | Win rate (%)\n<mark" in second
    assert '<mark class="evidence__quote">Adapt-LLM | 81.42 | 36.77</mark>' in second
    # And the evidence is visible without a click: no closed 「根拠」 per answer
    assert "<details class=\"qa-evidence\"" not in html


def test_a_quote_not_found_in_its_passage_is_shown_apart_and_flagged(editor_client, note):
    # Given evidence whose quote is not in its passage (the machine misquoted)
    evidence = AnswerEvidence.objects.get(qa__position=1)
    evidence.quote = "the win rate doubles"
    evidence.verified = False
    evidence.save()
    # When the editor opens the note
    first = _evidence_of(editor_client.get(_url(note)).content.decode(), 1)
    # Then the passage has nothing marked, the quote is shown on its own, and said to be missing
    assert "<mark" not in first
    assert '<q lang="en">the win rate doubles</q>' in first
    assert "本文に見つかりません" in first


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        (NoteState.AWAITING_DRAFT, ["保存", "レビューを開始"]),
        (NoteState.DRAFTED, ["保存", "保存して承認", "保存して修正依頼"]),
        (NoteState.IN_REVIEW, ["保存", "保存して承認", "保存して修正依頼"]),
        (NoteState.CHANGES_REQUESTED, ["保存", "保存して承認", "レビューを開始"]),
        (NoteState.APPROVED, ["保存", "承認を取り消す", "保存して修正依頼"]),
    ],
)
def test_the_save_bar_offers_at_most_three_actions_that_fit_the_state(editor_client, note, state, buttons):
    # Given a note in each state
    type(note).objects.filter(pk=note.pk).update(state=state)
    # When the editor opens it
    html = editor_client.get(_url(note)).content.decode()
    bar = html[html.index('id="save-bar"') :]
    # Then the save bar has those buttons, and none of Django's own
    assert re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', bar) == buttons
    clutter = ("保存してもう一つ追加", "保存して編集を続ける", 'name="_addanother"', 'name="_save"', "保存してチェック")
    assert [text for text in clutter if text in html] == []


def test_an_editor_without_the_right_to_edit_gets_no_save_button(editor_client, note):
    # Given a note of a published issue (only chief editors correct it)
    set_issue_state(
        note.issue, IssueState.PUBLISHED, published_at=datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC)
    )
    # When an editor opens it
    html = editor_client.get(_url(note)).content.decode()
    # Then nothing in the save bar can change it
    bar = html[html.index('id="save-bar"') :]
    assert "<button" not in bar.split("</div>")[0]
    assert "このノートでできる操作はありません。" in bar


def test_save_stays_on_the_note(editor_client, note):
    # When the editor changes the abstract and presses 保存
    data = _form_data(editor_client.get(_url(note)))
    data["abstract_ja"] = "自己対戦で言語モデルを整合させる."
    data["_continue"] = "1"
    response = editor_client.post(_url(note), data)
    # Then it is saved and they come back to the same note (where review.js restores the place)
    assert response.status_code == 302 and response["Location"] == _url(note)
    note.refresh_from_db()
    assert note.abstract_ja == "自己対戦で言語モデルを整合させる."


def test_the_shortcuts_are_listed_on_screen(editor_client, note):
    html = editor_client.get(_url(note)).content.decode()
    legend = html[html.index('id="save-bar-keys"') :].split("</p>")[0]
    text = re.sub(r"<[^>]+>", "", legend)
    assert "Ctrl/⌘+S 保存" in text
    assert "Ctrl/⌘+Enter 保存して承認" in text
    assert "J/K または Alt+↓/↑ 次/前の Q&A" in text
    # And the buttons they press carry the shortcut
    assert 'data-shortcut="save"' in html and 'data-shortcut="approve"' in html


def test_a_refused_page_is_japanese_and_says_why(client, django_user_model, note):
    # Given a staff user with no editorial role
    outsider = django_user_model.objects.create_user("outsider", password="x", is_staff=True)
    client.force_login(outsider)
    # When they open a note
    response = client.get(_url(note))
    # Then they get a 403 page in Japanese, in the admin's look
    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="ja"' in html
    assert "この操作は許可されていません" in html
    assert "最新論文ノート 管理画面" in html


# -- the pieces ---------------------------------------------------------------------------


def test_the_main_step_comes_first_and_the_bar_never_exceeds_three():
    offered = [("start_review", "レビューを開始"), ("approve", "保存して承認"), ("request_changes", "保存して修正依頼")]
    buttons = save_bar_buttons(offered, may_edit_texts=True)
    assert [(b.name, b.value) for b in buttons] == [
        ("_continue", "1"),
        ("_workflow", "approve"),
        ("_workflow", "request_changes"),
    ]
    assert buttons[1].primary and buttons[1].shortcut == "approve"
    assert [b.value for b in save_bar_buttons(offered, may_edit_texts=False)] == ["approve", "request_changes"]


def test_highlight_escapes_everything():
    marked = highlight("a <i>b</i> & c", [(2, 10)])
    assert marked == 'a <mark class="evidence__quote">&lt;i&gt;b&lt;/i&gt;</mark> &amp; c'


def test_quote_spans_find_a_quote_cut_with_an_ellipsis_in_the_stored_text():
    passage = "We ﬁne-tune the  model.\nThen it improves by 3 points across all settings."
    spans = quote_spans("We fine-tune the model ... improves by 3 points", passage)
    assert [passage[start:end] for start, end in spans] == ["We ﬁne-tune the  model", "improves by 3 points"]


@given(st.text(alphabet=st.sampled_from("aZ -\n|ﬁ“”–\u00adİ.,7"), max_size=40))
def test_the_normalised_text_and_its_offsets_agree_with_normalise(text):
    normalised, offsets = _normalise_with_offsets(text)
    assert normalised == normalise(text)
    assert len(offsets) == len(normalised)
    assert offsets == sorted(offsets)


@given(st.text(alphabet=st.sampled_from("abc -|ﬁ"), min_size=12, max_size=30), st.integers(0, 10))
def test_quote_spans_agree_with_quote_in_passage(passage, start):
    quote = passage[start : start + 14]
    assert bool(quote_spans(quote, passage)) == quote_in_passage(quote, passage)
