"""Importing back issues in the blog's text format: published content, through the workflow.

A new week is published through ``editorial.workflow`` (an audit row, frozen paper
metadata); an editor's text is never overwritten. ``import_issue`` and ``setup_local``
call this.

A back issue keeps its real date: the one given (``import_issue --published-at``), else the
end of its week, Sunday at ``BACK_ISSUE_PUBLISHED_TIME`` in the site's time zone (the blog
format carries no publication date: only the week in its heading and each paper's arXiv
dates). Never the time of the import, and a re-import never moves it.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.checks.services import note_refresh_findings
from editorial.workflow import issue_publish, issue_record_correction
from papernotes import taxonomy
from papernotes.ingestion.ids import InvalidArxivId, parse_arxiv_id
from papernotes.models import (
    IssueState,
    Note,
    NoteState,
    Paper,
    PaperAsShown,
    QuestionAnswer,
    TextSource,
    WeeklyIssue,
)
from papernotes.services import POSITION_PARKING_OFFSET
from papernotes.textformat import IssueDocument, IssueFormatError, PaperSection

BACK_ISSUE_PUBLISHED_TIME = datetime.time(9, 0)


class ImportConflict(ValueError):
    """A re-import would remove something an editor wrote."""


class InvalidPublicationTime(ValueError):
    """A publication time that cannot be a back issue's (in the future)."""


def back_issue_published_at(week_start: datetime.date) -> datetime.datetime:
    """When a back issue without a given date is taken to be published: its week's Sunday
    at ``BACK_ISSUE_PUBLISHED_TIME``, in the site's time zone (2024-04-29 → 2024-05-05 09:00 JST)."""
    sunday = week_start + datetime.timedelta(days=6)
    return timezone.make_aware(datetime.datetime.combine(sunday, BACK_ISSUE_PUBLISHED_TIME))


@dataclass
class ImportResult:
    issue: WeeklyIssue
    issue_created: bool
    papers_created: int = 0
    papers_updated: int = 0
    notes_removed: int = 0
    kept_editor_fields: list[str] = field(default_factory=list)
    published_at_changed_from: datetime.datetime | None = None


def _abs_url(pdf_url: str) -> str:
    return pdf_url.replace("/pdf/", "/abs/").removesuffix(".pdf")


def _paper_from_section(section: PaperSection) -> tuple[Paper, bool]:
    """The paper a section shows, created or brought up to the section's version.

    A paper already known at a later version (another issue, or arXiv) is left as it is:
    an old back issue never rolls its metadata back. What this issue shows is frozen on
    its note instead (see ``PaperAsShown``).
    """
    try:
        ref = parse_arxiv_id(section.pdf_url)
    except InvalidArxivId as error:
        raise IssueFormatError(section.line_no, _("URL から arXiv ID を読み取れません"), section.pdf_url) from error
    version = ref.version or 1
    paper = Paper.objects.filter(arxiv_id=ref.arxiv_id).first()
    created = paper is None
    if created:
        paper = Paper(arxiv_id=ref.arxiv_id)
    elif paper.has_metadata and paper.latest_version > version:
        return paper, False
    # Names map back to codes only when unambiguous ("Machine Learning" is cs.LG or stat.ML);
    # the names themselves are kept verbatim on the note.
    paper.categories = [code for name in section.category_names if (code := taxonomy.code_for_name(name))]
    paper.title = section.title
    paper.authors = list(section.authors)
    paper.first_published_on = section.first_published_on
    paper.latest_updated_on = section.latest_updated_on
    paper.latest_version = version
    paper.pdf_url = section.pdf_url
    paper.abs_url = _abs_url(section.pdf_url)
    paper.save()
    return paper, created


def _shown(section: PaperSection) -> dict:
    return PaperAsShown(
        title=section.title,
        authors=section.authors,
        first_published_on=section.first_published_on,
        latest_updated_on=section.latest_updated_on,
        pdf_url=section.pdf_url,
        abs_url=_abs_url(section.pdf_url),
        category_names=section.category_names,
    ).to_json()


def _check_unique_papers(document: IssueDocument) -> None:
    seen: dict[str, int] = {}
    for section in document.papers:
        try:
            arxiv_id = parse_arxiv_id(section.pdf_url).arxiv_id
        except InvalidArxivId:
            continue  # reported with its line when the paper is imported
        if arxiv_id in seen:
            raise IssueFormatError(
                section.line_no,
                _("同じ論文({arxiv_id})が {line} 行目にもあります").format(arxiv_id=arxiv_id, line=seen[arxiv_id]),
                section.title,
            )
        seen[arxiv_id] = section.line_no


def _apply_imported(obj, values: dict[str, str], result: ImportResult, label: str) -> None:
    for name, text in values.items():
        obj.set_imported_text(name, text)
        if obj.source_of(name) == TextSource.EDITOR and getattr(obj, name) != text:
            result.kept_editor_fields.append(f"{label} {obj._meta.get_field(name).verbose_name}")


def _has_editor_text(obj) -> bool:
    return any(obj.source_of(name) == TextSource.EDITOR for name in obj.provenanced_fields)


