"""Stored findings: refreshed on save, dismissed with a reason while the text is unchanged,
and ``run_checks`` over an issue."""

import io
import json

import pytest
from django.core.management import call_command

from editorial.checks.selectors import open_findings, with_finding_counts
from editorial.checks.services import DismissalError, finding_dismiss, note_refresh_findings
from editorial.services import note_save_editor_changes
from papernotes.models import Note
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def note():
    paper = PaperFactory(title="Prometheus 2", abstract_en="We train on four benchmarks.")
    note = NoteFactory(paper=paper, position=1, abstract_ja="4つのベンチマークで学習します.また")
    for position in range(1, 9):
        QuestionAnswerFactory(note=note, position=position, question=f"論点{'あいうえおかきく'[position - 1]}は?")
    return note


def test_refresh_stores_findings_and_counts_them(note):
    note_refresh_findings(note_id=note.pk)
    (finding,) = open_findings().filter(note=note)
    assert (finding.code, finding.severity, finding.field) == ("truncated", "blocking", "abstract_ja")
    counted = with_finding_counts(Note.objects.filter(pk=note.pk)).get()
    assert (counted.blocking_count, counted.warning_count) == (1, 0)


def test_a_dismissal_holds_while_the_text_is_unchanged(note, editor, chief_editor):
    note_refresh_findings(note_id=note.pk)
    finding = open_findings().get(note=note)
    # When the chief editor dismisses the 要修正 finding with a reason
    finding_dismiss(finding=finding, actor=chief_editor, reason="原文も「また」で終わる引用のため.")
    # Then it is no longer open, even after the checks run again
    note_refresh_findings(note_id=note.pk)
    assert not open_findings().filter(note=note).exists()
    # When the text changes (still cut off), the finding is back
    note_save_editor_changes(note=note, changed_data={"abstract_ja": "4つのベンチマークで学習し、"}, user=editor)
    note_refresh_findings(note_id=note.pk)
    assert open_findings().get(note=note).code == "truncated"


def test_a_dismissal_needs_a_reason_of_substance_and_a_role(note, editor, chief_editor, django_user_model):
    note_refresh_findings(note_id=note.pk)
    finding = open_findings().get(note=note)  # 要修正: the abstract is cut off
    for empty in (" ", ".", "ok!!", "問題なし"):
        with pytest.raises(DismissalError, match="理由"):
            finding_dismiss(finding=finding, actor=chief_editor, reason=empty)
    outsider = django_user_model.objects.create_user("outsider", password="x", is_staff=True)
    with pytest.raises(DismissalError, match="権限"):
        finding_dismiss(finding=finding, actor=outsider, reason="引用元の表記のとおり")
    # An editor dismisses 注意 findings; a 要修正 one is the chief editor's decision
    with pytest.raises(DismissalError, match="編集長だけ"):
        finding_dismiss(finding=finding, actor=editor, reason="引用元の表記のとおり")
    assert open_findings().filter(note=note).exists()


def test_run_checks_prints_one_json_object_per_finding_and_exits_zero(note):
    out, err = io.StringIO(), io.StringIO()
    call_command("run_checks", note.issue.week_start.isoformat(), "--json", stdout=out, stderr=err)
    (line,) = out.getvalue().splitlines()
    assert json.loads(line) == {
        "arxiv_id": note.paper.arxiv_id,
        "field": "abstract_ja",
        "qa_position": None,
        "code": "truncated",
        "severity": "blocking",
        "message": "文が途中で切れているようです(文末が「学習します.また」)。",
        "excerpt": "4つのベンチマークで学習します.また",
    }
    assert "指摘 1 件(truncated 1)" in err.getvalue()


def test_run_checks_on_the_sample_issue_prints_lines(sample_issue_bytes, tmp_path):
    path = tmp_path / "issue.txt"
    path.write_bytes(sample_issue_bytes)
    call_command("import_issue", str(path), stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()
    call_command("run_checks", "2024-04-29", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert any("unbalanced_brackets" in line and "プロメテウス2』" in line for line in lines)
    assert any("debris" in line and "rel=”nofollow”" in line for line in lines)
    assert all(len(line.split("\t")) == 6 for line in lines)


def test_empty_week_has_no_findings_and_still_exits_zero():
    issue = WeeklyIssueFactory()
    out = io.StringIO()
    call_command("run_checks", issue.week_start.isoformat(), stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""


def test_numbers_are_not_checked_against_the_title_alone():
    # Given a back issue's paper: a title, but no English abstract or passages yet
    paper = PaperFactory(title="Prometheus 2", abstract_en="")
    note = NoteFactory(paper=paper, position=1, abstract_ja="4つのベンチマークで38.77%を達成した.")
    # Then no number is reported as missing from a source that is not there
    note_refresh_findings(note_id=note.pk)
    assert not open_findings().filter(note=note, code="number_not_in_source").exists()
    # But once arXiv's abstract arrives, the numbers are checked against it
    paper.abstract_en = "We evaluate on four benchmarks."
    paper.save()
    note_refresh_findings(note_id=note.pk)
    assert list(open_findings().filter(note=note, code="number_not_in_source").values_list("excerpt", flat=True))
