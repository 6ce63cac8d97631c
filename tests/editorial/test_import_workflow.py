"""Importing back issues goes through the workflow and never publishes a week in progress."""

import datetime
import io
import zoneinfo

import feedparser
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from editorial.choices import Severity, WorkflowAction
from editorial.models import QualityFinding, WorkflowEvent
from papernotes.models import IssueState, NoteState, WeeklyIssue
from tests.factories import NoteFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

SAMPLE_WEEK = datetime.date(2024, 4, 29)


@pytest.fixture
def sample_file(tmp_path, sample_issue_bytes):
    path = tmp_path / "issue.txt"
    path.write_bytes(sample_issue_bytes)
    return path


def test_a_new_week_is_published_by_the_workflow_with_an_audit_row(sample_file):
    # When a back issue of a new week is imported
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # Then it is published, every note approved, with frozen metadata and a system audit row
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.state == IssueState.PUBLISHED and issue.published_at is not None
    assert set(issue.notes.values_list("state", flat=True)) == {NoteState.APPROVED}
    assert all(note.paper_as_shown_data for note in issue.notes.all())
    event = WorkflowEvent.objects.get(issue=issue, action=WorkflowAction.ISSUE_PUBLISH)
    assert event.actor is None and event.comment == "過去の号の取り込み"


@pytest.mark.parametrize("state", [IssueState.COLLECTING, IssueState.IN_REVIEW, IssueState.READY])
def test_importing_over_a_week_in_progress_is_refused_and_changes_nothing(sample_file, state):
    # Given the same week exists as an unpublished issue with a draft note
    issue = WeeklyIssueFactory(week_start=SAMPLE_WEEK, state=state, intro="作業中の前書き.")
    NoteFactory(issue=issue, position=1, state=NoteState.IN_REVIEW)
    err = io.StringIO()
    # When the back issue of that week is imported
    with pytest.raises(CommandError):
        call_command("import_issue", str(sample_file), stdout=io.StringIO(), stderr=err)
    # Then the editor is told why, and the week is exactly as it was: not published
    assert "未公開" in err.getvalue() and "取り込みで上書き・公開できません" in err.getvalue()
    issue.refresh_from_db()
    assert (issue.state, issue.published_at, issue.intro) == (state, None, "作業中の前書き.")
    assert issue.notes.count() == 1
    assert not WorkflowEvent.objects.exists()


def test_reimporting_a_withdrawn_week_updates_it_without_publishing(sample_file):
    # Given the sample week was imported, then withdrawn
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    WeeklyIssue.objects.filter(week_start=SAMPLE_WEEK).update(state=IssueState.WITHDRAWN)
    # When it is imported again
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # Then it stays withdrawn
    assert WeeklyIssue.objects.get(week_start=SAMPLE_WEEK).state == IssueState.WITHDRAWN


def test_a_reimport_that_changes_a_published_week_is_recorded_as_a_correction(sample_file, sample_issue_bytes):
    # Given the sample week imported (published)
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # When the same file is imported again unchanged, nothing is recorded
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert (issue.state, issue.corrected_at) == (IssueState.PUBLISHED, None)
    # When it is imported with one answer changed
    sample_file.write_bytes(
        sample_issue_bytes.replace("透明性と信頼性を確保するためです".encode(), "透明性を確保するためです".encode())
    )
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    # Then readers see 「更新」 and the log says why
    issue.refresh_from_db()
    assert issue.state == IssueState.CORRECTED and issue.corrected_at is not None
    event = WorkflowEvent.objects.get(action=WorkflowAction.ISSUE_CORRECT)
    assert event.actor is None and "取り込み直して訂正" in event.comment


def test_a_reimport_that_would_change_a_withdrawn_week_is_refused(sample_file, sample_issue_bytes):
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    WeeklyIssue.objects.filter(week_start=SAMPLE_WEEK).update(state=IssueState.WITHDRAWN)
    sample_file.write_bytes(
        sample_issue_bytes.replace("透明性と信頼性を確保するためです".encode(), "透明性を確保するためです".encode())
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="データベースは変更されていません"):
        call_command("import_issue", str(sample_file), stdout=io.StringIO(), stderr=err)
    assert "取り下げ済みのため" in err.getvalue()
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.state == IssueState.WITHDRAWN
    assert issue.notes.filter(qas__answer__contains="透明性と信頼性を確保するためです").exists()


# --- the real publication date -------------------------------------------------------------

