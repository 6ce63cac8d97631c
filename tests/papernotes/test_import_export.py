"""import_issue / export_issue: back issues in, the same bytes out, bad files refused."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from papernotes.ingestion.arxiv_client import ArxivRecord
from papernotes.ingestion.pipeline import paper_apply_metadata
from papernotes.models import IssueState, Note, Paper, QuestionAnswer, TextSource, WeeklyIssue
from papernotes.textformat import render_document
from tests.textformat.samples import make_document

pytestmark = pytest.mark.django_db


def _import(*paths) -> str:
    out = io.StringIO()
    call_command("import_issue", *[str(p) for p in paths], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _export(week: str, capfdbinary) -> bytes:
    call_command("export_issue", week)
    return capfdbinary.readouterr().out


def _import_error(path) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_issue", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(info.value)


def _counts() -> tuple[int, ...]:
    return (WeeklyIssue.objects.count(), Paper.objects.count(), Note.objects.count(), QuestionAnswer.objects.count())


@pytest.fixture
def sample_file(tmp_path, sample_issue_bytes):
    path = tmp_path / "issue.txt"
    path.write_bytes(sample_issue_bytes)
    return path


def test_import_then_export_gives_back_the_same_bytes(sample_file, sample_issue_bytes, capfdbinary):
    # Given the sample issue imported
    output = _import(sample_file)
    assert "論文 10 本" in output
    # When it is exported
    exported = _export("2024-04-29", capfdbinary)
    # Then the bytes are identical, with no final newline
    assert exported == sample_issue_bytes
    issue = WeeklyIssue.objects.get()
    assert issue.state == IssueState.PUBLISHED and issue.published_at is not None
    assert issue.notes.count() == 10
    assert QuestionAnswer.objects.count() == 100
    note = issue.notes.get(position=1)
    assert note.summary_source == TextSource.IMPORTED
    assert note.abstract_ja_source == TextSource.IMPORTED


def test_import_maps_category_names_to_codes_when_unambiguous(sample_file):
    _import(sample_file)
    rag = Paper.objects.get(arxiv_id="2404.19705")
    assert rag.categories == ["cs.CL", "cs.IR"]
    sppo = Paper.objects.get(arxiv_id="2405.00675")
    # "Machine Learning" is cs.LG or stat.ML: no code is guessed, and the displayed names
    # are kept verbatim on the issue's note
    assert sppo.categories == ["cs.AI", "cs.CL"]
    assert sppo.notes.get().paper_as_shown.category_names == (
        "Machine Learning",
        "Artificial Intelligence",
        "Computation and Language",
        "Machine Learning",
    )
    assert sppo.latest_version == 4
    assert sppo.abs_url == "http://arxiv.org/abs/2405.00675v4"


def test_published_issue_does_not_change_when_arxiv_does(sample_file, sample_issue_bytes, capfdbinary, client):
    # Given the imported sample issue
    _import(sample_file)
    # When arXiv later has a v2 of its first paper, with a new title and date
    paper = Paper.objects.get(arxiv_id="2405.01535")
    paper_apply_metadata(
        paper_id=paper.pk,
        record=ArxivRecord(
            arxiv_id="2405.01535",
            version=2,
            title="Prometheus 2 (revised)",
            authors=("Seungone Kim",),
            abstract="Revised.",
            published=datetime.datetime(2024, 5, 2, 12, tzinfo=datetime.UTC),
            updated=datetime.datetime(2024, 9, 1, 12, tzinfo=datetime.UTC),
            categories=("cs.CL", "cs.AI"),
            primary_category="cs.CL",
            pdf_url="http://arxiv.org/pdf/2405.01535v2",
            abs_url="http://arxiv.org/abs/2405.01535v2",
        ),
    )
    # Then the paper knows v2, but the published issue still reads as it was published
    paper.refresh_from_db()
    assert (paper.latest_version, paper.title) == (2, "Prometheus 2 (revised)")
    assert _export("2024-04-29", capfdbinary) == sample_issue_bytes
    page = client.get("/issues/2024-04-29/").content.decode()
    assert "https://arxiv.org/pdf/2405.01535v1" in page and "(revised)" not in page


def test_importing_an_older_issue_never_rolls_a_paper_back(sample_file, tmp_path, capfdbinary, sample_issue_bytes):
    # Given the sample imported (SPPO at v4, updated 2024-06-14)
    _import(sample_file)
    # When an earlier back issue shows the same paper at v1
    document = make_document(week_start=datetime.date(2024, 4, 22), papers=1, qas=1)
    section = document.papers[0]
    older = type(document)(
        week_start=document.week_start,
        intro="",
        papers=(
            type(section)(**{**section.__dict__, "title": "SPPO (v1)", "pdf_url": "http://arxiv.org/pdf/2405.00675v1"}),
        ),
    )
    path = tmp_path / "older.txt"
    path.write_text(render_document(older), encoding="utf-8")
    _import(path)
    # Then the paper keeps v4, and each issue exports as it was written
    sppo = Paper.objects.get(arxiv_id="2405.00675")
    assert (sppo.latest_version, sppo.latest_updated_on) == (4, datetime.date(2024, 6, 14))
    assert _export("2024-04-22", capfdbinary) == path.read_bytes()
    assert _export("2024-04-29", capfdbinary) == sample_issue_bytes


def test_export_to_a_file(sample_file, sample_issue_bytes, tmp_path):
    _import(sample_file)
    target = tmp_path / "out.txt"
    call_command("export_issue", "2024-04-29", "-o", str(target), stderr=io.StringIO())
    assert target.read_bytes() == sample_issue_bytes


def test_reimport_updates_in_place_and_never_duplicates(sample_file, sample_issue_bytes, capfdbinary):
    _import(sample_file)
    before = _counts()
    # When the same file is imported again, with one answer corrected
    sample_file.write_bytes(
        sample_issue_bytes.replace("透明性と信頼性を確保するためです".encode(), "透明性を確保するためです".encode())
    )
    _import(sample_file)
    # Then nothing is duplicated and the change is there
    assert _counts() == before
    assert "透明性を確保するためです".encode() in _export("2024-04-29", capfdbinary)


def test_reimport_keeps_what_an_editor_wrote(sample_file, sample_issue_bytes, capfdbinary):
    _import(sample_file)
    note = Note.objects.get(issue__week_start=datetime.date(2024, 4, 29), position=1)
    note.set_editor_text("summary", "編集者が直した要約.")
    note.save()
    output = _import(sample_file)
    note.refresh_from_db()
    assert note.summary == "編集者が直した要約." and note.summary_source == TextSource.EDITOR
    assert "編集者の文章を保持しました" in output


def test_reimport_with_papers_reordered_and_removed(tmp_path, capfdbinary):
    path = tmp_path / "generated.txt"
    document = make_document(papers=4, qas=3)
    path.write_text(render_document(document), encoding="utf-8")
    _import(path)
    # When the file is re-imported with the papers reversed and one dropped
    smaller = make_document(papers=4, qas=3)
    smaller = type(smaller)(week_start=smaller.week_start, intro=smaller.intro, papers=smaller.papers[:0:-1])
    path.write_text(render_document(smaller), encoding="utf-8")
    _import(path)
    # Then the export is the new file, exactly
    assert _export(smaller.week_start.isoformat(), capfdbinary) == render_document(smaller).encode()
    assert Note.objects.count() == 3


@pytest.mark.parametrize(("papers", "qas"), [(1, 1), (5, 9), (12, 11)])
def test_generated_issues_round_trip_through_the_database(tmp_path, capfdbinary, papers, qas):
    document = make_document(week_start=datetime.date(2025, 1, 6), papers=papers, qas=qas)
    path = tmp_path / "generated.txt"
    path.write_text(render_document(document), encoding="utf-8")
    _import(path)
    assert _export("2025-01-06", capfdbinary) == path.read_bytes()


def test_several_files_in_one_call(sample_file, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text(render_document(make_document()), encoding="utf-8")
    output = _import(sample_file, other)
    assert WeeklyIssue.objects.count() == 2
    assert output.count("取り込みました") == 2


# -- bad input: a clear message naming the line, a non-zero exit, nothing changed -------


def _assert_refused(tmp_path, data: bytes, *expected: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    message = _import_error(path)
    for text in expected:
        assert text in message
    assert _counts() == (0, 0, 0, 0)


def test_not_utf8_is_refused(tmp_path, sample_issue_bytes):
    data = sample_issue_bytes.decode().encode("shift_jis", errors="replace")
    _assert_refused(tmp_path, data, "1 行目", "UTF-8")


def test_missing_field_is_refused(tmp_path, sample_issue_bytes):
    data = sample_issue_bytes.replace("最終更新日:2024年06月14日\n".encode(), b"")
    _assert_refused(tmp_path, data, "85 行目", "最終更新日:")


def test_question_without_answer_is_refused(tmp_path, sample_issue_bytes):
    lines = sample_issue_bytes.split(b"\n")
    del lines[96]  # the answer on line 97
    _assert_refused(tmp_path, b"\n".join(lines), "97 行目", "A: ")


def test_same_paper_twice_is_refused(tmp_path):
    document = make_document(papers=3)
    twice = type(document)(
        week_start=document.week_start,
        intro=document.intro,
        papers=(
            *document.papers[:2],
            document.papers[0].__class__(**{**document.papers[2].__dict__, "pdf_url": document.papers[0].pdf_url}),
        ),
    )
    _assert_refused(tmp_path, render_document(twice).encode(), "同じ論文(2506.00001)", "行目")


def test_broken_table_of_contents_is_refused(tmp_path, sample_issue_bytes):
    data = sample_issue_bytes.replace(b"  7. RAG", b"  8. RAG")
    _assert_refused(tmp_path, data, "23 行目", "目次の番号は 7")


def test_cut_off_file_is_refused(tmp_path, sample_issue_bytes):
    _assert_refused(tmp_path, sample_issue_bytes[: len(sample_issue_bytes) // 2], "途中で終わっています")


def test_missing_file_is_refused(tmp_path):
    message = _import_error(tmp_path / "missing.txt")
    assert "missing.txt" in message and "取り込めませんでした" in message


def test_a_bad_file_does_not_stop_the_good_ones_but_fails_the_command(sample_file, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not an issue", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_issue", str(sample_file), str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert WeeklyIssue.objects.count() == 1


def test_export_of_unknown_week_fails_clearly():
    with pytest.raises(CommandError, match="2030-01-07 の週刊号はありません"):
        call_command("export_issue", "2030-01-07")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_issue", "next-week")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8029\\@arxiv.org/pdf/2405.01535v1",
        "http://user@arxiv.org/pdf/2405.01535v1",
    ],
)
def test_a_url_line_that_parsers_read_differently_is_refused(tmp_path, sample_issue_bytes, url):
    # It would become the readers' link; urllib3 reads the first one as a link to 127.0.0.1.
    data = sample_issue_bytes.replace(b"URL:http://arxiv.org/pdf/2405.01535v1", f"URL:{url}".encode())
    assert data != sample_issue_bytes

    _assert_refused(tmp_path, data, "URL", url)
