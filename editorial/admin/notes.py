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
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget

from editorial.actions import NOTE_ACTIONS, available_actions, perform_action
from editorial.admin.content import GuardedHistoryAdmin, ProvenancedTextAdmin, titled_filter
from editorial.admin.drafting import NoteDraftingAdminMixin
from editorial.admin.forms import NoteReviewForm, QuestionAnswerFormSet, QuestionAnswerInlineForm
from editorial.admin.review import FIELD_SOURCE_LABELS, review_context
from editorial.checks.selectors import with_finding_counts
from editorial.checks.services import DismissalError, finding_dismiss, note_refresh_findings
from editorial.editing import (
    EditNotPermitted,
    EditRefused,
    EditResult,
    QAEdit,
    note_accept_machine_draft,
    note_create,
    note_edit,
    note_edit_refusal,
    note_revert,
)
from editorial.history import compare_note_revisions, note_revisions
from editorial.models import QualityFinding
from editorial.services import ReviewError, note_add_comment
from editorial.workflow import WorkflowError, note_assign
from papernotes.models import Note, QuestionAnswer

APPROVAL_TAKEN_BACK = _("承認済みのノートの内容が変わったため、レビュー中に戻しました。もう一度承認してください。")
CORRECTION_RECORDED = _("公開済みの号の訂正として記録しました(読者には「更新」と表示されます)。")


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


def _qa_edits(formset) -> list[QAEdit]:
    """The Q&A rows of the review form as edits for ``note_edit`` (only what the editor changed)."""
    edits = []
    for row in formset.forms:
        pk = row.instance.pk
        if formset.can_delete and formset._should_delete_form(row):
            if pk:
                edits.append(QAEdit(qa_id=pk, delete=True))
            continue
        if pk is None and not row.has_changed():
            continue  # an empty extra row
        texts = (
            row.editor_changes() if pk else {name: row.cleaned_data.get(name, "") for name in ("question", "answer")}
        )
        edits.append(QAEdit(qa_id=pk, position=row.cleaned_data.get("position"), texts=texts))
    return edits


def _may_edit(user, note: Note | None) -> bool:
    """Whether ``user`` may change the note's content now (the rule is ``editorial.editing``'s)."""
    if note is None or not note.issue_id:
        return True
    return note_edit_refusal(note=note, actor=user) is None


