"""Creating a week's issue from a pasted list: what is added, merged, reused and reported."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from papernotes.ingestion.services import IssueListError, issue_create_from_list
from papernotes.models import IssueSourceList, Note, Paper, PaperIngestion, WeeklyIssue
from tests.factories import NoteFactory, PaperFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

WEEK = datetime.date(2024, 4, 29)


@pytest.fixture
def ml_papers_section(request) -> str:
    from tests.conftest import FIXTURES

    return (FIXTURES / "ml-papers-of-the-week-2024-04-29.md").read_text(encoding="utf-8")


def test_pasted_section_makes_a_draft_issue_with_ten_papers(ml_papers_section, django_capture_on_commit_callbacks):
    # Given the 2024-04-29 section of the ML Papers of the Week list (plus a 2025 section)
    # When an editor creates the week's issue from it
    with django_capture_on_commit_callbacks() as callbacks:
        result = issue_create_from_list(text=ml_papers_section, week_start=WEEK)
    # Then the issue has the ten papers of that week, in the list's order, each queued
    issue = WeeklyIssue.objects.get(week_start=WEEK)
    assert issue.state == "collecting" and result.issue_created
    assert [n.paper.arxiv_id for n in issue.notes.order_by("position")][:2] == ["2404.19756", "2404.19737"]
    assert issue.notes.count() == 10
    assert PaperIngestion.objects.filter(status="pending").count() == 10
    # And the ingestion task is enqueued once, after the commit
    assert len(callbacks) == 1
    # And the submitted list is kept with its report
    source = IssueSourceList.objects.get(issue=issue)
    assert len(source.accepted) == 10


def test_week_is_read_from_the_heading_when_not_given(ml_papers_section):
    section = ml_papers_section.split("## Top ML Papers of the Week (June 23")[0]
    result = issue_create_from_list(text=section)
    assert result.issue.week_start == WEEK


def test_ids_in_any_form_duplicates_merged_and_known_papers_reused():
    known = PaperFactory(arxiv_id="2405.01535", title="Prometheus 2")
    text = "\n".join(
        [
            "arXiv:2405.01535",
            "https://arxiv.org/abs/2405.00675v2",
            "http://www.arxiv.org/pdf/2405.00675.pdf",  # the same paper again
            "hep-th/9901001",
        ]
    )
    result = issue_create_from_list(text=text, week_start=WEEK)
    assert result.added == ["2405.01535", "2405.00675", "hep-th/9901001"]
    assert result.reused_papers == ["2405.01535"]
    assert len(result.duplicates) == 1
    assert Paper.objects.count() == 3
    assert Note.objects.get(paper=known).position == 1


def test_entries_not_on_arxiv_are_reported_not_dropped(ml_papers_section):
    section_2025 = "## Top ML Papers of the Week" + ml_papers_section.split("## Top ML Papers of the Week")[2]
    result = issue_create_from_list(text=section_2025, week_start=datetime.date(2025, 6, 23))
    assert result.added == ["2506.01234", "2506.04321"]
    reasons = " ".join(r["reason"] for r in result.rejected)
    assert len(result.rejected) == 2
    assert "example.org" in reasons
    source = IssueSourceList.objects.get()
    assert len(source.rejected) == 2


def test_adding_to_an_existing_draft_keeps_its_notes():
    issue_create_from_list(text="2405.01535", week_start=WEEK)
    result = issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK)
    assert not result.issue_created
    assert result.already_in_issue == ["2405.01535"] and result.added == ["2405.00675"]
    assert [n.position for n in Note.objects.order_by("position")] == [1, 2]


YEARLESS = "## Top ML Papers of the Week (May 1-7)\n| 1) **A Paper** - x | [Paper](https://arxiv.org/abs/2305.01863) |"
TWO_WEEKS = (
    "## Top ML Papers of the Week (May 6 - May 12) - 2024\n"
    "| 1) **A Paper** - x | [Paper](https://arxiv.org/abs/2405.01535) |\n"
    "## Top ML Papers of the Week (April 29 - May 5) - 2024\n"
    "| 1) **B Paper** - x | [Paper](https://arxiv.org/abs/2404.19756) |\n"
)


@pytest.mark.parametrize(
    ("text", "week", "message", "field"),
    [
        ("", WEEK, "貼り付けられたテキストが空です", "text"),
        ("no ids here at all", WEEK, "arXiv の ID や URL が見つかりません", "text"),
        ("2405.01535", None, "週を指定してください(貼り付けた一覧には週の見出しがありません)", "week_start"),
        ("2405.01535", datetime.date(2024, 4, 30), "月曜日", "week_start"),
        # A Tuesday is refused as such even when the list has weeks, not as "no such week"
        (TWO_WEEKS, datetime.date(2024, 4, 30), "週の開始日は月曜日にしてください: 2024-04-30", "week_start"),
        ("| 1) **Blog** - x | [Blog](https://example.org/post) |", WEEK, "一本も", "text"),
        # The real reason there is no week: a missing year, several weeks, a week not pasted
        (YEARLESS, None, "年が書かれていないため", "week_start"),
        (TWO_WEEKS, None, "2 週分の見出しが貼り付けられています", "week_start"),
        (TWO_WEEKS, datetime.date(2024, 5, 13), "2024-05-13 から始まる週の見出しが見つかりません", "week_start"),
    ],
)
def test_bad_lists_are_refused_and_change_nothing(text, week, message, field):
    with pytest.raises(IssueListError) as info:
        issue_create_from_list(text=text, week_start=week)
    assert message in str(info.value)
    assert info.value.field == field
    assert (WeeklyIssue.objects.count(), Paper.objects.count(), IssueSourceList.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    "text",
    [
        TWO_WEEKS,
        "## Top ML Papers of the Week (May 1 - May 7) - 2024\n| 1) **A** | [Paper](https://arxiv.org/abs/2405.01535) |",
    ],
    ids=["several-weeks", "wednesday-start"],
)
def test_a_heading_with_a_year_is_never_blamed_for_a_missing_one(text):
    with pytest.raises(IssueListError) as info:
        issue_create_from_list(text=text)
    assert "年が書かれていない" not in str(info.value)
    assert "週" in str(info.value)


def test_a_2023_section_becomes_the_week_the_editor_gives():
    result = issue_create_from_list(text=YEARLESS, week_start=datetime.date(2023, 5, 1))
    assert result.issue.week_start == datetime.date(2023, 5, 1)
    assert result.added == ["2305.01863"]
    assert result.notices == []


def test_a_single_section_given_another_week_is_that_week_and_the_result_says_so(ml_papers_section):
    section = ml_papers_section.split("## Top ML Papers of the Week (June 23")[0]
    result = issue_create_from_list(text=section, week_start=datetime.date(2024, 5, 6))
    assert result.issue.week_start == datetime.date(2024, 5, 6)
    assert len(result.added) == 10
    (notice,) = result.notices
    assert "2024-04-29 からの週ですが、指定された週 2024-05-06 の号として読み込みました" in notice


def test_published_issue_refusal_points_at_the_week():
    WeeklyIssueFactory(week_start=WEEK, published=True)
    with pytest.raises(IssueListError) as info:
        issue_create_from_list(text="2405.01535", week_start=WEEK)
    assert info.value.field == "week_start"


def test_a_published_issue_is_not_changed():
    issue = WeeklyIssueFactory(week_start=WEEK, published=True)
    NoteFactory(issue=issue)
    with pytest.raises(IssueListError, match="公開済み"):
        issue_create_from_list(text="2405.01535", week_start=WEEK)
    assert issue.notes.count() == 1


def test_new_issue_command(tmp_path, ml_papers_section):
    listing = tmp_path / "week.md"
    listing.write_text(ml_papers_section, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("new_issue", "--week", "2024-04-29", str(listing), "2405.99999", stdout=out, stderr=err)
    # The file's section of that week (10 papers), then the id given on the command line
    assert "10 本の論文を追加しました" in out.getvalue()
    assert "1 本の論文を追加しました" in out.getvalue()
    assert Note.objects.count() == 11
    # And the other week's section of the same file gives its rejected rows on stderr
    call_command("new_issue", "--week", "2025-06-23", str(listing), stdout=out, stderr=err)
    assert "example.org" in err.getvalue() and "論文へのリンクがありません" in err.getvalue()
    assert "pipeline_status 2024-04-29" in out.getvalue()


def test_new_issue_command_bad_input():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("new_issue", "--week", "soon", "2405.01535")
    with pytest.raises(CommandError, match="週を指定してください"):
        call_command("new_issue", "2405.01535")


@pytest.mark.parametrize("name", ["week.md", "week.TXT", "lists/week", "lists/2024-04-29"])
def test_new_issue_command_names_a_list_file_that_is_not_there(tmp_path, name):
    # Given a path that looks like a list file but does not exist
    missing = tmp_path / name
    # When it is given to the command
    with pytest.raises(CommandError) as info:
        call_command("new_issue", "--week", "2024-04-29", str(missing), "2405.01535")
    # Then the error names the path, and nothing is created from the other arguments
    assert str(info.value) == f"ファイル {missing} が見つかりません(arXiv の ID や URL としても読めません)。"
    assert not WeeklyIssue.objects.exists()


def test_new_issue_command_names_a_directory(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("new_issue", "--week", "2024-04-29", str(tmp_path))
    assert str(info.value) == f"{tmp_path} はディレクトリです。論文リストのファイルを指定してください。"
    assert not WeeklyIssue.objects.exists()


def test_new_issue_command_still_takes_ids_and_urls_with_slashes():
    out = io.StringIO()
    call_command(
        "new_issue", "--week", "2024-04-29", "hep-th/9901001", "https://arxiv.org/abs/2405.01535",
        "arxiv.org/abs/2404.19756", stdout=out,
    )  # fmt: skip
    assert "3 本の論文を追加しました" in out.getvalue()


def test_new_issue_command_prints_the_notices(tmp_path, ml_papers_section):
    listing = tmp_path / "week.md"
    listing.write_text(ml_papers_section.split("## Top ML Papers of the Week (June 23")[0], encoding="utf-8")
    out = io.StringIO()
    call_command("new_issue", "--week", "2024-05-06", str(listing), stdout=out)
    assert "指定された週 2024-05-06 の号として読み込みました" in out.getvalue()


def test_pipeline_status_command():
    issue_create_from_list(text="2405.01535 2405.00675", week_start=WEEK)
    state = PaperIngestion.objects.get(paper__arxiv_id="2405.00675")
    state.status, state.stage, state.last_error = "failed", "pdf", "PDF ではありません"
    state.save()
    out = io.StringIO()
    call_command("pipeline_status", "2024-04-29", stdout=out)
    text = out.getvalue()
    assert "完了 0 / 失敗 1 / 全 2" in text
    assert "2405.00675" in text and "PDF ではありません" in text
    with pytest.raises(CommandError, match="2030-01-07 の週刊号はありません"):
        call_command("pipeline_status", "2030-01-07")
