"""The Django admin for papers and Q&A pairs, in Japanese, and what the other screens share.

Thin by design: saving a note or a Q&A goes through ``editorial.services`` so the
provenance rule (an editor's change becomes ``editor``; untouched texts keep text and
source) holds here as everywhere else. Every model admin derives from
``SimpleHistoryAdmin`` so editors can open 履歴 and see who changed what.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from editorial.admin.forms import PaperForm, ProvenancedTextForm, QuestionAnswerForm
from editorial.admin.ingestion import PaperPipelineAdminMixin
from editorial.editing import EditNotPermitted, EditRefused, note_edit_refusal, qa_revert
from papernotes.models import NEWSLETTER_NAME, Paper, QuestionAnswer

admin.site.site_header = format_lazy(_("{name} 管理画面"), name=NEWSLETTER_NAME)
admin.site.site_title = format_lazy(_("{name} 管理"), name=NEWSLETTER_NAME)
admin.site.index_title = _("編集と管理")

MARKDOWNX_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

__all__ = [
    "MARKDOWNX_WIDGETS",
    "GuardedHistoryAdmin",
    "PaperAdmin",
    "ProvenancedTextAdmin",
    "ProvenancedTextForm",
    "QuestionAnswerAdmin",
]


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    """履歴 for every model, with 元に戻す held to the same rules as any other change.

    django-simple-history's revert saves the whole historic row (a state, a publication
    time, a position included) and checks only the view permission. Here a revert is
    allowed only where :meth:`may_revert` says so (by default: change permission for the
    object as it is now; ``history_revert = False`` turns it off), and an admin with
    :meth:`revert_through_service` restores through that service instead of saving the
    historic row: notes and Q&A restore texts only, under ``editorial.editing``'s rules.
    """

    history_revert = True
    object_history_template = "simple_history/object_history.html"
    object_history_form_template = "simple_history/object_history_form.html"

    revert_through_service = None  # (request, current object, history id) -> EditResult

    def may_revert(self, request, current) -> bool:
        return self.history_revert and self.has_change_permission(request, current)

    # django-simple-history has no Japanese translation: its page titles, in Japanese.
    def history_view_title(self, request, obj):
        return gettext("変更履歴: %(object)s") % {"object": obj}

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return gettext("過去の版: %(object)s") % {"object": obj}
        return gettext("この版に戻す: %(object)s") % {"object": obj}

    def revert_disabled(self, request, obj=None):
        current = self.model._default_manager.filter(pk=obj.pk).first() if obj is not None else None
        return current is None or not self.may_revert(request, current)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        current = get_object_or_404(self.model, pk=object_id)
        if not self.may_revert(request, current):
            raise PermissionDenied(
                gettext("この版に戻す権限がないか、この対象は元に戻せません。何も変更されていません。")
            )
        if self.revert_through_service is None:
            return super().history_form_view(request, object_id, version_id, extra_context)
        try:
            result = self.revert_through_service(request, current, int(version_id))
        except EditNotPermitted as error:
            raise PermissionDenied(error.message) from error
        except EditRefused as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(request.path)
        if result.changed:
            self.message_user(
                request, gettext("選んだ版の文章に戻しました(状態・順番は変わりません)。"), messages.SUCCESS
            )
            if result.approval_taken_back:
                self.message_user(
                    request,
                    gettext("承認済みだったため、レビュー中に戻しました。もう一度承認してください。"),
                    messages.WARNING,
                )
        else:
            self.message_user(request, gettext("選んだ版の文章は現在と同じです。何も変わっていません。"), messages.INFO)
        return redirect(reverse("admin:papernotes_note_change", args=[result.note.pk]))


class ProvenancedTextAdmin(GuardedHistoryAdmin):
    """Saves through a service, passing the texts the editor changed (or reverted)."""

    formfield_overrides = MARKDOWNX_WIDGETS

    def may_revert(self, request, current) -> bool:
        # Texts only, through the editing rules; a published issue is corrected on the review
        # screen instead, where the correction note is written.
        note = current if hasattr(current, "issue_id") else current.note
        return (
            self.revert_through_service is not None
            and not note.issue.was_published
            and note_edit_refusal(note=note, actor=request.user) is None
        )


def titled_filter(title):
    """A choices filter with its own title: two fields share the verbose name 「出典」."""

    class TitledChoicesFilter(admin.ChoicesFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledChoicesFilter


def changed_fields_message(model, fields: list[str]) -> str:
    names = "、".join(str(model._meta.get_field(field).verbose_name) for field in fields)
    return gettext("編集者の文章として記録しました: %(fields)s") % {"fields": names}


@admin.register(Paper)
class PaperAdmin(PaperPipelineAdminMixin, GuardedHistoryAdmin):
    form = PaperForm
    list_display = ("arxiv_id", "title", "first_published_on", "latest_version", "category_codes", "pipeline_progress")
    list_select_related = ("ingestion",)
    list_display_links = ("arxiv_id", "title")
    search_fields = ("arxiv_id", "title", "authors")
    list_filter = ("first_published_on", "latest_updated_on", "latest_version")
    date_hierarchy = "first_published_on"
    readonly_fields = ("category_display_names", "pipeline_details", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("arxiv_id", "latest_version", "title", "authors")}),
        (_("日付"), {"fields": ("first_published_on", "latest_updated_on")}),
        (_("カテゴリ"), {"fields": ("categories", "category_display_names")}),
        (_("リンク"), {"fields": ("abs_url", "pdf_url", "doi", "journal_ref", "comment")}),
        (_("英語の概要"), {"fields": ("abstract_en",)}),
        (_("取り込み"), {"fields": ("pipeline_details",)}),
        (_("記録"), {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("カテゴリ"))
    def category_codes(self, paper: Paper) -> str:
        return ", ".join(paper.categories)

    @admin.display(description=_("表示されるカテゴリ名"))
    def category_display_names(self, paper: Paper) -> str:
        return ", ".join(paper.category_names)


@admin.register(QuestionAnswer)
class QuestionAnswerAdmin(ProvenancedTextAdmin):
    form = QuestionAnswerForm
    list_display = ("question_excerpt", "note", "position", "question_source_label", "answer_source_label")
    list_filter = (
        ("question_source", titled_filter(_("質問の出典"))),
        ("answer_source", titled_filter(_("回答の出典"))),
        "note__issue",
    )
    list_select_related = ("note__issue", "note__paper")
    search_fields = ("question", "answer", "note__paper__title")
    autocomplete_fields = ("note",)
    readonly_fields = (
        "review_screen",
        "question_source_label",
        "question_machine_draft",
        "answer_source_label",
        "answer_machine_draft",
    )
    fields = (
        "review_screen",
        "note",
        "position",
        "question",
        ("question_source_label", "question_machine_draft"),
        "answer",
        ("answer_source_label", "answer_machine_draft"),
    )

    @admin.display(description=_("質問"), ordering="question")
    def question_excerpt(self, qa: QuestionAnswer) -> str:
        return qa.question[:60] + ("…" if len(qa.question) > 60 else "")

    @admin.display(description=_("質問の出典"), ordering="question_source")
    def question_source_label(self, qa: QuestionAnswer) -> str:
        return qa.get_question_source_display()

    @admin.display(description=_("回答の出典"), ordering="answer_source")
    def answer_source_label(self, qa: QuestionAnswer) -> str:
        return qa.get_answer_source_display()

    # Q&A are edited only on their note's review screen, where one save covers the whole set
    # under the editing rules; here they are read, searched, and their history restored.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def revert_through_service(self, request, qa: QuestionAnswer, history_id: int):
        return qa_revert(qa_id=qa.pk, history_id=history_id, actor=request.user)

    @admin.display(description=_("レビュー画面"))
    def review_screen(self, qa: QuestionAnswer) -> str:
        url = reverse("admin:papernotes_note_change", args=[qa.note_id])
        return format_html('<a href="{}#qa-{}">{}</a>', url, qa.pk, gettext("この Q&A をレビュー画面で編集"))
