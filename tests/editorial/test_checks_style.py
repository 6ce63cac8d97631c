"""The blog's voice, checked: house-style characters from the one definition drafting also
applies (papernotes.house_style), and the register of each field."""

import pytest
from django.test import override_settings

from editorial.checks import NoteText, QAText, run_checks
from papernotes.drafting.house_style import apply as drafting_applies
from papernotes.house_style import CHARACTER_RULES
from papernotes.textformat.parser import parse_issue_text

POLITE_ANSWER = "Prometheus 2は4つのベンチマークで評価されています."


def _note(**fields) -> NoteText:
    base = {
        "title_en": "Prometheus 2",
        "summary": "評価に特化したオープンな言語モデルを提案している.",
        "abstract_ja": "評価に特化した言語モデルPrometheus 2を紹介します.",
        "qas": (QAText(position=1, question="何を評価しますか?", answer=POLITE_ANSWER),),
    }
    return NoteText(**{**base, **fields})


def _found(note: NoteText, code: str) -> list:
    return [f for f in run_checks(note) if f.code == code]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("精度が12.5％向上しました.", "パーセントは半角の「%」で書きます。"),
        ("精度、速度，コストを比べます.", "読点は「、」で書きます(全角のカンマ「，」ではなく)。"),
        ("ＧＰＴ-4と比べます.", "英字は半角で書きます。"),
        ("評価器を提案します。", "文末は「.」で書きます(「。」ではなく)。"),
    ],
)
def test_a_character_the_blog_does_not_write_is_pointed_out(text, message):
    [found] = _found(_note(abstract_ja=text), "house_style")
    assert (found.message, found.severity, found.field) == (message, "warning", "abstract_ja")


@override_settings(DRAFTING_HOUSE_STYLE="blog")
def test_what_drafting_writes_is_what_the_check_expects():
    # Given a model's text with every character a rule covers
    every = "あ".join(char for rule in CHARACTER_RULES for char in rule.characters)
    text = f"結果です{every}です."

    # When drafting applies the house style, no house-style finding is left
    assert _found(_note(abstract_ja=text), "house_style")
    assert _found(_note(abstract_ja=drafting_applies(text)), "house_style") == []


def test_the_blogs_own_characters_are_kept():
    text = "「評価」・比較、そして1,000件の28.53%(約3割)を確認しました."
    assert drafting_applies(text) == text
    assert _found(_note(abstract_ja=text), "house_style") == []


def test_an_answer_in_plain_style_is_pointed_out_once_with_a_count():
    answer = "性能が向上した.推論も速くなった.詳しくは表2にあります."
    [found] = _found(_note(qas=(QAText(position=1, question="結果は?", answer=answer),)), "register")

    assert (found.field, found.qa_position, found.severity) == ("answer", 1, "warning")
    assert found.message == "回答はです・ます調で書きます(である調の文が 2 つあります)。"
    assert "向上した" in found.excerpt


def test_a_summary_in_polite_style_is_pointed_out():
    [found] = _found(_note(summary="高い一致度を示しています."), "register")
    assert found.message == "一行要約はである調で書きます(です・ます調の文が 1 つあります)。"


def test_noun_endings_questions_and_cut_off_text_say_nothing_of_register():
    note = _note(
        abstract_ja="Prometheus 2の紹介.評価器を公開しています.",
        summary="評価に特化したモデル.",
        qas=(QAText(position=1, question="何を評価するのか?", answer="4つのベンチマークです.また"),),
    )
    assert _found(note, "register") == []


def test_the_published_sample_issue_keeps_its_voice(sample_issue_bytes):
    # The sample issue was written to the house style: only the few sentences it writes in the
    # other register are pointed out (2 of 10 summaries; 3 of 282 answer sentences, in 2 answers).
    issue = parse_issue_text(sample_issue_bytes.decode("utf-8"))
    registers = []
    styles = []
    for paper in issue.papers:
        note = NoteText(
            title_en=paper.title,
            summary=paper.summary,
            abstract_ja=paper.abstract_ja,
            qas=tuple(QAText(position=n, question=qa.question, answer=qa.answer) for n, qa in enumerate(paper.qas, 1)),
        )
        registers += _found(note, "register")
        styles += [f for f in _found(note, "house_style") if "空白" not in f.message and "重なって" not in f.message]
    assert sorted(f.field for f in registers) == ["answer", "answer", "summary", "summary"]
    assert styles == []
