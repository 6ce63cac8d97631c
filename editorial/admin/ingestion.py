"""Admin screens of the ingestion pipeline.

"New issue from a list" (a form over ``issue_create_from_list``), per-paper progress bars
on issues and papers that refresh themselves while work is under way, "retry failed", and
read-only views of pipeline state, stored PDFs, passages and submitted lists.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial import roles
from papernotes.drafting.batch import batch_mode_default
from papernotes.drafting.services import DraftingError, issue_draft_start
from papernotes.ingestion.selectors import paper_pipeline_rows, pipeline_for_issue
from papernotes.ingestion.services import IssueListError, issue_create_from_list, issue_retry_failed
from papernotes.models import (
    ONCE_PUBLISHED_ISSUE_STATES,
    IssueSourceList,
    PaperIngestion,
    PaperPdf,
    Passage,
    WeeklyIssue,
)


def next_monday(today: datetime.date | None = None) -> datetime.date:
    """The coming Monday in settings.TIME_ZONE (today when today is a Monday): the week an
    editor usually prepares."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=-today.weekday() % 7)


class IssueFromListForm(forms.Form):
    week_start = forms.DateField(
        label=_("週の開始日(月曜日)"),
        required=False,
        help_text=_(
            "次の月曜日が入っています。複数の週を貼り付けた場合はこの週の節を使い、1 つの節だけなら見出しにかかわらず"
            "この週の号になります。空欄にすると、貼り付けた見出しから週を決めます。"
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    text = forms.CharField(
        label=_("論文の一覧"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
        help_text=_(
            "arXiv の ID や URL(1 行に 1 つ)、または「ML Papers of the Week」の README の一節を貼り付けてください。"
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"week_start": next_monday()})
        super().__init__(*args, **kwargs)

    def clean_week_start(self):
        week = self.cleaned_data["week_start"]
        if week and week.isoweekday() != 1:
            raise forms.ValidationError(gettext("月曜日を指定してください。"))
        return week

    def add_list_error(self, error: IssueListError) -> None:
        """Show a refusal of the service next to what to correct (the week or the list)."""
        self.add_error(error.field if error.field in self.fields else None, str(error))


def progress_bar(progress: int, label: str = "") -> SafeString:
    return format_html(
        '<progress class="pipeline-progress" value="{0}" max="100">{0}%</progress> <span>{0}% {1}</span>',
        progress,
        label,
    )


def _answer(request, message: str, *, ok: bool = True, fallback_url: str):
    """JSON for the page's buttons (fetch); a message and a redirect for a plain form post."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"message": message}, status=200 if ok else 400)
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, message)
    return redirect(fallback_url)


class IssuePipelineAdminMixin:
    """Added to the weekly issue admin: the list form, progress and retry."""

    change_form_template = "admin/papernotes/weeklyissue/change_form.html"
    change_list_template = "admin/papernotes/weeklyissue/change_list.html"
    actions = ["retry_failed_action", "draft_action"]

    def get_urls(self):
        own = [
            path(
                "new-from-list/",
                self.admin_site.admin_view(self.new_from_list_view),
                name="papernotes_weeklyissue_new_from_list",
            ),
            path(
                "<int:issue_id>/retry-failed/",
                self.admin_site.admin_view(self.retry_failed_view),
                name="papernotes_weeklyissue_retry_failed",
            ),
            path(
                "<int:issue_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name="papernotes_weeklyissue_draft",
            ),
            path(
                "<int:issue_id>/pipeline/",
                self.admin_site.admin_view(self.pipeline_fragment_view),
                name="papernotes_weeklyissue_pipeline",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description=_("取り込みと下書き"))
    def pipeline_progress(self, issue: WeeklyIssue) -> str:
        pipeline = pipeline_for_issue(issue, with_costs=False)
        if not pipeline.total:
            return "—"
        label = f"{pipeline.progress}% {pipeline.counts_label}"
        bar = render_to_string("editorial/progress_bar.html", {"pipeline": pipeline})
        return format_html("{} <span>{}</span>", bar, label)

    def new_from_list_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueFromListForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = issue_create_from_list(
                    text=form.cleaned_data["text"], week_start=form.cleaned_data["week_start"], user=request.user
                )
            except IssueListError as error:
                form.add_list_error(error)
            else:
                self._report(request, result)
                return redirect(reverse("admin:papernotes_weeklyissue_change", args=[result.issue.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("リストから新しい号を作成"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/papernotes/weeklyissue/new_from_list.html", context)

    def _report(self, request, result) -> None:
        self.message_user(
            request,
            gettext("{title} に {count} 本の論文を追加し、取り込みを開始しました。").format(
                title=result.issue.title, count=len(result.added)
            ),
            messages.SUCCESS,
        )
        for notice in result.notices:
            self.message_user(request, notice, messages.WARNING)
        if result.already_in_issue:
            self.message_user(
                request,
                gettext("既にこの号にある論文: {ids}").format(ids=", ".join(result.already_in_issue)),
                messages.INFO,
            )
        if result.duplicates:
            self.message_user(
                request,
                gettext("一覧の中の重複 {count} 件をまとめました。").format(count=len(result.duplicates)),
                messages.INFO,
            )
        for rejected in result.rejected:
            self.message_user(
                request,
                gettext("{line} 行目「{title}」は追加できません: {reason}").format(
                    line=rejected["line_no"],
                    title=rejected.get("title") or rejected.get("text"),
                    reason=rejected["reason"],
                ),
                messages.WARNING,
            )

    def pipeline_fragment_view(self, request, issue_id: int):
        issue = get_object_or_404(WeeklyIssue, pk=issue_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        return TemplateResponse(request, "editorial/pipeline_table.html", {"pipeline": pipeline_for_issue(issue)})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            pipeline = pipeline_for_issue(obj)
            context["pipeline_html"] = render_to_string(
                "editorial/pipeline_table.html", {"pipeline": pipeline}, request=request
            )
            context["pipeline_url"] = reverse("admin:papernotes_weeklyissue_pipeline", args=[obj.pk])
            context["retry_url"] = reverse("admin:papernotes_weeklyissue_retry_failed", args=[obj.pk])
            if obj.state not in ONCE_PUBLISHED_ISSUE_STATES and _may_draft(request.user):
                context["draft_url"] = reverse("admin:papernotes_weeklyissue_draft", args=[obj.pk])
                if not batch_mode_default() and _may_draft_in_batch(request.user):
                    context["draft_batch_url"] = f"{context['draft_url']}?batch=1"
            context["source_lists"] = obj.source_lists.all()[:5]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # "change": the same permission the issue page's retry button needs (chief editors).
    @admin.action(description=_("失敗した論文を再試行"), permissions=["change"])
    def retry_failed_action(self, request, queryset):
        self.message_user(request, _retry_message(sum(len(issue_retry_failed(issue=issue)) for issue in queryset)))

    def retry_failed_view(self, request, issue_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = get_object_or_404(WeeklyIssue, pk=issue_id)
        if not self.has_change_permission(request, issue):
            raise PermissionDenied
        message = _retry_message(len(issue_retry_failed(issue=issue)))
        return _answer(request, message, fallback_url=reverse("admin:papernotes_weeklyissue_change", args=[issue.pk]))

    @admin.action(description=_("下書きを作成(LLM)"), permissions=["draft"])
    def draft_action(self, request, queryset):
        for issue in queryset:
            try:
                started = issue_draft_start(issue_id=issue.pk, user=request.user)
            except DraftingError as error:
                self.message_user(request, f"{issue.title}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{issue.title}: {_draft_message(len(started))}")

    def draft_view(self, request, issue_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = get_object_or_404(WeeklyIssue, pk=issue_id)
        if not _may_draft(request.user):
            raise PermissionDenied
        back = reverse("admin:papernotes_weeklyissue_change", args=[issue.pk])
        # Batch mode (about half the price, results within 24 hours) is the chief editor's choice.
        batch = request.GET.get("batch") == "1" or None
        if batch and not _may_draft_in_batch(request.user):
            message = gettext("バッチでの下書きは編集長だけが始められます。")
            return _answer(request, message, ok=False, fallback_url=back)
        try:
            started = issue_draft_start(issue_id=issue.pk, user=request.user, batch=batch)
        except DraftingError as error:
            return _answer(request, str(error), ok=False, fallback_url=back)
        in_batch = batch or batch_mode_default()
        return _answer(request, _draft_message(len(started), in_batch=in_batch), fallback_url=back)

    def has_draft_permission(self, request) -> bool:
        return _may_draft(request.user)


def _may_draft(user) -> bool:
    # Drafting writes machine texts into notes, so it takes what editing a note takes
    # (editors and chief editors alike; the API asks the same).
    return user.has_perm("papernotes.change_note")


def _may_draft_in_batch(user) -> bool:
    return _may_draft(user) and user.has_perm(roles.MANAGE_ISSUE)


def _retry_message(count: int) -> str:
    if count:
        return gettext("{count} 本の論文を再試行します。").format(count=count)
    return gettext("失敗した論文はありません。")


def _draft_message(count: int, *, in_batch: bool = False) -> str:
    if count and in_batch:
        return gettext("{count} 本の論文の下書きをバッチで作成します(結果は 24 時間以内に届きます)。").format(
            count=count
        )
    if count:
        return gettext("{count} 本の論文の下書きを作成します。").format(count=count)
    return gettext("下書きを作る論文はありません(作成中または作成済みです)。")


class PaperPipelineAdminMixin:
    """Added to the paper admin: pipeline state and what was extracted."""

    @admin.display(description=_("取り込み"))
    def pipeline_progress(self, paper) -> str:
        state = getattr(paper, "ingestion", None)
        if state is None:
            return "—"
        return progress_bar(state.progress, f"{state.get_stage_display()} / {state.get_status_display()}")

    def get_urls(self):
        own = [
            path(
                "<int:paper_id>/pipeline/",
                self.admin_site.admin_view(self.paper_pipeline_fragment_view),
                name="papernotes_paper_pipeline",
            ),
        ]
        return own + super().get_urls()

    def _pipeline_context(self, paper) -> dict:
        rows = paper_pipeline_rows(paper_id=paper.pk)
        return {
            "state": getattr(paper, "ingestion", None),
            "pdf": getattr(paper, "pdf", None),
            "passage_count": paper.passages.count(),
            "paper": paper,
            "rows": rows,
            "active": any(row.active for row in rows),
        }

    def paper_pipeline_fragment_view(self, request, paper_id: int):
        paper = get_object_or_404(self.model, pk=paper_id)
        if not self.has_view_permission(request, paper):
            raise PermissionDenied
        return TemplateResponse(request, "editorial/paper_pipeline.html", self._pipeline_context(paper))

    @admin.display(description=_("取り込みの詳細"))
    def pipeline_details(self, paper) -> str:
        if paper.pk is None:
            return "—"
        return render_to_string(
            "editorial/paper_pipeline_box.html",
            {
                **self._pipeline_context(paper),
                "pipeline_url": reverse("admin:papernotes_paper_pipeline", args=[paper.pk]),
            },
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaperIngestion)
class PaperIngestionAdmin(ReadOnlyAdmin):
    list_display = ("paper", "stage", "status", "attempts", "error_code", "updated_at")
    list_filter = ("stage", "status", "error_code")
    list_select_related = ("paper",)
    search_fields = ("paper__arxiv_id", "paper__title", "last_error")


@admin.register(PaperPdf)
class PaperPdfAdmin(ReadOnlyAdmin):
    list_display = ("paper", "version", "size", "page_count", "sha256", "downloaded_at")
    list_select_related = ("paper",)
    search_fields = ("paper__arxiv_id", "sha256")
    # The file itself is never linked: PDFs stay internal (arXiv's terms).
    exclude = ("file",)


@admin.register(Passage)
class PassageAdmin(ReadOnlyAdmin):
    list_display = (
        "paper",
        "position",
        "page_start",
        "page_end",
        "section",
        "is_reference",
        "is_figure_text",
        "is_table",
    )
    list_filter = ("is_reference", "is_figure_text", "is_table")
    list_select_related = ("paper",)
    search_fields = ("paper__arxiv_id", "section", "text")


@admin.register(IssueSourceList)
class IssueSourceListAdmin(ReadOnlyAdmin):
    list_display = ("issue", "submitted_at", "submitted_by", "accepted_count", "rejected_count")
    list_select_related = ("issue", "submitted_by")

    @admin.display(description=_("追加した論文"))
    def accepted_count(self, source: IssueSourceList) -> int:
        return len(source.accepted)

    @admin.display(description=_("使えなかった行"))
    def rejected_count(self, source: IssueSourceList) -> int:
        return len(source.rejected)