JST = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_a_back_issue_is_dated_at_the_end_of_its_week_not_at_the_import(sample_file, client):
    # When the 2024 sample issue is imported today, with no date given
    call_command("import_issue", str(sample_file), stdout=io.StringIO())

    # Then it is published on the Sunday that ends its week, 09:00 in Japan (the blog's text
    # carries no publication date of its own)
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.published_at == datetime.datetime(2024, 5, 5, 9, 0, tzinfo=JST)
    # and readers see that date on the home page and the issue page, the feed and the sitemap
    for url in ("/", "/issues/2024-04-29/"):
        html = client.get(url).content.decode()
        assert '公開:<time datetime="2024-05-05T09:00:00+09:00">2024年5月5日</time>' in html
    feed = feedparser.parse(client.get("/feed.atom").content)
    assert feed.entries[0].published_parsed[:5] == (2024, 5, 5, 0, 0)  # 09:00 JST in UTC
    assert "<lastmod>2024-05-05</lastmod>" in client.get("/sitemap-issues.xml").content.decode()


def test_a_reimport_never_moves_the_date(sample_file):
    # Given the sample issue, imported once
    call_command("import_issue", str(sample_file), stdout=io.StringIO())
    first = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK).published_at

    # When it is imported again
    call_command("import_issue", str(sample_file), stdout=io.StringIO())

    # Then its date is the same
    assert WeeklyIssue.objects.get(week_start=SAMPLE_WEEK).published_at == first


def test_the_date_can_be_given_and_a_given_date_corrects_a_reimport(sample_file):
    # When the sample issue is imported with its date
    out = io.StringIO()
    call_command("import_issue", str(sample_file), published_at="2024-05-06T09:00", stdout=out)

    # Then it has that date, in Japan's time, and the command says so
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.published_at == datetime.datetime(2024, 5, 6, 9, 0, tzinfo=JST)
    assert "公開 2024-05-06 09:00" in out.getvalue()

    # And when it is imported again with another date (an issue imported before dates were kept)
    out = io.StringIO()
    call_command("import_issue", str(sample_file), published_at="2024-05-07T18:30+09:00", stdout=out)

    # Then the date is corrected, and the command says from what
    issue.refresh_from_db()
    assert issue.published_at == datetime.datetime(2024, 5, 7, 18, 30, tzinfo=JST)
    assert "公開日時を 2024-05-06 09:00 から変更しました" in out.getvalue()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("next monday", "日時として読めません"),
        ("2024-13-01", "日時として読めません"),
        ("2999-01-01T09:00", "未来です"),
    ],
)
def test_a_date_that_cannot_be_a_back_issues_is_refused_and_changes_nothing(sample_file, value, message):
    # When the sample issue is imported with a date that is not a date, or is in the future
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_issue", str(sample_file), published_at=value, stdout=io.StringIO(), stderr=err)

    # Then the operator is told why, in Japanese, and nothing was imported
    assert message in str(raised.value) + err.getvalue()
    assert not WeeklyIssue.objects.exists()


def test_one_date_is_not_given_to_several_files(sample_file, tmp_path, sample_issue_bytes):
    other = tmp_path / "other.txt"
    other.write_bytes(sample_issue_bytes.replace(b"2024-04-29~ 2024-05-05", b"2024-05-06~ 2024-05-12"))
    with pytest.raises(CommandError, match="1 つのファイル"):
        call_command("import_issue", str(sample_file), str(other), published_at="2024-05-06", stdout=io.StringIO())
    assert not WeeklyIssue.objects.exists()


def test_make_run_imports_the_sample_with_the_same_date(settings, tmp_path):
    # When a local site is set up (make run)
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("setup_local", stdout=io.StringIO())

    # Then the sample issue carries the end of its week, as import_issue gives it
    issue = WeeklyIssue.objects.get(week_start=SAMPLE_WEEK)
    assert issue.published_at == datetime.datetime(2024, 5, 5, 9, 0, tzinfo=JST)


def test_debris_from_the_blog_is_flagged_on_import_for_an_editor_to_fix(sample_file):
    # When the sample issue is imported: two abstracts end with 「:.” rel=”nofollow”>https://…」
    out = io.StringIO()
    call_command("import_issue", str(sample_file), stdout=out)

    # Then both are flagged as blocking debris on their notes, where the review screen shows them
    flagged = {
        (finding.note.paper.arxiv_id, finding.field)
        for finding in QualityFinding.objects.filter(code="debris").select_related("note__paper")
    }
    assert flagged == {("2404.19543", "abstract_ja"), ("2404.18930", "abstract_ja")}
    assert set(QualityFinding.objects.filter(code="debris").values_list("severity", flat=True)) == {Severity.BLOCKING}
    # and the import says so, with where and what
    report = out.getvalue()
    assert "要修正の指摘が" in report
    assert "2404.19543 概要: HTML の属性が残っています。" in report and "rel=”nofollow”" in report
