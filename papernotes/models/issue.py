"""Weekly issues and their notes: one note per paper, each with its Q&A pairs."""

import datetime
from functools import cached_property

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from .choices import ONCE_PUBLISHED_ISSUE_STATES, PUBLIC_ISSUE_STATES, IssueState, NoteState
from .limits import text_length_validators
from .paper import Paper
from .provenance import ProvenancedTextMixin, machine_draft_field, source_field
from .querysets import ContentQuerySet
from .shown import PaperAsShown

NEWSLETTER_NAME = "最新論文ノート"


class WeeklyIssue(FSMModelMixin, models.Model):
    """One weekly issue, Monday to Sunday. Readers see it only once published.

    ``state`` moves only through the transition methods below (django-fsm-2; direct
    assignment raises), and those are called only by ``editorial.workflow``, which adds
    the permission check, the guards and the audit row.
    """

    week_start = models.DateField(_("週の開始日(月曜日)"), unique=True)
    intro = models.TextField(_("前書き"), blank=True, default="")
    state = FSMField(
        _("状態"), max_length=16, choices=IssueState.choices, default=IssueState.COLLECTING, protected=True
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    corrected_at = models.DateTimeField(
        _("最終訂正日時"), null=True, blank=True, help_text=_("公開後に訂正した最後の日時(読者に「更新」と表示)")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("週刊号")
        verbose_name_plural = _("週刊号")
        ordering = ["-week_start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(week_start__iso_week_day=1),
                name="issue_week_starts_on_monday",
                violation_error_message=_("週の開始日は月曜日にしてください。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=ONCE_PUBLISHED_ISSUE_STATES) | models.Q(published_at__isnull=False),
                name="issue_published_has_time",
                violation_error_message=_("公開済みの号には公開日時が必要です。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("papernotes:issue_detail", kwargs={"week": self.week_start.isoformat()})

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    @property
    def title(self) -> str:
        # The blog's exact heading, including the space after "~".
        return f"{NEWSLETTER_NAME}:【{self.week_start:%Y-%m-%d}~ {self.week_end:%Y-%m-%d}】"

    @property
    def reader_title(self) -> str:
        """The issue's name on reader pages and in the feed, where the site's name is shown
        beside it already: 「2024-04-29〜2024-05-05 の号」."""
        return f"{self.week_start:%Y-%m-%d}〜{self.week_end:%Y-%m-%d} の号"

    @property
    def is_published(self) -> bool:
        """Visible to readers: published, with or without a later correction."""
        return self.state in PUBLIC_ISSUE_STATES

    @property
    def was_published(self) -> bool:
        """Published at some point (its notes show frozen paper metadata)."""
        return self.state in ONCE_PUBLISHED_ISSUE_STATES

    # -- transitions: bodies hold only what the state itself implies -------------------

    @transition(field=state, source=IssueState.COLLECTING, target=IssueState.IN_REVIEW)
    def submit_for_review(self) -> None:
        pass

    @transition(field=state, source=[IssueState.READY, IssueState.SCHEDULED], target=IssueState.IN_REVIEW)
    def return_to_review(self) -> None:
        pass

    @transition(field=state, source=IssueState.IN_REVIEW, target=IssueState.READY)
    def mark_ready(self) -> None:
        pass

    @transition(field=state, source=[IssueState.IN_REVIEW, IssueState.READY], target=IssueState.SCHEDULED)
    def schedule(self) -> None:
        pass

    @transition(
        field=state,
        source=[IssueState.COLLECTING, IssueState.IN_REVIEW, IssueState.READY, IssueState.SCHEDULED],
        target=IssueState.PUBLISHED,
    )
    def publish(self, *, at: datetime.datetime) -> None:
        self.published_at = at

    @transition(field=state, source=[IssueState.PUBLISHED, IssueState.CORRECTED], target=IssueState.CORRECTED)
    def correct(self, *, at: datetime.datetime) -> None:
        self.corrected_at = at

    @transition(field=state, source=[IssueState.PUBLISHED, IssueState.CORRECTED], target=IssueState.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class Note(FSMModelMixin, ProvenancedTextMixin, models.Model):
    """The Japanese notes on one paper within one weekly issue.

    ``state`` is the review state; like the issue's, it changes only through the
    transition methods, called by ``editorial.workflow``.
    """

    provenanced_fields = ("summary", "abstract_ja")

    issue = models.ForeignKey(WeeklyIssue, on_delete=models.CASCADE, related_name="notes", verbose_name=_("週刊号"))
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="notes", verbose_name=_("論文"))
    position = models.PositiveSmallIntegerField(_("順番"))
    state = FSMField(
        _("状態"), max_length=20, choices=NoteState.choices, default=NoteState.AWAITING_DRAFT, protected=True
    )
    summary = MarkdownxField(_("一行要約"), blank=True, default="", validators=text_length_validators("summary"))
    summary_source = source_field()
    summary_machine_draft = machine_draft_field()
    abstract_ja = MarkdownxField(
        _("概要(日本語)"), blank=True, default="", validators=text_length_validators("abstract_ja")
    )
    abstract_ja_source = source_field()
    abstract_ja_machine_draft = machine_draft_field()
    paper_as_shown_data = models.JSONField(
        _("掲載時の論文情報"),
        default=dict,
        blank=True,
        help_text=_(
            "公開(または取り込み)時点のタイトル・著者・日付・URL・カテゴリ。"
            "arXiv が更新されても公開済みの号は変わりません。"
        ),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = ContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("論文ノート")
        verbose_name_plural = _("論文ノート")
        ordering = ["issue", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "paper"],
                name="note_one_per_paper_per_issue",
                violation_error_message=_("この論文のノートはこの号に既にあります。"),
            ),
            models.UniqueConstraint(
                fields=["issue", "position"],
                name="note_unique_position",
                violation_error_message=_("この号には同じ順番の論文ノートが既にあります。"),
            ),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="note_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.issue.week_start} #{self.position} {self.paper.title}"

    @property
    def anchor(self) -> str:
        return f"paper-{self.position}"

    # -- transitions ---------------------------------------------------------------------

    @transition(field=state, source=NoteState.AWAITING_DRAFT, target=NoteState.DRAFTED)
    def mark_drafted(self) -> None:
        pass

    @transition(
        field=state,
        source=[NoteState.AWAITING_DRAFT, NoteState.DRAFTED, NoteState.CHANGES_REQUESTED],
        target=NoteState.IN_REVIEW,
    )
    def start_review(self) -> None:
        pass

    @transition(
        field=state,
        source=[NoteState.DRAFTED, NoteState.IN_REVIEW, NoteState.APPROVED],
        target=NoteState.CHANGES_REQUESTED,
    )
    def request_changes(self) -> None:
        pass

    @transition(
        field=state,
        source=[NoteState.DRAFTED, NoteState.IN_REVIEW, NoteState.CHANGES_REQUESTED],
        target=NoteState.APPROVED,
    )
    def approve(self) -> None:
        pass

    @transition(field=state, source=NoteState.APPROVED, target=NoteState.IN_REVIEW)
    def reopen(self) -> None:
        pass

    @cached_property
    def paper_as_shown(self) -> PaperAsShown:
        """The metadata this note's issue shows: frozen once set, else the paper's current one."""
        if self.paper_as_shown_data:
            return PaperAsShown.from_json(self.paper_as_shown_data)
        return PaperAsShown.of_paper(self.paper)


class QuestionAnswer(ProvenancedTextMixin, models.Model):
    """One Japanese question/answer pair of a note."""

    provenanced_fields = ("question", "answer")

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="qas", verbose_name=_("論文ノート"))
    position = models.PositiveSmallIntegerField(_("順番"))
    question = MarkdownxField(_("質問"), blank=True, default="", validators=text_length_validators("question"))
    question_source = source_field()
    question_machine_draft = machine_draft_field()
    answer = MarkdownxField(_("回答"), blank=True, default="", validators=text_length_validators("answer"))
    answer_source = source_field()
    answer_machine_draft = machine_draft_field()
    search_terms = models.JSONField(
        _("検索語(英語)"), default=list, blank=True, help_text=_("回答の根拠を本文から探すための英語の語")
    )

    objects = ContentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Q&A")
        verbose_name_plural = _("Q&A")
        ordering = ["note", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "position"],
                name="qa_unique_position",
                violation_error_message=_("このノートには同じ順番の Q&A が既にあります。"),
            ),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="qa_position_positive"),
        ]

    def __str__(self) -> str:
        return f"Q{self.position}: {self.question[:40]}"
