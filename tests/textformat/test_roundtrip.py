"""The weekly text format reads and writes without loss (no database involved)."""

import datetime

import pytest

from papernotes.textformat import decode_issue_bytes, parse_issue_text, render_document

from .samples import make_document


def test_sample_issue_parses_into_ten_papers_with_their_qa(sample_issue_bytes):
    # Given the real published issue
    # When it is parsed
    document = parse_issue_text(decode_issue_bytes(sample_issue_bytes))
    # Then the week, the papers and their Q&A are what the file shows
    assert document.week_start == datetime.date(2024, 4, 29)
    assert [len(p.qas) for p in document.papers] == [10, 10, 9, 10, 10, 11, 10, 10, 10, 10]
    first = document.papers[0]
    assert first.title.startswith("Prometheus 2:")
    assert first.authors[0] == "Seungone Kim" and len(first.authors) == 10
    assert first.first_published_on == datetime.date(2024, 5, 2)
    assert first.pdf_url == "http://arxiv.org/pdf/2405.01535v1"
    assert document.papers[1].category_names == (
        "Machine Learning",
        "Artificial Intelligence",
        "Computation and Language",
        "Machine Learning",
    )
    assert document.papers[0].qas[0].question.startswith("プロメテウス2』開発")


def test_sample_issue_renders_back_byte_for_byte(sample_issue_bytes):
    document = parse_issue_text(decode_issue_bytes(sample_issue_bytes))
    assert render_document(document).encode("utf-8") == sample_issue_bytes


@pytest.mark.parametrize(
    ("week", "papers", "qas", "intro"),
    [
        (datetime.date(2023, 1, 2), 1, 1, "一本だけの号."),
        (datetime.date(2025, 6, 23), 3, 9, "今週の論文です."),
        (datetime.date(2024, 12, 30), 12, 11, ""),
        (datetime.date(2026, 11, 23), 10, 10, "二行の\n前書き."),
    ],
)
def test_other_issues_round_trip(week, papers, qas, intro):
    # Given an issue of another week, size and shape
    document = make_document(week_start=week, papers=papers, qas=qas, intro=intro)
    text = render_document(document)
    # When it is parsed back
    parsed = parse_issue_text(text)
    # Then the same document and the same text come back
    assert parsed.week_start == week
    assert [(p.title, p.qas, p.abstract_ja, p.summary) for p in parsed.papers] == [
        (p.title, p.qas, p.abstract_ja, p.summary) for p in document.papers
    ]
    assert parsed.intro == intro
    assert render_document(parsed) == text
    assert not text.endswith("\n")


def test_multiline_answers_and_abstracts_round_trip():
    document = make_document(papers=2, qas=2)
    text = render_document(document)
    text = text.replace("回答 1-1 です.", "回答 1-1 です.\n続きの行です.").replace(
        "これは 2 本目の論文の概要です.", "これは 2 本目の論文の概要です.\n\n二段落目です."
    )
    parsed = parse_issue_text(text)
    assert parsed.papers[0].qas[0].answer == "回答 1-1 です.\n続きの行です."
    assert "\n\n二段落目です." in parsed.papers[1].abstract_ja
    assert render_document(parsed) == text


def test_one_trailing_newline_and_crlf_are_tolerated(sample_issue_bytes):
    text = sample_issue_bytes.decode()
    for variant in (text + "\n", text.replace("\n", "\r\n")):
        assert render_document(parse_issue_text(variant)) == text
