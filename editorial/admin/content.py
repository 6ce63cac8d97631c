"""The Django admin for the content models, in Japanese.

Thin by design: saving a note or a Q&A goes through ``editorial.services`` so the
provenance rule (an editor's change becomes ``editor``; untouched texts keep text and
source) holds here as everywhere else. Every model admin derives from
``SimpleHistoryAdmin`` so editors can open 履歴 and see who changed what.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from editorial.admin.ingestion import IssuePipelineAdminMixin, PaperPipelineAdminMixin
from editorial.services import normalise_newlines, note_save_editor_changes, qa_save_editor_changes
from papernotes.ingestion.selectors import with_pipeline
from papernotes.models import NEWSLETTER_NAME, Note, Paper, QuestionAnswer, WeeklyIssue

admin.site.site_header = format_lazy(_("{name} 管理画面"), name=NEWSLETTER_NAME)
admin.site.site_title = format_lazy(_("{name} 管理"), name=NEWSLETTER_NAME)
admin.site.index_title = _("編集と管理")

MARKDOWNX_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}


class ProvenancedTextForm(forms.ModelForm):
    """A form that knows which provenanced texts the editor changed, and from what.

    Each provenanced field carries a hidden copy of the text the editor was shown
    (``show_hidden_initial``). A field counts as changed only if the submitted text
    differs from that copy, and a change is refused when the stored text was changed by
    someone else (another editor, a late machine draft) after the form was opened.
    """

    conflict_message = _(
        "この欄は、編集画面を開いた後に他の人または機械下書きによって変更されました。"
        "あなたの入力はこの欄に残っています。現在の内容を確認し、必要なら反映してから、"
        "もう一度保存してください。現在の内容: %(current)s"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.provenanced_names():
            self.fields[name].show_hidden_initial = True

    def provenanced_names(self) -> list[str]:
        return [name for name in self._meta.model.provenanced_fields if name in self.fields]

    def editor_changes(self) -> dict[str, str]:
        """The provenanced texts the editor changed, by field name."""
        return {
            name: self.cleaned_data[name]
            for name in self.provenanced_names()
            if name in self.changed_data and name in self.cleaned_data
        }

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is None:
            return cleaned_data
        for name, text in self.editor_changes().items():
            seen = self.data.get(self[name].html_initial_name)
            if seen is None:
                continue
            # ``self.instance`` still holds the stored row here: the form's values are
            # copied onto it only after clean().
            stored = normalise_newlines(getattr(self.instance, name)).strip()
            seen = normalise_newlines(seen).strip()
            if seen != stored and normalise_newlines(text).strip() != stored:
                self.add_error(name, self.conflict_message % {"current": stored or gettext("(空)")})
                # Re-render with the current text as "seen", so saving again after
                # reviewing it means "keep mine" instead of conflicting forever.
                self.data = self.data.copy()
                self.data[self[name].html_initial_name] = stored
        return cleaned_data


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


def _changed_fields_message(model, fields: list[str]) -> str:
    names = "、".join(str(model._meta.get_field(field).verbose_name) for field in fields)
    return gettext("編集者の文章として記録しました: %(fields)s") % {"fields": names}


@admin.register(Paper)
class PaperAdmin(PaperPipelineAdminMixin, SimpleHistoryAdmin):
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


class IssueNoteInline(admin.TabularInline):
    """The issue's notes at a glance; each is edited on its own page (変更 link)."""

    model = Note
    fields = ("position", "paper_link", "state", "summary_source", "abstract_ja_source", "qa_count")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paper").annotate(qa_count=Count("qas"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("論文"))
    def paper_link(self, note: Note) -> str:
        url = reverse("admin:papernotes_paper_change", args=[note.paper_id])
        return format_html('<a href="{}">{}</a>', url, note.paper.title)

    @admin.display(description=_("Q&A の数"))
    def qa_count(self, note: Note) -> int:
        return note.qa_count


@admin.register(WeeklyIssue)
class WeeklyIssueAdmin(IssuePipelineAdminMixin, SimpleHistoryAdmin):
    list_display = ("title_display", "week_start", "state", "note_count", "pipeline_progress", "published_at")
    list_display_links = ("title_display",)
    list_filter = ("state",)
    date_hierarchy = "week_start"
    search_fields = ("intro",)
    readonly_fields = ("title_display", "state", "published_at", "reader_link", "created_at", "updated_at")
    fields = (
        "title_display",
        "week_start",
        "intro",
        "state",
        "published_at",
        "reader_link",
        "created_at",
        "updated_at",
    )
    inlines = (IssueNoteInline,)

    def get_queryset(self, request):
        return with_pipeline(super().get_queryset(request).annotate(note_count=Count("notes")))

    @admin.display(description=_("タイトル"), ordering="week_start")
    def title_display(self, issue: WeeklyIssue) -> str:
        return issue.title if issue.week_start else ""

    @admin.display(description=_("論文数"), ordering="note_count")
    def note_count(self, issue: WeeklyIssue) -> int:
        return issue.note_count

    @admin.display(description=_("公開ページ"))
    def reader_link(self, issue: WeeklyIssue) -> str:
        if not issue.is_published:
            return gettext("(未公開)")
        return format_html('<a href="{0}">{0}</a>', issue.get_absolute_url())


