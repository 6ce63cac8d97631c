"""The subscriber's pages (Japanese): subscribe, confirm, unsubscribe, preferences.

Thin: each calls one service of ``papernotes.delivery.services``. None is cached (they
carry CSRF tokens or act on a subscriber): ``never_cache`` and no ``cached_public_page``.

- Subscribe answers the same whatever the address's state, so it tells nobody whether an
  address is subscribed; rate-limited per client and per address; a honeypot field.
- Confirm and unsubscribe links only *show* a page on GET (link scanners and mail
  previews open links); the button POSTs. The unsubscribe URL also takes the RFC 8058
  one-click POST (``List-Unsubscribe=One-Click``) a mail client sends: no CSRF token, no
  login, the signed token in the URL is the authority.
"""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from papernotes.delivery import services
from papernotes.delivery.forms import PreferencesForm, SubscribeForm
from papernotes.delivery.throttle import client_ip, subscribe_allowed
from papernotes.models import SUPPRESSED_SUBSCRIBER_STATUSES, SubscriberStatus


def private_page(view):
    """Never cached, never indexed: these pages carry CSRF tokens or a subscriber's own link."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapper)


def _message(request: HttpRequest, *, title: str, paragraphs: list[str], status: int = 200) -> HttpResponse:
    return render(request, "delivery/message.html", {"title": title, "paragraphs": paragraphs}, status=status)


def _link_error(request: HttpRequest, error: services.LinkError) -> HttpResponse:
    return _message(
        request,
        title=_("リンクを確認できませんでした"),
        paragraphs=[error.message],
        status=410 if error.expired else 404,
    )


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The subscribe form; a valid address always leads to the same 「確認メールを送りました」 page."""
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_bot():
            return redirect("delivery:sent")
        email = services.normalise_email(form.cleaned_data["email"])
        ip = client_ip(request) or None
        if not subscribe_allowed(ip=ip or "", email=email):
            return _message(
                request,
                title=_("しばらくしてからお試しください"),
                paragraphs=[
                    _("短い時間に多くのお申し込みがありました。1 時間ほどおいてから、もう一度お試しください。")
                ],
                status=429,
            )
        services.subscriber_subscribe(email=email, ip=ip)
        return redirect("delivery:sent")
    return render(request, "delivery/subscribe.html", {"form": form}, status=400 if form.errors else 200)


@private_page
@require_http_methods(["GET", "HEAD"])
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        title=_("確認メールをお送りしました"),
        paragraphs=[
            _("入力されたアドレスに確認メールをお送りしました。メールのリンクを開いて、購読を確定してください。"),
            _("数分たってもメールが届かない場合は、迷惑メールのフォルダもご確認ください。"),
        ],
    )


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button (opening the link confirms nothing). POST: confirm."""
    try:
        if request.method == "POST":
            services.subscriber_confirm(token=token, ip=client_ip(request) or None)
            return _message(
                request,
                title=_("購読を開始しました"),
                paragraphs=[_("次の号から、公開され次第メールでお届けします。ありがとうございます。")],
            )
        subscriber = services.subscriber_for_confirmation(token=token)
    except services.LinkError as error:
        return _link_error(request, error)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return _message(request, title=_("購読を開始しました"), paragraphs=[_("このアドレスの購読は確定しています。")])
    return render(request, "delivery/confirm.html", {"email": subscriber.email})


@csrf_exempt
@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirmation page with a button. POST (the button, or RFC 8058 one-click from
    a mail client): unsubscribe, without CSRF or login: the signed token is the authority."""
    try:
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            services.subscriber_unsubscribe(token=token, source="one-click" if one_click else "page")
            return _message(
                request,
                title=_("配信を停止しました"),
                paragraphs=[_("このアドレスには今後ニュースレターをお送りしません。")],
            )
        subscriber = services.subscriber_for_link(token=token)
    except services.LinkError as error:
        return _link_error(request, error)
    return render(
        request,
        "delivery/unsubscribe.html",
        {"email": subscriber.email, "subscribed": subscriber.status == SubscriberStatus.CONFIRMED, "token": token},
    )


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The subscriber's settings: format (HTML or text only), stop or start again."""
    try:
        subscriber = services.subscriber_for_link(token=token)
    except services.LinkError as error:
        return _link_error(request, error)
    initial = {"email_format": subscriber.email_format, "subscribed": subscriber.status == SubscriberStatus.CONFIRMED}
    form = PreferencesForm(
        request.POST or None, initial={**initial, "subscribed": "1" if initial["subscribed"] else "0"}
    )
    saved = False
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            subscriber = services.subscriber_update_preferences(
                token=token,
                email_format=form.cleaned_data["email_format"],
                subscribed=form.cleaned_data["subscribed"],
            )
            saved = True
        except services.DeliveryError as refused:
            error = refused.message
    context = {
        "form": form,
        "subscriber": subscriber,
        "saved": saved,
        "error": error,
        "suppressed": subscriber.status in SUPPRESSED_SUBSCRIBER_STATUSES,
        "token": token,
    }
    return render(request, "delivery/preferences.html", context, status=400 if (form.errors or error) else 200)
