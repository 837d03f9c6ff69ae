"""Pages outside the admin's model pages: the check-in page, and a person's own preferences.

The check-in page is behind the digest's one-click "still on track, no change" link.

The signed token in the link names the digest, the item and the owner it was sent to, so the
page needs no login: opening it (GET) only shows what will be recorded and a button; pressing the
button (POST, CSRF-protected) records the check-in. A mail scanner or a browser prefetch that
follows the link therefore records nothing, and a cross-site page cannot record it either. A
visitor signed in as someone else is refused, so a forwarded link cannot be used by a colleague
by mistake. Every refusal is a page that says why, with a 4xx status, and records nothing.

"Tùy chọn của tôi" (``my_preferences``) is an admin page for every signed-in staff member, routed
under ``/admin/`` through ``admin.site.admin_view`` (see ``tracker/urls.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import notifications, services
from .errors import DomainError, NotPermitted
from .forms import MyPreferencesForm
from .models import Recommendation, ReminderDelivery, User

# One place maps the reasons a link is refused to HTTP statuses.
REFUSAL_STATUS = {
    "invalid": 400,
    "expired": 410,
    "unknown": 404,
    "other_user": 403,
    NotPermitted.code: 403,
    "check_in_used": 409,
    "check_in_closed": 409,
}


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, f"recommendations/{template}", context, status=status)
    # The URL carries the token: keep it out of Referer headers and search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused(request: HttpRequest, code: str, message: str) -> HttpResponse:
    return _page(
        request,
        "check_in_refused.html",
        {"message": message, "code": code, "admin_url": f"{settings.SITE_URL}/admin/"},
        status=REFUSAL_STATUS.get(code, 400),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = notifications.read_check_in_token(token)
    except notifications.CheckInLinkError as error:
        if error.code == "expired":
            message = _(
                "Liên kết xác nhận này đã hết hạn (chỉ dùng được trong %(days)s ngày kể từ khi gửi). "
                "Hãy dùng liên kết trong thư nhắc mới nhất, hoặc cập nhật kiến nghị trong trang quản trị."
            ) % {"days": settings.CHECK_IN_LINK_MAX_AGE_DAYS}
        else:
            message = _(
                "Liên kết xác nhận này không hợp lệ: có thể nó đã bị sửa hoặc bị cắt mất một phần khi "
                "sao chép. Hãy mở lại liên kết từ thư nhắc."
            )
        return _refused(request, error.code, message)

    owner = User.objects.filter(pk=link.user_id).first()
    delivery = ReminderDelivery.objects.filter(pk=link.delivery_id).first()
    recommendation = (
        Recommendation.objects.select_related("owner_organization").filter(pk=link.recommendation_id).first()
    )
    if owner is None or delivery is None or recommendation is None:
        return _refused(request, "unknown", _("Liên kết xác nhận này không còn hiệu lực."))

    with translation.override(notifications.recipient_language(owner)):
        if request.user.is_authenticated and request.user.pk != owner.pk:
            return _refused(
                request,
                "other_user",
                _(
                    "Liên kết này được gửi cho %(owner)s, nhưng bạn đang đăng nhập bằng một tài khoản "
                    "khác. Hãy đăng xuất hoặc chuyển liên kết lại cho đúng người."
                )
                % {"owner": owner},
            )
        problem = services.check_in_problem(delivery=delivery, recommendation=recommendation, actor=owner)
        if problem is not None:
            return _refused(request, problem.code, str(problem))
        context = {
            "owner": owner,
            "recommendation": recommendation,
            "title": notifications.title_in(recommendation, translation.get_language()),
            "admin_url": notifications.admin_change_url(recommendation),
        }
        if request.method == "GET":
            return _page(request, "check_in.html", context)
        try:
            services.check_in_redeem(delivery=delivery, recommendation=recommendation, actor=owner)
        except DomainError as error:
            return _refused(request, error.code, str(error))
        return _page(request, "check_in_done.html", context)


@require_http_methods(["GET", "POST"])
def my_preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own language and weekly-digest choice, nobody else's: the page takes
    no user id. Wrapped in ``admin.site.admin_view``, which lets in only active staff (whatever
    their role), sends everyone else to the admin's login, and adds CSRF protection and
    ``never_cache``."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- admin_view let in only a signed-in user
    if request.method == "POST":
        form = MyPreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.user_preferences_update(user=user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)  # keyed by field: shown beside it
            else:
                return _preferences_saved(request, user)
    else:
        form = MyPreferencesForm(
            initial={
                "preferred_language": user.preferred_language,
                "receives_weekly_digest": user.receives_weekly_digest,
            }
        )
    context = {**admin.site.each_context(request), "title": _("Tùy chọn của tôi"), "form": form}
    return TemplateResponse(request, "admin/my_preferences.html", context)


def _preferences_saved(request: HttpRequest, user: User) -> HttpResponse:
    # The interface follows the language just saved, from this response on: the message below is
    # in it, and the language menu's cookie, which PreferredLanguageMiddleware would put before
    # the preference, is dropped. Set again, it would keep overriding the preference on this
    # browser (for whoever signs in on it next, too); dropped, the saved preference rules until
    # the person picks another language in the menu.
    language = user.preferred_language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    messages.success(request, _("Đã lưu tùy chọn của bạn."))
    # Back to the page (post/redirect/get), which now shows the saved values.
    response = HttpResponseRedirect(request.path)
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by Django's CSRF protection (``CSRF_FAILURE_VIEW``), as a page that says what
    happened in the person's words and language. Django's own view renders a project's
    ``403_csrf.html`` without the reason, and its fallback page speaks of "CSRF verification"."""
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "no_referer": reason == REASON_NO_REFERER}
    return render(request, "403_csrf.html", context, status=403)