@transaction.atomic
def issue_import(*, document: IssueDocument, published_at: datetime.datetime | None = None) -> ImportResult:
    """Import a back issue as published content, updating it in place on re-import.

    A new week is published through the editorial workflow (an audit row, frozen paper
    metadata). A week that was already published is updated in place; if what readers see
    changes, that is recorded as a correction (「更新」), as at every other door. A withdrawn
    week is left as it is: a file that would change it is refused. A week that exists but was never published is refused
    (:class:`ImportConflict`): importing must not publish a draft someone is working on.
    An editor's text is never overwritten; notes or Q&A pairs that the file no longer
    has are removed, unless an editor wrote in them (then :class:`ImportConflict`).
    The whole import is one transaction: on any error nothing changes.

    ``published_at`` is the issue's publication time; without it a new week gets
    :func:`back_issue_published_at` and a re-imported one keeps its own. A time in the
    future is refused (:class:`InvalidPublicationTime`): an import publishes now.
    """
    if published_at is not None and published_at > timezone.now():
        raise InvalidPublicationTime(
            _("公開日時 {at} は未来です。過去の号の公開日時を指定してください").format(
                at=timezone.localtime(published_at).strftime("%Y-%m-%d %H:%M")
            )
        )
    _check_unique_papers(document)
    issue, created = WeeklyIssue.objects.select_for_update().get_or_create(week_start=document.week_start)
    if not created and not issue.was_published:
        raise ImportConflict(
            _(
                "{week} の号は未公開({state})で編集中のため、取り込みで上書き・公開できません。"
                "管理画面でその号の作業を続けるか、号を削除してから取り込んでください"
            ).format(week=document.week_start.isoformat(), state=issue.get_state_display())
        )
    result = ImportResult(issue=issue, issue_created=created)
    before = None if created else _public_content(issue)
    issue.intro = document.intro
    if not created and published_at is not None and issue.published_at != published_at:
        # Asked for explicitly: corrects a back issue imported before dates were kept.
        result.published_at_changed_from = issue.published_at
        issue.published_at = published_at
    issue.save()

    existing = {note.paper_id: note for note in issue.notes.select_related("paper")}
    # Park current positions out of the way so that reordering never trips the
    # unique (issue, position) constraint mid-way.
    issue.notes.update(position=F("position") + POSITION_PARKING_OFFSET)

    kept_paper_ids = set()
    for position, section in enumerate(document.papers, start=1):
        paper, paper_created = _paper_from_section(section)
        result.papers_created += paper_created
        result.papers_updated += not paper_created
        kept_paper_ids.add(paper.pk)
        note = existing.get(paper.pk) or Note(issue=issue, paper=paper, state=NoteState.APPROVED)
        note.position = position
        note.paper_as_shown_data = _shown(section)
        label = _("{position} 番目の論文").format(position=position)
        _apply_imported(note, {"summary": section.summary, "abstract_ja": section.abstract_ja}, result, label)
        note.save()
        _import_qas(note, section, result, label)

    for paper_id, note in existing.items():
        if paper_id in kept_paper_ids:
            continue
        if _has_editor_text(note) or any(_has_editor_text(qa) for qa in note.qas.all()):
            raise ImportConflict(
                _("「{title}」はファイルにありませんが、編集者が書いた文章があるため削除できません").format(
                    title=note.paper.title
                )
            )
        note.delete()
        result.notes_removed += 1
    for note in issue.notes.all():
        note_refresh_findings(note_id=note.pk)  # the dashboard's counts and the review screen
    if before is not None and _public_content(issue) != before:
        # What readers see changed: on a published issue that is a correction, recorded with the
        # change (the same rule as every other door, ``editorial.editing``); a withdrawn issue
        # stays as it was taken off the site.
        if issue.state == IssueState.WITHDRAWN:
            raise ImportConflict(
                _("{week} の号は取り下げ済みのため、内容を変える取り込みはできません").format(
                    week=document.week_start.isoformat()
                )
            )
        result.issue = issue_record_correction(
            issue=issue, actor=None, comment=_("過去の号のファイルを取り込み直して訂正しました")
        )
    if created:
        result.issue = issue_publish(
            issue=issue,
            actor=None,
            published_at=published_at or back_issue_published_at(issue.week_start),
            comment=_("過去の号の取り込み"),
            announce=False,  # a back issue: not emailed to subscribers
            # Back issues were published as they are: the checks do not hold them back.
            override_reason=_("公開済みの過去の号をそのまま取り込みました"),
        )
    return result


def _public_content(issue: WeeklyIssue) -> tuple:
    """What readers get of an issue: its intro and each note's place, texts and Q&A."""
    notes = issue.notes.order_by("position").prefetch_related("qas")
    return (
        issue.intro,
        tuple(
            (
                note.paper_id,
                note.position,
                note.state,
                note.summary,
                note.abstract_ja,
                tuple(
                    (qa.position, qa.question, qa.answer) for qa in sorted(note.qas.all(), key=lambda qa: qa.position)
                ),
            )
            for note in notes
        ),
    )


def _import_qas(note: Note, section: PaperSection, result: ImportResult, label: str) -> None:
    existing = {qa.position: qa for qa in note.qas.all()} if note.pk else {}
    for position, pair in enumerate(section.qas, start=1):
        qa = existing.pop(position, None) or QuestionAnswer(note=note, position=position)
        _apply_imported(qa, {"question": pair.question, "answer": pair.answer}, result, f"{label} Q{position}")
        qa.save()
    for qa in existing.values():
        if _has_editor_text(qa):
            raise ImportConflict(
                _("{label} の Q{position} はファイルにありませんが、編集者が書いた文章があるため削除できません").format(
                    label=label, position=qa.position
                )
            )
        qa.delete()
