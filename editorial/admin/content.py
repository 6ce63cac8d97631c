"""The Django admin for papers and Q&A pairs, in Japanese, and what the other screens share.

Thin by design: saving a note or a Q&A goes through ``editorial.services`` so the
provenance rule (an editor's change becomes ``editor``; untouched texts keep text and
source) holds here as everywhere else. Every model admin derives from
``SimpleHistoryAdmin`` so editors can open 履歴 and see who changed what.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from editorial import roles
from editorial.admin.forms import PaperForm, ProvenancedTextForm, QuestionAnswerForm
from editorial.admin.ingestion import PaperPipelineAdminMixin
from editorial.checks.services import note_refresh_findings
from editorial.services import ReviewError, qa_save_editor_changes
from papernotes.models import NEWSLETTER_NAME, Paper, QuestionAnswer

admin.site.site_header = format_lazy(_("{name} 管理画面"), name=NEWSLETTER_NAME)
admin.site.site_title = format_lazy(_("{name} 管理"), name=NEWSLETTER_NAME)
admin.site.index_title = _("編集と管理")

MARKDOWNX_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

__all__ = ["MARKDOWNX_WIDGETS", "PaperAdmin", "ProvenancedTextAdmin", "ProvenancedTextForm", "QuestionAnswerAdmin"]


class ProvenancedTextAdmin(SimpleHistoryAdmin):
    """Saves through a service, passing the texts the editor changed (or reverted)."""

    formfield_overrides = MARKDOWNX_WIDGETS

    def editor_changes(self, request, form: ProvenancedTextForm) -> dict[str, str]:
        match = request.resolver_match
        if match and match.url_name.endswith("_simple_history"):
            # 履歴 → 元に戻す: the form shows the old version, so nothing looks "changed";
            # every text of that version is what the editor chose, compared with what is
            # stored now by the service.
            return {name: form.cleaned_data[name] for name in form.provenanced_names() if name in form.cleaned_data}
        return form.editor_changes()


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
class PaperAdmin(PaperPipelineAdminMixin, SimpleHistoryAdmin):
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
    readonly_fields = ("question_source_label", "question_machine_draft", "answer_source_label", "answer_machine_draft")
    fields = (
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

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is not None and obj.note.issue.was_published:
            return allowed and request.user.has_perm(roles.PUBLISH_ISSUE)
        return allowed

    def save_model(self, request, obj, form, change):
        try:
            changed = qa_save_editor_changes(qa=obj, changed_data=self.editor_changes(request, form), user=request.user)
        except ReviewError as error:
            raise PermissionDenied(str(error)) from error
        if changed:
            self.message_user(request, changed_fields_message(QuestionAnswer, changed))
        note_refresh_findings(note_id=obj.note_id)
