"""factory-boy factories for the content models."""

import datetime

import factory

from papernotes.models import (
    GlossaryEntry,
    IssueState,
    Note,
    NoteState,
    Paper,
    Passage,
    QuestionAnswer,
    TextSource,
    WeeklyIssue,
)


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    # A month no test names explicitly: tests use the sample week's real ids (2405.01535, …),
    # which a long run's sequence would otherwise reach.
    arxiv_id = factory.Sequence(lambda n: f"1912.{n:05d}")
    latest_version = 1
    title = factory.Sequence(lambda n: f"A Study of Things, Part {n}")
    authors = factory.LazyFunction(lambda: ["Ada Lovelace", "Alan Turing"])
    abstract_en = "We study things and find that they work."
    first_published_on = datetime.date(2024, 4, 30)
    latest_updated_on = datetime.date(2024, 4, 30)
    categories = factory.LazyFunction(lambda: ["cs.CL", "cs.LG"])
    pdf_url = factory.LazyAttribute(lambda p: f"http://arxiv.org/pdf/{p.arxiv_id}v{p.latest_version}")
    abs_url = factory.LazyAttribute(lambda p: f"http://arxiv.org/abs/{p.arxiv_id}v{p.latest_version}")


class WeeklyIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyIssue

    week_start = factory.Sequence(lambda n: datetime.date(2024, 1, 1) + datetime.timedelta(weeks=n))
    intro = "ここでは、今週の論文を紹介します."
    state = IssueState.COLLECTING

    class Params:
        published = factory.Trait(
            state=IssueState.PUBLISHED,
            published_at=factory.LazyFunction(lambda: datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC)),
        )


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    issue = factory.SubFactory(WeeklyIssueFactory)
    paper = factory.SubFactory(PaperFactory)
    position = factory.Sequence(lambda n: n + 1)
    state = NoteState.DRAFTED
    summary = "物事を研究し、うまくいくことを示した."
    summary_source = TextSource.IMPORTED
    abstract_ja = "私たちは物事を研究し、それがうまくいくことを発見しました."
    abstract_ja_source = TextSource.IMPORTED


class QuestionAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionAnswer

    note = factory.SubFactory(NoteFactory)
    position = factory.Sequence(lambda n: n + 1)
    question = "この論文の主な貢献は何ですか?"
    question_source = TextSource.IMPORTED
    answer = "物事がうまくいくことを示したことです."
    answer_source = TextSource.IMPORTED


class PassageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Passage

    paper = factory.SubFactory(PaperFactory)
    position = factory.Sequence(lambda n: n)
    page_start = 1
    page_end = 1
    section = "1 Introduction"
    text = factory.Sequence(
        lambda n: (
            f"Passage {n} of the paper. We train a model with 7 billion parameters on 2 trillion tokens "
            "and evaluate it on four benchmarks, where it improves accuracy by 3.5 points over the baseline."
        )
    )


class GlossaryEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GlossaryEntry

    term = factory.Sequence(lambda n: f"term {n}")
    preferred = factory.Sequence(lambda n: f"用語{n}")
    forbidden_variants = factory.LazyFunction(list)


def set_issue_state(issue: WeeklyIssue, state: str, **fields) -> WeeklyIssue:
    """Put an issue in ``state`` as test set-up (the workflow's transitions are tested in
    tests/editorial): the FSM field refuses assignment, so write the row, then save it once
    as the services do (``updated_at``, a history row, the readers' version stamp)."""
    WeeklyIssue.objects.filter(pk=issue.pk).update(state=state, **fields)
    fresh = WeeklyIssue.objects.get(pk=issue.pk)
    fresh.save()
    return fresh