class QuestionAnswerForm(ProvenancedTextForm):
    class Meta:
        model = QuestionAnswer
        fields = ("note", "position", "question", "answer")


class QuestionAnswerInline(admin.StackedInline):
    model = QuestionAnswer
    form = QuestionAnswerForm
    formfield_overrides = MARKDOWNX_WIDGETS
    fields = (
        "position",
        "question",
        ("question_source", "question_machine_draft"),
        "answer",
        ("answer_source", "answer_machine_draft"),
    )
    readonly_fields = ("question_source", "question_machine_draft", "answer_source", "answer_machine_draft")
    extra = 0
    ordering = ("position",)


class NoteForm(ProvenancedTextForm):
    class Meta:
        model = Note
        fields = ("issue", "paper", "position", "summary", "abstract_ja")


@admin.register(Note)
class NoteAdmin(ProvenancedTextAdmin):
    form = NoteForm
    list_display = ("issue", "position", "paper_title", "state", "summary_source", "abstract_ja_source")
    list_display_links = ("paper_title",)
    list_filter = ("state", "summary_source", "abstract_ja_source", "issue")
    list_select_related = ("issue", "paper")
    search_fields = ("paper__title", "paper__arxiv_id", "summary")
    autocomplete_fields = ("paper",)
    readonly_fields = (
        "state",
        "summary_source",
        "summary_machine_draft",
        "abstract_ja_source",
        "abstract_ja_machine_draft",
        "paper_abstract_en",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("issue", "paper", "position", "state")}),
        (_("一行要約"), {"fields": ("summary", ("summary_source", "summary_machine_draft"))}),
        (
            _("概要"),
            {
                "fields": (
                    "paper_abstract_en",
                    "abstract_ja",
                    ("abstract_ja_source", "abstract_ja_machine_draft"),
                )
            },
        ),
        (_("記録"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = (QuestionAnswerInline,)

    @admin.display(description=_("論文のタイトル"), ordering="paper__title")
    def paper_title(self, note: Note) -> str:
        return note.paper.title

    @admin.display(description=_("英語の概要(原文)"))
    def paper_abstract_en(self, note: Note) -> str:
        return note.paper.abstract_en if note.paper_id else ""

    def save_model(self, request, obj, form, change):
        changed = note_save_editor_changes(note=obj, changed_data=self.editor_changes(request, form), user=request.user)
        if changed:
            self.message_user(request, _changed_fields_message(Note, changed))

    def save_formset(self, request, form, formset, change):
        if formset.model is not QuestionAnswer:
            super().save_formset(request, form, formset, change)
            return
        # Let the formset sort out new, changed and deleted rows, then save each row
        # through the service instead of formset.save().
        formset.save(commit=False)
        for qa in formset.deleted_objects:
            qa.delete()
        forms_by_instance = {id(inline_form.instance): inline_form for inline_form in formset.forms}
        to_save = [*formset.new_objects, *(qa for qa, _fields in formset.changed_objects)]
        for qa in to_save:
            qa_save_editor_changes(qa=qa, changed_data=forms_by_instance[id(qa)].editor_changes(), user=request.user)
        formset.save_m2m()


@admin.register(QuestionAnswer)
class QuestionAnswerAdmin(ProvenancedTextAdmin):
    form = QuestionAnswerForm
    list_display = ("question_excerpt", "note", "position", "question_source", "answer_source")
    list_filter = ("question_source", "answer_source", "note__issue")
    list_select_related = ("note__issue", "note__paper")
    search_fields = ("question", "answer", "note__paper__title")
    autocomplete_fields = ("note",)
    readonly_fields = ("question_source", "question_machine_draft", "answer_source", "answer_machine_draft")
    fields = (
        "note",
        "position",
        "question",
        ("question_source", "question_machine_draft"),
        "answer",
        ("answer_source", "answer_machine_draft"),
    )

    @admin.display(description=_("質問"), ordering="question")
    def question_excerpt(self, qa: QuestionAnswer) -> str:
        return qa.question[:60] + ("…" if len(qa.question) > 60 else "")

    def save_model(self, request, obj, form, change):
        changed = qa_save_editor_changes(qa=obj, changed_data=self.editor_changes(request, form), user=request.user)
        if changed:
            self.message_user(request, _changed_fields_message(QuestionAnswer, changed))
