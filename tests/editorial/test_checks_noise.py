"""The checks point at what matters and no more: what they catch on the sample issue stays
caught, and a machine-drafted week leaves an editor a few 注意 per note, not thirty.

The sample's findings were recorded with ``manage.py run_checks 2024-04-29 --json`` after
importing it, before the checks learnt to tell ordinary words from names, to read numbers
in the body and its tables, and to compare answers without their shared boilerplate. Each
of them is a real problem of the published text, so each must still be reported. The
register check (です・ます in 概要 and answers, である in one-liners), added with the house
style, adds four: the sample's own departures from its voice; the debris check, taught
curly-quoted attributes, adds the tag ends 「”>」 of the two 概要 scraped with their links.
"""

import io
import json

import pytest
from django.core.management import call_command

from editorial.checks.services import note_findings, note_text_from_note
from tests.factories import NoteFactory, PaperFactory, PassageFactory
from tests.support.drafted_week import build_drafted_week

pytestmark = pytest.mark.django_db

SAMPLE_FINDINGS = [
    ("2405.01535", "question", 1, "name_variants", "「Prometheus」がカタカナで「プロメテウス」とも書かれています。"),
    ("2405.01535", "question", 1, "unbalanced_brackets", "「』」に対応する括弧・引用符がありません。"),
    ("2405.01535", "answer", 2, "name_variants", "「PROMETHEUS」と「Prometheus」の表記が混在しています。"),
    ("2405.00675", "question", 2, "name_variants", "「Preference」がカタカナで「プリファレンス」とも書かれています。"),
    ("2405.00675", "question", 8, "name_variants", "「Instruct」がカタカナで「インストラクト」とも書かれています。"),
    ("2405.00675", "answer", 10, "name_variants", "「sppo」と「SPPO」の表記が混在しています。"),
    ("2404.19737", "summary", None, "register", "一行要約はである調で書きます(です・ます調の文が 1 つあります)。"),
    ("2404.19737", "answer", 7, "register", "回答はです・ます調で書きます(である調の文が 2 つあります)。"),
    ("2405.00200", "answer", 1, "truncated", "文が途中で切れているようです(文末が「長いコンテキスト」)。"),
    ("2405.00200", "answer", 8, "near_duplicate_answers", "Q4 の回答とほぼ同じです。"),
    ("2404.19756", "answer", 1, "unbalanced_brackets", "「(」に対応する括弧・引用符がありません。"),
    ("2404.19756", "answer", 11, "name_variants", "「url」と「URL」の表記が混在しています。"),
    ("2404.19543", "abstract_ja", None, "debris", "HTML の属性が残っています。"),
    ("2404.19543", "abstract_ja", None, "debris", "HTML タグの閉じが残っています。"),
    ("2404.19543", "abstract_ja", None, "debris", "リンクの抜けた跡が残っています。"),
    ("2404.19543", "abstract_ja", None, "unbalanced_brackets", "「”」に対応する括弧・引用符がありません。"),
    (
        "2404.19543",
        "question",
        8,
        "not_a_question",
        "質問の形(「…ですか?」「…を教えてください.」「…のか.」など)になっていません。",
    ),
    ("2404.19705", "summary", None, "name_variants", "「Adapt-LLM」と「ADAPT-LLM」の表記が混在しています。"),
    ("2404.19705", "summary", None, "register", "一行要約はである調で書きます(です・ます調の文が 1 つあります)。"),
    ("2404.19705", "abstract_ja", None, "unbalanced_brackets", "「)」に対応する括弧・引用符がありません。"),
    ("2404.19705", "answer", 2, "register", "回答はです・ます調で書きます(である調の文が 1 つあります)。"),
    ("2404.19705", "answer", 6, "name_variants", "「Adapt」がカタカナで「アダプト」とも書かれています。"),
    ("2404.18416", "abstract_ja", None, "name_variants", "「Gemini」がカタカナで「ジェミニ」とも書かれています。"),
    ("2404.18416", "question", 4, "name_variants", "「Gemini」がカタカナで「ジェミニ」とも書かれています。"),
    ("2404.18930", "abstract_ja", None, "debris", "HTML の属性が残っています。"),
    ("2404.18930", "abstract_ja", None, "debris", "HTML タグの閉じが残っています。"),
    ("2404.18930", "abstract_ja", None, "debris", "リンクの抜けた跡が残っています。"),
    ("2404.18930", "abstract_ja", None, "unbalanced_brackets", "「”」に対応する括弧・引用符がありません。"),
]


def test_the_sample_issue_keeps_every_real_finding(sample_issue_bytes, tmp_path):
    # Given the sample issue imported as a back issue
    path = tmp_path / "issue.txt"
    path.write_bytes(sample_issue_bytes)
    call_command("import_issue", str(path), stdout=io.StringIO())

    # When the checks run over it, as an editor would from the command line
    out = io.StringIO()
    call_command("run_checks", "2024-04-29", "--json", stdout=out, stderr=io.StringIO())

    # Then they report exactly what they reported before, and the six found since
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    found = [(r["arxiv_id"], r["field"], r["qa_position"], r["code"], r["message"]) for r in rows]
    assert found == SAMPLE_FINDINGS


def test_a_machine_drafted_week_leaves_a_few_warnings_per_note_and_catches_the_planted_defects():
    # Given a machine-drafted week: numbers from the passages and tables as models write
    # them, ordinary English words in both cases, and a few real defects planted
    week = build_drafted_week()
    notes = list(week.issue.notes.select_related("paper").order_by("position"))

    # When the checks run on every note
    findings = {note.paper.arxiv_id: [found for found, _print in note_findings(note)[1]] for note in notes}
    every = [found for found_in_note in findings.values() for found in found_in_note]

    # Then an editor meets at most three 注意 per note on average, and no 要修正
    assert sum(1 for found in every if found.severity == "warning") / len(notes) <= 3
    assert not [found for found in every if found.severity == "blocking"]
    # And every planted defect is among them
    codes = {"number": "number_not_in_source", "name": "name_variants", "repeat": "near_duplicate_answers"}
    for planted in week.planted:
        mine = [found for found in findings[planted.arxiv_id] if found.code == codes[planted.kind]]
        assert mine, planted


def test_numbers_are_compared_with_the_body_and_its_tables_but_not_with_chart_labels():
    # Given a paper whose abstract states no numbers, a table with the win rate, and a
    # chart whose axis is labelled 0 20 40 60 80 100
    paper = PaperFactory(abstract_en="We align language models by self-play.")
    table = "Table 3: Win rates.\nModel | Win rate (%)\nSPPO | 38.77"
    PassageFactory(paper=paper, position=0, text=table, is_table=True)
    PassageFactory(paper=paper, position=1, text="0 20 40 60 80 100\nWin rate (%)", is_figure_text=True)
    note = NoteFactory(paper=paper, abstract_ja="勝率は38.77%で、ベースラインより40%高い.")

    # When its checks run
    source = note_text_from_note(note).source_text
    messages = [found.message for found, _print in note_findings(note)[1] if found.code == "number_not_in_source"]

    # Then the table's figure is found, and the chart's tick label vouches for nothing
    assert "SPPO | 38.77" in source and "0 20 40" not in source
    assert messages == ["「40」は英語の原文(タイトル・概要・本文・表)に見当たりません。"]
