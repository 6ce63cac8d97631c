"""Forms of the editors' screens.

``ProvenancedTextForm`` knows which provenanced texts the editor changed, and refuses a
change to a text someone else changed after the form was opened (the editor's text stays
in the form). ``LinesField`` shows lists (authors, categories, forbidden variants) as
one item per line instead of JSON.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from editorial.editing import normalise_newlines, qa_set_signature
from editorial.workflow import reviewers
from papernotes import taxonomy
from papernotes.models import Note, Paper, QuestionAnswer


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


class LinesField(forms.CharField):
    """A list shown and edited as one item per line (stored as a JSON list)."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "lines-field"})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in normalise_newlines(text).split("\n") if line.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class PaperForm(forms.ModelForm):
    authors = LinesField(label=_("著者"), required=False, help_text=_("1 行に 1 人"))
    categories = LinesField(
        label=_("カテゴリ"),
        required=False,
        help_text=_("arXiv のカテゴリコードを 1 行に 1 つ(主カテゴリを先頭に)。例: cs.CL"),
    )

    class Meta:
        model = Paper
        fields = (
            "arxiv_id", "latest_version", "title", "authors", "first_published_on", "latest_updated_on",
            "categories", "abs_url", "pdf_url", "doi", "journal_ref", "comment", "abstract_en",
        )  # fmt: skip

    def clean_categories(self):
        codes = self.cleaned_data["categories"]
        unknown = [code for code in codes if code not in taxonomy.categories()]
        if unknown:
            raise forms.ValidationError(
                gettext("arXiv にないカテゴリコードです: %(codes)s") % {"codes": ", ".join(unknown)}
            )
        return codes


class QuestionAnswerForm(ProvenancedTextForm):
    class Meta:
        model = QuestionAnswer
        fields = ("note", "position", "question", "answer")


class QuestionAnswerInlineForm(QuestionAnswerForm):
    """A compact Q&A row. Positions are renumbered by the reorder buttons; the uniqueness
    of positions is checked across the rows (the formset), not against stored rows, so
    that swapping two pairs is possible."""

    # Plain text areas: django-markdownx's form field forces its editor-with-preview widget,
    # which would make every row a screen tall.
    question = forms.CharField(
        label=_("質問"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 2, "class": "qa-text"})
    )
    answer = forms.CharField(
        label=_("回答"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3, "class": "qa-text"})
    )

    class Meta(QuestionAnswerForm.Meta):
        widgets = {"position": forms.NumberInput(attrs={"class": "qa-position", "min": 1})}

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), "position"}


class QuestionAnswerFormSet(forms.BaseInlineFormSet):
    deleted_meanwhile = _(
        "この Q&A は、画面を開いた後に他の人が削除しました。あなたの入力はこの行に残っています。"
        "残す場合は内容を新しい Q&A として追加し直してください。"
    )

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_field = form.fields.get(self._pk_field.name)
        if pk_field is not None:
            # The hidden id of a pair someone else deleted: say so, in words the editor can act on.
            pk_field.error_messages["invalid_choice"] = self.deleted_meanwhile

    def clean(self):
        if any(self._pk_field.name in form.errors for form in self.forms):
            # The row's own error sits on a hidden field; say it where the editor reads it too.
            raise forms.ValidationError(self.deleted_meanwhile)
        super().clean()
        positions = [
            form.cleaned_data.get("position")
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form)) and form.cleaned_data.get("position")
        ]
        duplicates = sorted({position for position in positions if positions.count(position) > 1})
        if duplicates:
            raise forms.ValidationError(
                gettext("Q&A の順番が重複しています: %(positions)s") % {"positions": ", ".join(map(str, duplicates))}
            )


class NoteReviewForm(ProvenancedTextForm):
    """The note's review form: its texts, plus the assignment, a comment and a correction note."""

    assignee = forms.ModelChoiceField(
        label=_("担当者"), queryset=get_user_model().objects.none(), required=False, empty_label=_("(未割り当て)")
    )
    comment = forms.CharField(
        label=_("レビューコメント"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("保存すると追加されます。修正依頼にはここに何を直すかを書きます。"),
    )
    correction_note = forms.CharField(
        label=_("訂正の内容"),
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("公開済みの号のノートを直すときに必須です(記録され、読者には「更新」と表示されます)。"),
    )

    # The Q&A set (ids and order) the editor was shown: a save that reorders, adds or deletes
    # pairs is refused when someone changed the set meanwhile (``editorial.editing``).
    qa_set_seen = forms.CharField(widget=forms.HiddenInput, required=False)

    # A refusal of the editing service, shown on the form when the page is rendered again.
    refusal = None

    class Meta:
        model = Note
        fields = ("position", "summary", "abstract_ja")
        widgets = {"position": forms.NumberInput(attrs={"min": 1})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["qa_set_seen"].initial = qa_set_signature(note_id=self.instance.pk)
            if self.is_bound and self.refusal is not None and self.refusal.field is None:
                # Rendered again after a refusal: the set as it is now counts as seen, so
                # saving again after reading the message means "keep mine".
                self.data = self.data.copy()
                self.data[self.add_prefix("qa_set_seen")] = qa_set_signature(note_id=self.instance.pk)
        user_model = get_user_model()
        self.fields["assignee"].queryset = user_model.objects.filter(pk__in=[user.pk for user in reviewers()])
        assignment = getattr(self.instance, "assignment", None) if self.instance.pk else None
        self.fields["assignee"].initial = assignment.assignee_id if assignment else None

    def clean_position(self):
        position = self.cleaned_data.get("position")
        if position and self.instance.pk and "position" in self.changed_data:
            taken = Note.objects.filter(issue_id=self.instance.issue_id, position=position).exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(
                    gettext(
                        "この号には順番 %(position)s の論文ノートが既にあります。先にそちらの順番を変えてください。"
                    )
                    % {"position": position}
                )
        return position

    def clean(self):
        cleaned_data = super().clean()
        if self.refusal is not None:
            field = self.refusal.field if self.refusal.field in self.fields else None
            self.add_error(field, self.refusal.message)
        issue = self.instance.issue if self.instance.pk else None
        correcting = issue is not None and issue.was_published and self.editor_changes()
        if correcting and not (cleaned_data.get("correction_note") or "").strip():
            self.add_error("correction_note", gettext("公開済みのノートを直すときは、訂正の内容を書いてください。"))
        return cleaned_data
