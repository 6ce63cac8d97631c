"""Text that is not in the weekly format is refused with the line and what was expected."""

import pytest

from papernotes.textformat import IssueFormatError, decode_issue_bytes, parse_issue_text


@pytest.fixture
def sample_lines(sample_issue_bytes) -> list[str]:
    return sample_issue_bytes.decode().split("\n")


def _error_for(lines: list[str]) -> IssueFormatError:
    with pytest.raises(IssueFormatError) as info:
        parse_issue_text("\n".join(lines))
    return info.value


def test_not_utf8_names_the_line():
    data = "最新論文ノート:【2024-04-29~ 2024-05-05】\n\n".encode() + "前書き".encode("shift_jis")
    with pytest.raises(IssueFormatError) as info:
        decode_issue_bytes(data)
    assert info.value.line_no == 3
    assert "UTF-8" in str(info.value)


def test_empty_file():
    assert _error_for([]).line_no == 1


def test_bad_heading(sample_lines):
    sample_lines[0] = "最新論文ノート:【2024-04-30~ 2024-05-06】"
    error = _error_for(sample_lines)
    assert error.line_no == 1 and "月曜日" in str(error)
    sample_lines[0] = "Weekly notes"
    assert "見出し" in str(_error_for(sample_lines))


def test_missing_field_names_the_line(sample_lines):
    # Given the first paper without its 最終更新日 line (line 40)
    assert sample_lines[39].startswith("最終更新日:")
    del sample_lines[39]
    # Then the parser says which line and which field
    error = _error_for(sample_lines)
    assert error.line_no == 40
    assert "最終更新日:" in str(error)
    assert "URL:" in str(error)  # what it found instead


def test_question_without_answer(sample_lines):
    # Line 52 is the first answer of the first paper
    assert sample_lines[51].startswith("A: ")
    del sample_lines[51]
    error = _error_for(sample_lines)
    assert error.line_no == 52
    assert "A: " in str(error)


def test_broken_table_of_contents_number(sample_lines):
    sample_lines[7] = sample_lines[7].replace("  2. ", "  3. ")
    error = _error_for(sample_lines)
    assert error.line_no == 8
    assert "目次の番号は 2" in str(error)


def test_broken_table_of_contents_date(sample_lines):
    del sample_lines[5]  # the TOC's 発行日 line of paper 1
    error = _error_for(sample_lines)
    assert error.line_no == 6
    assert "発行日" in str(error)


def test_title_that_does_not_match_the_table_of_contents(sample_lines):
    sample_lines[35] = "Some Other Title"
    error = _error_for(sample_lines)
    assert error.line_no == 36
    assert "Prometheus 2" in str(error)


def test_cut_off_file(sample_lines):
    error = _error_for(sample_lines[:200])
    assert "途中で終わっています" in str(error)
    assert error.line_no == 200  # the slice ends with a blank line, read as the final newline
    assert "5 番目の論文のタイトル" in str(error)


def test_cut_off_inside_table_of_contents(sample_lines):
    error = _error_for(sample_lines[:10])
    assert "途中で終わっています" in str(error)


def test_impossible_date(sample_lines):
    sample_lines[38] = "発行日:2024年02月30日"
    error = _error_for(sample_lines)
    assert error.line_no == 39


def test_trailing_garbage(sample_lines):
    error = _error_for([*sample_lines, "", "おまけの行"])
    assert "余分な内容" in str(error)


def test_an_answer_past_its_length_cap_is_refused_like_in_the_admin(sample_lines):
    # given the first answer of the first paper made 5,001 characters long (the cap is 5,000)
    first_answer = next(i for i, line in enumerate(sample_lines) if line.startswith("A: "))
    sample_lines[first_answer] = "A: " + "あ" * 5_001

    error = _error_for(sample_lines)

    assert "この論文のA1は 5,000 文字以内にしてください(いまは 5,001 文字です)" in str(error)
