"""The subscriber's forms (Japanese labels and messages)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from papernotes.models import EmailFormat


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形が正しくありません。"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com"}),
    )
    # A honeypot: hidden from people (and from screen readers), filled in by form-filling bots.
    website = forms.CharField(
        label=_("ウェブサイト(空のままにしてください)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class PreferencesForm(forms.Form):
    email_format = forms.ChoiceField(label=_("配信形式"), choices=EmailFormat.choices, widget=forms.RadioSelect)
    subscribed = forms.TypedChoiceField(
        label=_("配信"),
        choices=[("1", _("受け取る")), ("0", _("停止する"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