@admin.register(Note)
class NoteAdmin(NoteDraftingAdminMixin, ProvenancedTextAdmin, GuardedHistoryAdmin):
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
        fields = ["summary", "abstract_ja", "assignee", "comment", "qa_set_seen"]
        if obj.issue.was_published:
            fields.append("correction_note")
        if request.user.has_perm("papernotes.add_note"):
            fields.insert(0, "position")  # reordering an issue is the chief editor's
        return ((None, {"fields": fields}),)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = ("issue", "paper", "position", "summary", "abstract_ja")
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_edit_refused", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        for name in ("summary", "abstract_ja"):
            if name in form.base_fields:
                form.base_fields[name].widget = AdminMarkdownxWidget(attrs={"rows": 6 if name == "abstract_ja" else 2})
        return form

    def get_readonly_fields(self, request, obj=None):
        return ("state",) if obj is not None else ()

    # -- saving -----------------------------------------------------------------------
    #
    # One save is one call of ``editorial.editing.note_edit`` with everything the form and
    # the Q&A rows changed: the rules (approval, correction, concurrency) are the service's.
    # When it refuses, the admin's transaction has rolled back; the page is shown again
    # with the editor's input and the reason on the form (``changeform_view``).

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditNotPermitted as error:
            raise PermissionDenied(error.message) from error
        except EditRefused as error:
            if request.method != "POST" or getattr(request, "_edit_refused", None) is not None:
                raise
            request._edit_refused = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            return  # saved by save_related, together with the Q&A rows
        created = note_create(
            issue=obj.issue,
            paper=obj.paper,
            position=obj.position,
            texts={name: form.cleaned_data.get(name, "") for name in Note.provenanced_fields},
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is QuestionAnswer and change:
            return  # saved by save_related, through the service
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        note = form.instance
        if not change:
            super().save_related(request, form, formsets, change)
            note_refresh_findings(note_id=note.pk)
            return
        qa_formset = next((formset for formset in formsets if formset.model is QuestionAnswer), None)
        result = note_edit(
            note_id=note.pk,
            actor=request.user,
            texts=form.editor_changes(),
            qas=_qa_edits(qa_formset) if qa_formset is not None else (),
            position=form.cleaned_data.get("position") if "position" in form.changed_data else None,
            correction_note=form.cleaned_data.get("correction_note", ""),
            qa_set_seen=form.cleaned_data.get("qa_set_seen") or None,
        )
        request._edit_result = result
        self._edit_messages(request, result)
        try:
            if "assignee" in form.changed_data:
                note_assign(note=note, assignee=form.cleaned_data["assignee"], actor=request.user)
            comment = (form.cleaned_data.get("comment") or "").strip()
            if comment:
                note_add_comment(note=note, user=request.user, text=comment)
        except (WorkflowError, ReviewError) as error:
            self.message_user(request, str(error), messages.ERROR)
        note_refresh_findings(note_id=note.pk)

    def _edit_messages(self, request, result: EditResult) -> None:
        if result.changed_texts:
            self.message_user(
                request,
                gettext("編集者の文章として記録しました: %(fields)s")
                % {
                    "fields": "、".join(
                        str(Note._meta.get_field(name).verbose_name) if name in Note.provenanced_fields else name
                        for name in result.changed_texts
                    )
                },
            )
        if result.qa_set_changed:
            self.message_user(request, gettext("Q&A の組または並びを保存しました。"))
        if result.approval_taken_back:
            self.message_user(request, APPROVAL_TAKEN_BACK, messages.WARNING)
        if result.corrected:
            self.message_user(request, CORRECTION_RECORDED, messages.SUCCESS)

    def construct_change_message(self, request, form, formsets, add=False):
        return [] if not add else super().construct_change_message(request, form, formsets, add)

    def response_change(self, request, obj):
        """After the save: the workflow button, a machine suggestion, a dismissal."""
        self._after_save_actions(request, obj)
        if any(key in request.POST for key in ("_workflow", "_accept_machine", "_dismiss", "_recheck")):
            return HttpResponseRedirect(reverse("admin:papernotes_note_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def _after_save_actions(self, request, note: Note) -> None:
        try:
            action = request.POST.get("_workflow")
            result = getattr(request, "_edit_result", None)
            if action == "reopen" and result is not None and result.approval_taken_back:
                action = None  # the edit itself took the approval back
            if action:
                note.refresh_from_db()
                perform_action(note, action, actor=request.user, comment=request.POST.get("comment", ""))
                label = NOTE_ACTIONS[action].button_label
                self.message_user(
                    request, gettext("「%(action)s」を実行しました。") % {"action": label}, messages.SUCCESS
                )
            field = request.POST.get("_accept_machine")
            if field:
                accepted = note_accept_machine_draft(
                    note_id=note.pk,
                    field_name=field,
                    actor=request.user,
                    correction_note=request.POST.get("correction_note", ""),
                )
                if accepted.changed:
                    note_refresh_findings(note_id=note.pk)
                    self.message_user(request, gettext("機械下書きを採用しました。"), messages.SUCCESS)
                if accepted.approval_taken_back:
                    self.message_user(request, APPROVAL_TAKEN_BACK, messages.WARNING)
            dismiss = request.POST.get("_dismiss")
            if dismiss:
                self._dismiss(request, note, dismiss)
            if "_recheck" in request.POST:
                note_refresh_findings(note_id=note.pk)
                self.message_user(request, gettext("品質チェックをやり直しました。"), messages.INFO)
        except (WorkflowError, ReviewError, DismissalError, EditRefused) as error:
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

    # -- history: revert through the service ------------------------------------------

    def revert_through_service(self, request, obj: Note, history_id: int) -> EditResult:
        return note_revert(note_id=obj.pk, history_id=history_id, actor=request.user)

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
        return [(action.name, action.button_label) for action in available_actions(note, request.user)]

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

    def _bulk(self, request, queryset, run, label) -> None:
        done, refused = 0, []
        for note in queryset.select_related("paper", "issue"):
            try:
                run(note)
            except WorkflowError as error:
                refused.append(f"{note.position}. {note.paper.title}: {error}")
            else:
                done += 1
        if done:
            self.message_user(request, gettext("%(count)d 件を%(label)sしました。") % {"count": done, "label": label})
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(description=NOTE_ACTIONS["approve"].bulk_label)
    def approve_selected(self, request, queryset):
        self._bulk(
            request, queryset, lambda note: perform_action(note, "approve", actor=request.user), gettext("承認")
        )

    @admin.action(description=NOTE_ACTIONS["start_review"].bulk_label)
    def start_review_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda note: perform_action(note, "start_review", actor=request.user),
            gettext("レビュー開始に"),
        )

    @admin.action(description=_("選択したノートを自分の担当にする"))
    def assign_to_me(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda note: note_assign(note=note, assignee=request.user, actor=request.user),
            gettext("自分の担当に"),
        )


def review_link(note: Note) -> str:
    url = reverse("admin:papernotes_note_change", args=[note.pk])
    return format_html('<a href="{}" class="review-link">{}</a>', url, note.paper.title or note.paper.arxiv_id)
