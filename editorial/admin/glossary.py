"""The glossary admin: term, preferred rendering, forbidden variants, note; CSV in and out.

Import and export use django-import-export. In the CSV, ``forbidden_variants`` is one
cell with the variants separated by ``|`` (a JSON list in the database).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportModelAdmin

from editorial.admin.content import GuardedHistoryAdmin
from editorial.admin.forms import LinesField
from papernotes.models import GlossaryEntry


class VariantsWidget(widgets.Widget):
    """A list as ``a|b|c`` in one CSV cell."""

    def clean(self, value, row=None, **kwargs):
        if not value:
            return []
        return [part.strip() for part in str(value).split("|") if part.strip()]

    def render(self, value, obj=None, **kwargs):
        return "|".join(value or [])


class GlossaryResource(resources.ModelResource):
    term = fields.Field(attribute="term", column_name="term")
    preferred = fields.Field(attribute="preferred", column_name="preferred")
    forbidden_variants = fields.Field(
        attribute="forbidden_variants", column_name="forbidden_variants", widget=VariantsWidget()
    )
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = GlossaryEntry
        # Rows are matched by term, so re-importing an edited file updates entries in place.
        import_id_fields = ("term",)
        fields = ("term", "preferred", "forbidden_variants", "note")
        export_order = ("term", "preferred", "forbidden_variants", "note")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True  # the model's constraints give Japanese messages


class GlossaryEntryForm(forms.ModelForm):
    forbidden_variants = LinesField(label=_("使わない表記"), required=False, help_text=_("1 行に 1 つ"))

    class Meta:
        model = GlossaryEntry
        fields = ("term", "preferred", "forbidden_variants", "note")


@admin.register(GlossaryEntry)
class GlossaryEntryAdmin(ImportExportModelAdmin, GuardedHistoryAdmin):
    resource_classes = [GlossaryResource]
    form = GlossaryEntryForm
    list_display = ("term", "preferred", "variants", "note", "updated_at")
    search_fields = ("term", "preferred", "note")

    # django-import-export lets anyone with the page in (staff) import unless told otherwise:
    # importing adds and changes entries, so it takes both permissions; exporting, reading.
    def has_import_permission(self, request) -> bool:
        user = request.user
        return user.has_perm("papernotes.add_glossaryentry") and user.has_perm("papernotes.change_glossaryentry")

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.display(description=_("使わない表記"))
    def variants(self, entry: GlossaryEntry) -> str:
        return "、".join(entry.forbidden_variants or []) or "—"
