"""The weekly issue in the admin: reviewed as one edition.

The issue page lists every note with its state, assignee, check counts and ingestion
progress (one edit link per row, to the note's review screen), bulk actions on the
selected notes, what still blocks publication, and the workflow buttons: review,
ready, publish now or schedule, correct, withdraw. Each button calls one service of
``editorial.workflow``; the state itself is never a form field.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial import roles
from editorial.actions import ISSUE_ACTIONS, NOTE_ACTIONS, available_actions, perform_action
from editorial.admin.content import GuardedHistoryAdmin
from editorial.admin.ingestion import IssuePipelineAdminMixin, progress_bar
from editorial.checks.selectors import with_finding_counts
from editorial.choices import Severity
from editorial.models import ScheduledPublication
from editorial.selectors import issue_publication_blockers
from editorial.workflow import (
    WorkflowError,
    issue_record_correction,
    note_assign,
    reviewers,
)
from papernotes.ingestion.selectors import with_pipeline
from papernotes.models import IssueState, Note, NoteState, WeeklyIssue

BULK_NOTE_ACTIONS = {
    "approve": NOTE_ACTIONS["approve"].bulk_label,
    "start_review": NOTE_ACTIONS["start_review"].bulk_label,
    "assign": _("選択したノートの担当者を変更"),
}


class IssueNoteInline(admin.TabularInline):
    """The issue's notes at a glance; each row links to the note's review screen."""

    model = Note
    fields = ("select", "position", "note_link", "state", "assignee", "checks", "ingestion")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("position",)
    verbose_name_plural = _("論文ノート")

    def get_queryset(self, request):
        # The issue too: each row's label (Note.__str__) names its week.
        notes = (
            super().get_queryset(request).select_related("issue", "paper", "paper__ingestion", "assignment__assignee")
        )
        return with_finding_counts(notes).annotate(qa_count=Count("qas", distinct=True))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="")
    def select(self, note: Note) -> str:
        # Belongs to the bulk-action form outside the issue's own form (HTML form attribute).
        return format_html(
            '<input type="checkbox" name="note_ids" value="{}" form="issue-notes-bulk" aria-label="{}">',
            note.pk,
            gettext("選択"),
        )

    @admin.display(description=_("論文(レビュー画面へ)"))
    def note_link(self, note: Note) -> str:
        url = reverse("admin:papernotes_note_change", args=[note.pk])
        return format_html(
            '<a href="{}" class="review-link">{}</a> <span class="muted">Q&amp;A {}</span>',
            url,
            note.paper.title or note.paper.arxiv_id,
            note.qa_count,
        )

    @admin.display(description=_("担当者"))
    def assignee(self, note: Note) -> str:
        assignment = getattr(note, "assignment", None)
        return str(assignment.assignee) if assignment else "—"

    @admin.display(description=_("チェック"))
    def checks(self, note: Note) -> str:
        return format_html(
            '<span class="count count--blocking">{}</span> <span class="count count--warning">{}</span>',
            gettext("要修正 %(n)d") % {"n": note.blocking_count},
            gettext("注意 %(n)d") % {"n": note.warning_count},
        )

    @admin.display(description=_("取り込み"))
    def ingestion(self, note: Note) -> str:
        state = getattr(note.paper, "ingestion", None)
        return progress_bar(state.progress) if state else "—"


@admin.register(WeeklyIssue)
class WeeklyIssueAdmin(IssuePipelineAdminMixin, GuardedHistoryAdmin):
    list_display = (
        "title_display",
        "week_start",
        "state",
        "note_count",
        "approved_count",
        "blocking_count",
        "pipeline_progress",
        "published_at",
    )
    list_display_links = ("title_display",)
    list_filter = ("state",)
    date_hierarchy = "week_start"
    search_fields = ("intro",)
    readonly_fields = (
        "title_display",
        "state",
        "published_at",
        "corrected_at",
        "reader_link",
        "created_at",
        "updated_at",
    )
    fields = (
        "title_display",
        "week_start",
        "intro",
        "state",
        "published_at",
        "corrected_at",
        "reader_link",
        "created_at",
        "updated_at",
    )
    inlines = (IssueNoteInline,)
    # An issue's state and publication time move only through its workflow; its history is read.
    history_revert = False

    def get_queryset(self, request):
        issues = (
            super()
            .get_queryset(request)
            .annotate(
                note_count=Count("notes", distinct=True),
                approved_note_count=Count("notes", filter=Q(notes__state=NoteState.APPROVED), distinct=True),
                blocking_finding_count=Count(
                    "notes__findings", filter=Q(notes__findings__severity=Severity.BLOCKING), distinct=True
                ),
            )
        )
        return with_pipeline(issues)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.state == IssueState.WITHDRAWN:
            return self.fields  # a withdrawn issue is kept as it was
        if obj is not None and obj.was_published:
            # A published issue's week is its permalink.
            return (*readonly, "week_start")
        return readonly

    def save_model(self, request, obj, form, change):
        if change and obj.state == IssueState.WITHDRAWN:
            raise PermissionDenied(gettext("取り下げた号は変更できません。"))
        super().save_model(request, obj, form, change)
        if change and obj.was_published and "intro" in form.changed_data:
            # In the admin's own transaction: if the correction is refused, the intro is not saved either.
            try:
                issue_record_correction(issue=obj, actor=request.user, comment=gettext("前書きを訂正"))
            except WorkflowError as error:
                raise PermissionDenied(str(error)) from error

    @admin.display(description=_("タイトル"), ordering="week_start")
    def title_display(self, issue: WeeklyIssue) -> str:
        return issue.title if issue.week_start else ""

    @admin.display(description=_("論文数"), ordering="note_count")
    def note_count(self, issue: WeeklyIssue) -> int:
        return issue.note_count

    @admin.display(description=_("承認済み"), ordering="approved_note_count")
    def approved_count(self, issue: WeeklyIssue) -> str:
        return f"{issue.approved_note_count} / {issue.note_count}"

    @admin.display(description=_("要修正の指摘"), ordering="blocking_finding_count")
    def blocking_count(self, issue: WeeklyIssue) -> int:
        return issue.blocking_finding_count

    @admin.display(description=_("公開ページ"))
    def reader_link(self, issue: WeeklyIssue) -> str:
        if not issue.is_published:
            return gettext("(未公開)")
        return format_html('<a href="{0}">{0}</a>', issue.get_absolute_url())

    # -- workflow panel -----------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<int:issue_id>/workflow/",
                self.admin_site.admin_view(self.workflow_view),
                name="papernotes_weeklyissue_workflow",
            ),
            path(
                "<int:issue_id>/notes-action/",
                self.admin_site.admin_view(self.notes_action_view),
                name="papernotes_weeklyissue_notes_action",
            ),
        ]
        return own + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._workflow_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _workflow_context(self, request, issue: WeeklyIssue) -> dict:
        offered = [(action.name, action.label) for action in available_actions(issue, request.user)]
        may_review = request.user.has_perm(roles.REVIEW_NOTE)
        return {
            "issue_actions": offered,
            "issue_blockers": [] if issue.was_published else issue_publication_blockers(issue=issue),
            "may_override": request.user.has_perm(roles.OVERRIDE_CHECKS),
            "schedule": ScheduledPublication.objects.filter(issue=issue).first(),
            "issue_events": issue.workflow_events.select_related("actor", "note__paper")[:30],
            "workflow_url": reverse("admin:papernotes_weeklyissue_workflow", args=[issue.pk]),
            "notes_action_url": reverse("admin:papernotes_weeklyissue_notes_action", args=[issue.pk]),
            "bulk_note_actions": BULK_NOTE_ACTIONS.items() if may_review else (),
            "reviewers": reviewers() if may_review else (),
            "default_publish_at": (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        }

    def workflow_view(self, request, issue_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = get_object_or_404(WeeklyIssue, pk=issue_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            inputs = {
                "comment": request.POST.get("comment", ""),
                "override_reason": request.POST.get("override_reason", ""),
                "publish_at": self._publish_at(request) if action == "schedule" else None,
            }
            perform_action(issue, action, actor=request.user, **inputs)
        except WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            label = ISSUE_ACTIONS[action].label
            self.message_user(request, gettext("「%(action)s」を実行しました。") % {"action": label}, messages.SUCCESS)
        return redirect(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]))

    @staticmethod
    def _publish_at(request) -> datetime.datetime:
        raw = request.POST.get("publish_at", "")
        try:
            naive = datetime.datetime.fromisoformat(raw)
        except ValueError as error:
            raise WorkflowError(gettext("公開予定日時を「2024-05-06T09:00」の形で指定してください。")) from error
        # Entered in Japan time (TIME_ZONE), like every time the admin shows.
        return timezone.make_aware(naive) if timezone.is_naive(naive) else naive

    def notes_action_view(self, request, issue_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = get_object_or_404(WeeklyIssue, pk=issue_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        notes = list(issue.notes.filter(pk__in=request.POST.getlist("note_ids")).select_related("paper"))
        action = request.POST.get("bulk_action", "")
        if not notes:
            self.message_user(request, gettext("ノートを選択してください。"), messages.WARNING)
            return redirect(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]))
        assignee = None
        if action == "assign" and request.POST.get("assignee"):
            assignee = get_user_model().objects.filter(pk=request.POST["assignee"]).first()
        done = 0
        for note in notes:
            try:
                if action == "assign":
                    note_assign(note=note, assignee=assignee, actor=request.user)
                else:
                    perform_action(note, action, actor=request.user)
            except WorkflowError as error:
                self.message_user(request, f"{note.position}. {note.paper.title}: {error}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                gettext("%(count)d 件のノートに「%(action)s」を行いました。")
                % {"count": done, "action": BULK_NOTE_ACTIONS.get(action, action)},
                messages.SUCCESS,
            )
        return redirect(reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]))
