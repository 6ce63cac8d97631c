"""The admin's 「トークン」 screen: API tokens, hashed at rest.

A new or rotated token's key is shown once, on the page that answers the form or the
action (never stored, never put in a message cookie, never shown again); the list shows
each token's first characters, use, owner, expiry and last use.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from api.tokens import IssuedToken, TokenError, api_token_create, api_token_rotate


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("有効期間(日)"),
        min_value=1,
        required=False,
        help_text=_("空欄なら既定の日数です。"),
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def clean_days(self):
        days = self.cleaned_data.get("days")
        if days is not None and days > settings.API_TOKEN_MAX_TTL_DAYS:
            raise forms.ValidationError(
                gettext("有効期間は {max} 日までです。").format(max=settings.API_TOKEN_MAX_TTL_DAYS)
            )
        return days


def _shown_once(request, issued: list[IssuedToken]) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "admin/api/apitoken/issued.html",
        {
            **admin.site.each_context(request),
            "title": gettext("トークンを作成しました"),
            "issued": issued,
            "opts": ApiToken._meta,
        },
    )
    add_never_cache_headers(response)
    return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "user", "shown_prefix", "created_at", "expires_at", "last_used_at", "valid"]
    list_filter = ["expires_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "shown_prefix", "created_at", "expires_at", "last_used_at"]
    actions = ["rotate"]

    @admin.display(description=_("キー"))
    def shown_prefix(self, token: ApiToken) -> str:
        return f"{token.prefix}…" if token.prefix else "-"

    @admin.display(description=_("有効"), boolean=True)
    def valid(self, token: ApiToken) -> bool:
        return not token.is_expired

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "days"]
        return ["name", "user", "shown_prefix", "created_at", "expires_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = ["name"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        issued = api_token_create(user=obj.user, name=obj.name, days=form.cleaned_data.get("days"))
        for name in ("pk", "prefix", "digest", "created_at", "expires_at"):
            setattr(obj, name, getattr(issued.token, name))
        request._issued_tokens = [issued]

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_tokens", None)
        if issued:
            return _shown_once(request, issued)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("選んだトークンを再発行する(古いキーはすぐ使えなくなります)"), permissions=["change"])
    def rotate(self, request, queryset):
        issued = []
        for token in queryset:
            try:
                issued.append(api_token_rotate(token=token))
            except TokenError as error:
                self.message_user(request, str(error), messages.ERROR)
        if issued:
            return _shown_once(request, issued)
        return None
