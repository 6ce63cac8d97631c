"""The review screen of a note: the English source beside the Japanese draft.

Left: the paper's English title, authors, categories, abstract and passages (with links
to that page of the PDF on arXiv). Right: the Japanese fields with a live Markdown
preview beside the text, the difference from the machine draft, the source of each
text, the quality-check findings of each field, and the Q&A pairs in compact rows that
can be reordered. A save bar stays on screen with the workflow actions.

Everything that changes data goes through a service: texts through
``editorial.services`` (provenance, conflicts), states through ``editorial.workflow``.
A workflow button first saves the form, so what the editor typed is never lost to it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from markdownx.widgets import AdminMarkdownxWidget

from editorial import roles
from editorial.admin.content import ProvenancedTextAdmin, changed_fields_message, titled_filter
from editorial.admin.drafting import NoteDraftingAdminMixin
from editorial.admin.forms import NoteReviewForm, QuestionAnswerFormSet, QuestionAnswerInlineForm
from editorial.admin.review import FIELD_SOURCE_LABELS, review_context
from editorial.checks.selectors import with_finding_counts
from editorial.checks.services import DismissalError, finding_dismiss, note_refresh_findings
from editorial.history import compare_note_revisions, note_revisions
from editorial.models import QualityFinding
from editorial.services import (
    ReviewError,
    note_accept_machine_draft,
    note_add_comment,
    note_save_editor_changes,
    qa_save_editor_changes,
)
from editorial.workflow import (
    WorkflowError,
    issue_record_correction,
    note_approve,
    note_assign,
    note_reopen,
    note_request_changes,
    note_start_review,
    note_texts_edited,
)
from papernotes.models import Note, QuestionAnswer

POSITION_PARKING_OFFSET = 1000

# Workflow buttons of the save bar: POST value → (service, label, model transition).
NOTE_ACTIONS = {
    "start_review": (note_start_review, _("レビューを開始"), "start_review"),
    "approve": (note_approve, _("保存して承認"), "approve"),
    "request_changes": (note_request_changes, _("保存して修正依頼"), "request_changes"),
    "reopen": (note_reopen, _("承認を取り消す"), "reopen"),
}
APPROVAL_TAKEN_BACK = _("承認済みのノートの文章が変わったため、レビュー中に戻しました。もう一度承認してください。")


class QuestionAnswerInline(admin.TabularInline):
    """Q&A pairs in compact rows: edit, add, delete, reorder (drag or ↑↓)."""

    model = QuestionAnswer
    form = QuestionAnswerInlineForm
    formset = QuestionAnswerFormSet
    template = "admin/papernotes/note/qa_inline.html"
    fields = ("position", "question", "answer")
    extra = 0
    ordering = ("position",)

    def get_queryset(self, request):
        # The evidence under each answer, in one query for all pairs.
        return super().get_queryset(request).prefetch_related("evidence")

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and _may_edit(request.user, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and _may_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and _may_edit(request.user, obj)


def _may_edit(user, note: Note | None) -> bool:
    """Editors edit notes of unpublished issues; chief editors also correct published ones."""
    if note is None or not note.issue_id:
        return True
    return not note.issue.was_published or user.has_perm(roles.PUBLISH_ISSUE)


@admin.register(Note)
class NoteAdmin(NoteDraftingAdminMixin, ProvenancedTextAdmin):
    form = NoteReviewForm
    change_form_template = "admin/papernotes/note/change_form.html"
    object_history_template = "admin/papernotes/note/object_history.html"
    list_display = (
        "week",
        "position",
        "paper_title",
        "state",
        "assignee",
        "blocking_findings",
        "warning_findings",
        "summary_source_label",
        "abstract_ja_source_label",
    )
    list_display_links = ("paper_title",)
    list_filter = (
        "state",
        "assignment__assignee",
        ("summary_source", titled_filter(FIELD_SOURCE_LABELS["summary"])),
        ("abstract_ja_source", titled_filter(FIELD_SOURCE_LABELS["abstract_ja"])),
        "issue",
    )
    list_select_related = ("issue", "paper", "assignment__assignee")
    search_fields = ("paper__title", "paper__arxiv_id", "summary", "abstract_ja")
    autocomplete_fields = ("paper",)
    inlines = (QuestionAnswerInline,)
    actions = ("approve_selected", "start_review_selected", "assign_to_me")
    formfield_overrides = {}

    # -- lists ------------------------------------------------------------------------

    def get_queryset(self, request):
        return with_finding_counts(super().get_queryset(request))

    @admin.display(description=_("週"), ordering="issue__week_start")
    def week(self, note: Note) -> str:
        # The week, not the issue's whole title: the title repeats 「最新論文ノート:」 on every
        # row and left the paper titles a narrow column.
        return note.issue.week_start.isoformat()

    @admin.display(description=_("論文のタイトル"), ordering="paper__title")
    def paper_title(self, note: Note) -> str:
        return note.paper.title or note.paper.arxiv_id

    @admin.display(description=_("担当者"))
    def assignee(self, note: Note) -> str:
        assignment = getattr(note, "assignment", None)
        return str(assignment.assignee) if assignment else "—"

    @admin.display(description=_("要修正"), ordering="blocking_count")
    def blocking_findings(self, note: Note) -> int:
        return note.blocking_count

    @admin.display(description=_("注意"), ordering="warning_count")
    def warning_findings(self, note: Note) -> int:
        return note.warning_count

    @admin.display(description=FIELD_SOURCE_LABELS["summary"], ordering="summary_source")
    def summary_source_label(self, note: Note) -> str:
        return note.get_summary_source_display()

    @admin.display(description=FIELD_SOURCE_LABELS["abstract_ja"], ordering="abstract_ja_source")
    def abstract_ja_source_label(self, note: Note) -> str:
        return note.get_abstract_ja_source_display()

    # -- permissions ------------------------------------------------------------------

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and _may_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A published note is corrected or its issue withdrawn; it is never deleted.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.issue.was_published)

    # -- the form ---------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("issue", "paper", "position", "summary", "abstract_ja")}),)
        fields = ["summary", "abstract_ja", "assignee", "comment"]
        if obj.issue.was_published:
            fields.append("correction_note")
        if request.user.has_perm("papernotes.add_note"):
            fields.insert(0, "position")  # reordering an issue is the chief editor's
        return ((None, {"fields": fields}),)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = ("issue", "paper", "position", "summary", "abstract_ja")
        form = super().get_form(request, obj, change=change, **kwargs)
        for name in ("summary", "abstract_ja"):
            if name in form.base_fields:
                form.base_fields[name].widget = AdminMarkdownxWidget(attrs={"rows": 6 if name == "abstract_ja" else 2})
        return form

    def get_readonly_fields(self, request, obj=None):
        return ("state",) if obj is not None else ()

    # -- saving -----------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        try:
            changed = note_save_editor_changes(
                note=obj, changed_data=self.editor_changes(request, form), user=request.user
            )
        except ReviewError as error:
            raise PermissionDenied(str(error)) from error
        request._note_texts_changed = bool(changed)
        if changed:
            self.message_user(request, changed_fields_message(Note, changed))

    def save_formset(self, request, form, formset, change):
        if formset.model is not QuestionAnswer:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        note = form.instance
        with transaction.atomic():
            for qa in formset.deleted_objects:
                qa.delete()
            forms_by_instance = {id(inline_form.instance): inline_form for inline_form in formset.forms}
            to_save = [*formset.new_objects, *(qa for qa, _fields in formset.changed_objects)]
            if any("position" in fields for _qa, fields in formset.changed_objects):
                # Reordering swaps positions: park them first so the unique (note, position)
                # constraint never sees two pairs on one number mid-way.
                QuestionAnswer.objects.filter(note=note).update(position=F("position") + POSITION_PARKING_OFFSET)
                moved = {qa.pk for qa in to_save if qa.pk}
                for qa in QuestionAnswer.objects.filter(note=note).exclude(pk__in=moved):
                    QuestionAnswer.objects.filter(pk=qa.pk).update(position=qa.position - POSITION_PARKING_OFFSET)
            for qa in to_save:
                inline_form = forms_by_instance[id(qa)]
                qa_save_editor_changes(qa=qa, changed_data=inline_form.editor_changes(), user=request.user)
                if inline_form.editor_changes():
                    request._note_texts_changed = True
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        note = form.instance
        if not change:
            note_refresh_findings(note_id=note.pk)
            return
        try:
            if "assignee" in form.changed_data:
                note_assign(note=note, assignee=form.cleaned_data["assignee"], actor=request.user)
            comment = (form.cleaned_data.get("comment") or "").strip()
            if comment:
                note_add_comment(note=note, user=request.user, text=comment)
            texts_changed = getattr(request, "_note_texts_changed", False)
            if note.issue.was_published and texts_changed:
                issue_record_correction(
                    issue=note.issue, actor=request.user, comment=form.cleaned_data.get("correction_note", "")
                )
            elif texts_changed and note_texts_edited(note=note, actor=request.user):
                request._approval_taken_back = True
                self.message_user(request, APPROVAL_TAKEN_BACK, messages.WARNING)
        except (WorkflowError, ReviewError) as error:
            self.message_user(request, str(error), messages.ERROR)
        note_refresh_findings(note_id=note.pk)

    def response_change(self, request, obj):
        """After the save: the workflow button, a machine suggestion, a dismissal."""
        self._after_save_actions(request, obj)
        if any(key in request.POST for key in ("_workflow", "_accept_machine", "_dismiss", "_recheck")):
            return HttpResponseRedirect(reverse("admin:papernotes_note_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def _after_save_actions(self, request, note: Note) -> None:
        try:
            action = request.POST.get("_workflow")
            if action == "reopen" and getattr(request, "_approval_taken_back", False):
                action = None  # the edit itself took the approval back
            if action in NOTE_ACTIONS:
                service, label, _method = NOTE_ACTIONS[action]
                kwargs = {"comment": request.POST.get("comment", "")}
                service(note=note, actor=request.user, **kwargs)
                self.message_user(
                    request, gettext("「%(action)s」を実行しました。") % {"action": label}, messages.SUCCESS
                )
            field = request.POST.get("_accept_machine")
            if field:
                if note_accept_machine_draft(note=note, field=field, user=request.user):
                    note_refresh_findings(note_id=note.pk)
                    if not note.issue.was_published and note_texts_edited(note=note, actor=request.user):
                        self.message_user(request, APPROVAL_TAKEN_BACK, messages.WARNING)
                self.message_user(request, gettext("機械下書きを採用しました。"), messages.SUCCESS)
            dismiss = request.POST.get("_dismiss")
            if dismiss:
                self._dismiss(request, note, dismiss)
            if "_recheck" in request.POST:
                note_refresh_findings(note_id=note.pk)
                self.message_user(request, gettext("品質チェックをやり直しました。"), messages.INFO)
        except (WorkflowError, ReviewError, DismissalError) as error:
            self.message_user(request, str(error), messages.ERROR)

    def _dismiss(self, request, note: Note, fingerprint: str) -> None:
        finding = QualityFinding.objects.filter(note=note, fingerprint=fingerprint).first()
        if finding is None:
            self.message_user(request, gettext("文章が変わったため、指摘はチェックし直されました。"), messages.WARNING)
            return
        finding_dismiss(
            finding=finding, actor=request.user, reason=request.POST.get(f"dismiss_reason_{fingerprint}", "")
        )
        self.message_user(request, gettext("指摘を却下しました(文章が変わるまで表示しません)。"), messages.SUCCESS)

    # -- the review screen ------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                review_context(
                    request,
                    obj,
                    workflow_actions=self._workflow_actions(request, obj),
                    may_edit_texts=self.has_change_permission(request, obj),
                )
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _workflow_actions(self, request, note: Note) -> list[tuple[str, str]]:
        """The workflow actions the user may take on the note now, as (POST value, label)."""
        may_review = request.user.has_perm(roles.REVIEW_NOTE) and _may_edit(request.user, note)
        return [
            (value, label)
            for value, (_service, label, method) in NOTE_ACTIONS.items()
            if may_review and can_proceed(getattr(note, method), check_conditions=False)
        ]

    # -- history: compare two revisions ----------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<int:note_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name="papernotes_note_history_compare",
            )
        ]
        return own + super().get_urls()

    def history_compare_view(self, request, note_id: int):
        note = get_object_or_404(Note, pk=note_id)
        if not self.has_view_or_change_permission(request, note):
            raise PermissionDenied
        revisions = note_revisions(note)
        older = request.GET.get("from")
        newer = request.GET.get("to")
        comparison = None
        if older and newer:
            comparison = compare_note_revisions(note=note, older=older, newer=newer)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": note,
            "title": gettext("版の比較: %(note)s") % {"note": note.paper.title},
            "revisions": revisions,
            "comparison": comparison,
            "older": older,
            "newer": newer,
        }
        return TemplateResponse(request, "admin/papernotes/note/history_compare.html", context)

    # -- bulk actions -----------------------------------------------------------------

    def _bulk(self, request, queryset, service, label) -> None:
        done, refused = 0, []
        for note in queryset.select_related("paper"):
            try:
                service(note=note, actor=request.user)
            except WorkflowError as error:
                refused.append(f"{note.position}. {note.paper.title}: {error}")
            else:
                done += 1
        if done:
            self.message_user(request, gettext("%(count)d 件を%(label)sしました。") % {"count": done, "label": label})
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(description=_("選択したノートを承認"))
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, note_approve, gettext("承認"))

    @admin.action(description=_("選択したノートのレビューを開始"))
    def start_review_selected(self, request, queryset):
        self._bulk(request, queryset, note_start_review, gettext("レビュー開始に"))

    @admin.action(description=_("選択したノートを自分の担当にする"))
    def assign_to_me(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda note, actor: note_assign(note=note, assignee=actor, actor=actor),
            gettext("自分の担当に"),
        )


def review_link(note: Note) -> str:
    url = reverse("admin:papernotes_note_change", args=[note.pk])
    return format_html('<a href="{}" class="review-link">{}</a>', url, note.paper.title or note.paper.arxiv_id)
