"""Notes ready to be drafted (the stand-in LLM and eager tasks are in tests/conftest.py)."""

from papernotes.models import IngestionStage, IngestionStatus, NoteState, Paper, PaperIngestion, TextSource
from tests.factories import NoteFactory, PassageFactory, WeeklyIssueFactory

SECTIONS = ["1 Introduction", "2 Method", "3 Experiments", "4 Results", "5 Conclusion"]


def make_note(*, passages: int = 10, issue=None, **note_fields):
    """A note waiting for its draft, on a paper with extracted body passages (in ``issue``,
    else in an issue of its own)."""
    issue = issue or WeeklyIssueFactory()
    fields = {
        "summary": "",
        "summary_source": TextSource.EMPTY,
        "abstract_ja": "",
        "abstract_ja_source": TextSource.EMPTY,
        "state": NoteState.AWAITING_DRAFT,
        **note_fields,
    }
    note = NoteFactory(issue=issue, **fields)
    Paper.objects.filter(pk=note.paper_id).update(
        abstract_en=(
            "We introduce Prometheus 2, an open evaluator language model. It scores 0.897 Pearson correlation "
            "on four direct assessment benchmarks and beats GPT-4 in 3 of 4 pairwise ranking benchmarks."
        )
    )
    PaperIngestion.objects.create(paper=note.paper, stage=IngestionStage.DONE, status=IngestionStatus.SUCCEEDED)
    for position in range(passages):
        PassageFactory(
            paper=note.paper,
            position=position,
            page_start=position // 2 + 1,
            page_end=position // 2 + 1,
            section=SECTIONS[position * len(SECTIONS) // max(passages, 1)],
        )
    note.refresh_from_db()
    return note
