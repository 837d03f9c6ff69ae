"""The check-in page behind the digest's one-click "still on track, no change" link.

The signed token in the link names the digest, the item and the owner it was sent to, so the
page needs no login: opening it (GET) only shows what will be recorded and a button; pressing the
button (POST, CSRF-protected) records the check-in. A mail scanner or a browser prefetch that
follows the link therefore records nothing, and a cross-site page cannot record it either. A
visitor signed in as someone else is refused, so a forwarded link cannot be used by a colleague
by mistake. Every refusal is a page that says why, with a 4xx status, and records nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import notifications, services
from .errors import DomainError, NotPermitted
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
