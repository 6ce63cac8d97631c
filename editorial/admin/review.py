"""What the review screen of a note shows: the context its templates render.

The screen is built for reviewing a paper's ten Q&A pairs in one pass: each answer has
the passages it quotes beside it, the quote highlighted inside the passage text, with a
link to that page of the PDF on arXiv; the save bar offers only the actions that make
sense in the note's state (at most three); the keyboard shortcuts listed on screen press
the same buttons (``static/editorial/review.js``).

Nothing here changes data: ``NoteAdmin`` saves, and gives the workflow actions the
user may take now as ``(value, label)`` pairs; this module picks the save bar's buttons
from them.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from editorial.checks.selectors import open_findings
from editorial.diffs import diff_html
from editorial.models import FindingDismissal
from papernotes.drafting.evidence import quote_spans
from papernotes.drafting.selectors import lowest_first, note_judgements
from papernotes.models import AnswerEvidence, EvidenceFoundIn, Note, TextSource

FIELD_SOURCE_LABELS = {"summary": _("要約の出典"), "abstract_ja": _("概要の出典")}
REVIEW_FIELDS = (("summary", _("一行要約")), ("abstract_ja", _("概要(日本語)")))
# The passages listed beside the draft (the first of a long paper; each answer shows its own).
SOURCE_PASSAGES_SHOWN = 200
# Answers the judge scored this low or lower on any criterion are listed to read first.
JUDGE_LOOK_FIRST_BELOW = 3

# The save bar: 保存, the state's next step, and a second step where one applies.
MAIN_STEPS = ("approve", "start_review", "reopen")
SECOND_STEPS = ("request_changes", "start_review")
SAVE_BAR_MAX = 3


@dataclass(frozen=True)
class SaveButton:
    """A submit button of the save bar: what it sends, what it says, its shortcut."""

    name: str
    value: str
    label: str
    css: str
    shortcut: str = ""  # the data-shortcut review.js listens for
    primary: bool = False


def save_bar_buttons(workflow_actions, *, may_edit_texts: bool) -> list[SaveButton]:
    """At most three buttons: 保存 (when the texts are editable), the main next step of the
    note's state, and a second one where it applies (保存して修正依頼, or レビューを開始 after
    a request for changes). Every workflow button saves the form first (``NoteAdmin``)."""
    offered = dict(workflow_actions)
    buttons = []
    if may_edit_texts:
        # "_continue": Django saves and comes back to this page, where the editor was.
        buttons.append(SaveButton(name="_continue", value="1", label=_("保存"), css="save-bar__save", shortcut="save"))
    main = next((value for value in MAIN_STEPS if value in offered), None)
    second = next((value for value in SECOND_STEPS if value in offered and value != main), None)
    for value in (main, second):
        if value is None:
            continue
        buttons.append(
            SaveButton(
                name="_workflow",
                value=value,
                label=offered[value],
                css=f"workflow-{value}",
                shortcut="approve" if value == "approve" else "",
                primary=value == main,
            )
        )
    return buttons[:SAVE_BAR_MAX]


@dataclass(frozen=True)
class EvidenceView:
    """One passage an answer is based on, as the review screen shows it."""

    pages: str
    pdf_url: str
    section: str
    quote: str
    verified: bool
    passage_html: SafeString  # escaped, the quote inside <mark>; empty without the passage
    is_table: bool
    located: bool  # the quote was found in the passage (and is highlighted)
    # Where drafting found the quote when not in the passage the model cited ("" otherwise).
    found_elsewhere: str = ""


def highlight(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` escaped, with each span inside ``<mark>``."""
    parts, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        parts.append(conditional_escape(text[at:start]))
        parts.append(format_html('<mark class="evidence__quote">{}</mark>', text[start:end]))
        at = end
    parts.append(conditional_escape(text[at:]))
    return mark_safe("".join(parts))  # every piece is escaped above


def _pages(start: int | None, end: int | None) -> str:
    if not start:
        return ""
    return f"pp.{start}–{end}" if end and end != start else f"p.{start}"


def evidence_views(note: Note, pdf_base: str) -> dict[int, list[EvidenceView]]:
    """The evidence of every answer of the note, by Q&A id: one query for all of them."""
    evidence = AnswerEvidence.objects.filter(qa__note=note).select_related("passage").order_by("qa_id", "position")
    views: dict[int, list[EvidenceView]] = {}
    for item in evidence:
        passage = item.passage
        spans = quote_spans(item.quote, passage.text) if passage is not None else []
        views.setdefault(item.qa_id, []).append(
            EvidenceView(
                pages=_pages(item.page_start, item.page_end),
                pdf_url=f"{pdf_base}#page={item.page_start}" if item.page_start else "",
                section=item.section,
                quote=item.quote,
                verified=item.verified,
                passage_html=highlight(passage.text, spans) if passage is not None else SafeString(""),
                is_table=bool(passage and passage.is_table),
                located=bool(spans),
                found_elsewhere=(
                    item.get_found_in_display()
                    if item.verified and item.found_in not in ("", EvidenceFoundIn.CITED)
                    else ""
                ),
            )
        )
    return views


def review_context(request, note: Note, *, workflow_actions, may_edit_texts: bool) -> dict:
    """Everything the review screen shows besides the form itself."""
    paper = note.paper
    pdf_base = f"https://arxiv.org/pdf/{paper.versioned_id}"
    findings = list(open_findings().filter(note=note).select_related("qa"))
    fields = []
    for name, label in REVIEW_FIELDS:
        machine = getattr(note, f"{name}_machine_draft")
        current = getattr(note, name)
        fields.append(
            {
                "name": name,
                "label": label,
                "source_label": FIELD_SOURCE_LABELS[name],
                "source_display": getattr(note, f"get_{name}_source_display")(),
                "machine_draft": machine,
                "diff": diff_html(machine, current) if machine and machine != current else "",
                "findings": [finding for finding in findings if finding.slot == name],
            }
        )
    judgements = note_judgements(note_id=note.pk)
    qa_findings: dict[int, list] = {}
    for finding in findings:
        if finding.qa_id:
            qa_findings.setdefault(finding.qa_id, []).append(finding)
    return {
        "paper": paper,
        "paper_shown": note.paper_as_shown,
        "passages": list(paper.passages.body()[:SOURCE_PASSAGES_SHOWN]),
        "pdf_base": pdf_base,
        "review_fields": fields,
        "note_findings": [finding for finding in findings if not finding.slot or finding.slot == "qas"],
        "findings": findings,
        "qa_findings": qa_findings,
        "qa_evidence": evidence_views(note, pdf_base),
        "dismissals": FindingDismissal.objects.filter(note=note).select_related("dismissed_by")[:50],
        "comments": note.review_comments.select_related("author"),
        "events": note.workflow_events.select_related("actor")[:20],
        "workflow_actions": list(workflow_actions),
        "save_bar": save_bar_buttons(workflow_actions, may_edit_texts=may_edit_texts),
        "may_edit_texts": may_edit_texts,
        "editor_text": TextSource.EDITOR,
        "compare_url": reverse("admin:papernotes_note_history_compare", args=[note.pk]),
        # The judge step's rubric scores (when enabled): per pair, and the pairs to read first.
        "qa_judgements": judgements,
        "judged_lowest_first": [j for j in lowest_first(judgements) if j.lowest <= JUDGE_LOOK_FIRST_BELOW],
    }
