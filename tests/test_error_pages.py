"""The error pages outside the API (400.html, 403.html, 404.html, 500.html, found by Django's default
handlers): in the person's language, in the admin's look, saying what happened and what to do, and
never showing the exception. The API keeps its JSON errors.

This module is also the URLconf of the tests marked ``pytest.mark.urls(__name__)``: the project's
routes, plus views that raise what a page can raise.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.test import Client
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import translation

from tests.factories import admin_user, owner_user, reader_user
from tests.test_api_common import client_for
from tracker.urls import urlpatterns as project_urlpatterns

SECRET = "chi-tiet-noi-bo-7f3a"  # in every raised exception; no page may show it


def _raises(exception: Exception):
    def view(request: HttpRequest) -> HttpResponse:
        raise exception

    return view


urlpatterns: list[URLPattern | URLResolver] = [
    path("boom/400/", _raises(SuspiciousOperation(f"Invalid lookup {SECRET}"))),
    path("boom/403/", _raises(PermissionDenied(f"Only for the owner: {SECRET}"))),
    path("boom/404/", _raises(Http404(f"No Recommendation matches the given query. {SECRET}"))),
    path("boom/500/", _raises(RuntimeError(f"database password={SECRET}"))),
    *project_urlpatterns,
]

ADD_PAGE = reverse("admin:recommendations_recommendation_add")  # refused to readers
INDEX_LINK = '<a href="/admin/">Quay lại trang quản trị</a>'
VI_HEADER = "Theo dõi kiến nghị ngoại giao số"
EN_HEADER = "Digital Diplomacy Recommendation Tracker"
HEADINGS = {
    400: "Yêu cầu không hợp lệ",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy trang",
    500: "Lỗi máy chủ",
}


def main_text(html: str) -> str:
    """The page's main part (not its header), whitespace collapsed."""
    found = re.search(r'<main id="content-start"[^>]*>(.*?)</main>', html, re.DOTALL)
    assert found, html
    return " ".join(found.group(1).split())


def headings(html: str) -> list[str]:
    return re.findall(r"<h1>(.*?)</h1>", html)


def assert_error_page(response, status: int) -> str:
    """``response`` is the Vietnamese error page for ``status``; its main text."""
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == "vi"
    assert '<html lang="vi"' in html
    assert headings(html) == [HEADINGS[status]]
    assert f"<title>{HEADINGS[status]} | Theo dõi kiến nghị</title>" in html
    assert f">{VI_HEADER}</a>" in html
    assert INDEX_LINK in html
    assert SECRET not in html
    return main_text(html)


@pytest.mark.django_db
def test_a_reader_refused_an_admin_page_gets_the_403_page_in_vietnamese(client):
    client.force_login(reader_user(username="lan.nguyen"))
    response = client.get(ADD_PAGE)
    text = assert_error_page(response, 403)
    assert (
        '<h1>Không có quyền truy cập</h1> <p class="errornote">Bạn đang đăng nhập bằng tài khoản '
        "“lan.nguyen”. Vai trò của tài khoản này không cho phép mở trang này hoặc thực hiện thao tác "
        "này.</p> <p>Nếu công việc của bạn cần quyền này, hãy đề nghị quản trị viên của hệ thống "
        "theo dõi kiến nghị cấp thêm quyền cho tài khoản của bạn.</p>"
    ) in text
    # The person can switch the page's language from it.
    assert response.content.decode().count('id="language-switch"') == 1


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_403_page_never_shows_the_exceptions_message(client):
    response = client.get("/boom/403/")
    text = assert_error_page(response, 403)
    # Nobody is signed in here.
    assert "Bạn chưa đăng nhập, hoặc phiên đăng nhập đã hết hạn. Hãy đăng nhập rồi thử lại." in text
    assert "Only for the owner" not in text


@pytest.mark.django_db
def test_an_unknown_address_gets_the_404_page_in_vietnamese(client):
    text = assert_error_page(client.get("/khong-co-trang-nay/"), 404)
    assert (
        "Không có trang hay tệp nào ở địa chỉ này. Có thể địa chỉ bị gõ sai hoặc bị cắt mất một phần "
        "khi sao chép, hoặc thứ bạn tìm không còn nữa."
    ) in text
    # An unknown address inside the admin, for someone signed in, is the same page.
    client.force_login(reader_user())
    assert_error_page(client.get("/admin/recommendations/khong-co/"), 404)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_404_page_never_shows_the_exceptions_message(client):
    text = assert_error_page(client.get("/boom/404/"), 404)
    assert "No Recommendation" not in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_malformed_request_gets_the_400_page_in_vietnamese(client):
    text = assert_error_page(client.get("/boom/400/"), 400)
    assert "Invalid lookup" not in text
    assert "Hãy quay lại trang trước, tải lại trang để xem những gì đã được lưu, rồi thử lại." in text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_view_that_raises_gets_the_500_page_in_vietnamese():
    client = Client(raise_request_exception=False)
    client.force_login(reader_user())
    response = client.get("/boom/500/")
    text = assert_error_page(response, 500)
    assert "RuntimeError" not in text and "Traceback" not in text
    assert "Đã xảy ra lỗi ở phía hệ thống theo dõi kiến nghị, không phải do bạn." in text
    # It does not claim that nothing was saved: a bulk action saves item by item.
    assert "Những gì bạn vừa gửi có thể đã được lưu hoặc chưa." in text
    assert re.search(r"kèm thời điểm xảy ra lỗi \(\d\d:\d\d \d\d-\d\d-\d{4}\)", text)


@pytest.mark.django_db
def test_a_failure_while_finding_the_persons_language_is_reported_in_vietnamese(monkeypatch):
    # The thread served someone in English last; then the database fails while the middleware reads
    # the next person's preference (their session's user).
    client = Client(raise_request_exception=False)
    client.force_login(reader_user())

    def database_down(request: HttpRequest) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.contrib.auth.middleware.auth.get_user", database_down)
    with translation.override("en"):
        response = client.get("/admin/")
    assert response.status_code == 500
    assert headings(response.content.decode()) == [HEADINGS[500]]


def test_the_500_page_needs_no_request_no_database_and_no_urlconf(settings):
    # Rendered as Django's handler500 does: an empty context. Whatever failed may be the database
    # (this test may not query it: no django_db mark) or the URLconf (here one that cannot be
    # imported, so that reversing any URL would raise).
    settings.ROOT_URLCONF = "tests.no_such_urlconf"
    with translation.override("vi"):
        html = loader.get_template("500.html").render()
    assert headings(html) == ["Lỗi máy chủ"]
    assert INDEX_LINK in html


@pytest.mark.django_db
def test_an_api_404_stays_json_while_the_same_miss_elsewhere_is_the_page(client):
    assert_error_page(client.get("/khong-co-trang-nay/"), 404)
    api = client_for(admin_user())
    for api_path in ["/api/v1/khong-co-trang-nay/", "/api/v1/recommendations/NOPE-1/"]:
        response = api.get(api_path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Không tìm thấy.", "code": "not_found"}


@pytest.mark.django_db
def test_an_api_403_stays_json_while_the_same_refusal_in_the_admin_is_the_page(client):
    reader = reader_user()
    client.force_login(reader)
    assert_error_page(client.get(ADD_PAGE), 403)
    response = client_for(reader).post("/api/v1/recommendations/", {}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Chỉ quản trị viên mới được thêm kiến nghị mới.",
        "code": "permission_denied",
    }


# English, with the language menu's cookie: every string of the pages is in the English catalogue
# (an untranslated msgid would show the Vietnamese).
@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("page", "status"),
    [
        (ADD_PAGE, 403),
        ("/khong-co-trang-nay/", 404),
        ("/boom/400/", 400),
        ("/boom/500/", 500),
    ],
)
def test_the_error_pages_are_english_with_the_language_cookie(page, status):
    client = Client(raise_request_exception=False)
    client.force_login(reader_user(username="lan.nguyen"))
    client.cookies["django_language"] = "en"
    response = client.get(page)
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in html
    assert f">{EN_HEADER}</a>" in html
    text = main_text(html)
    assert HEADINGS[status] not in text
    # Nothing but ASCII and typographic quotes and dashes: no Vietnamese left.
    assert re.findall(r"[^\x00-\x7f“”‘’–—…]", text) == [], text
    assert '<a href="/admin/">' in text
    assert SECRET not in html


# --- A form refused by the CSRF protection (views.csrf_failure) ---------------------------------

CSRF_HEADING = "Không gửi được biểu mẫu"


def _refused_form(client: Client, **extra):
    """A post of the preferences page that the CSRF protection refuses (a token that is not the
    page's), by a signed-in owner whose preferences must stay as they were."""
    return client.post(
        reverse("my_preferences"),
        {"csrfmiddlewaretoken": "x" * 64, "preferred_language": "en", "receives_weekly_digest": ""},
        **extra,
    )


def _signed_in(*, with_cookie: bool) -> tuple[Client, object]:
    client = Client(enforce_csrf_checks=True)
    owner = owner_user(preferred_language="vi", receives_weekly_digest=True)
    client.force_login(owner)
    if with_cookie:
        client.get(reverse("admin:index"))  # its language menu's form sets the CSRF cookie
        assert "csrftoken" in client.cookies
    return client, owner


def _assert_csrf_page(response, owner) -> str:
    html = response.content.decode()
    assert response.status_code == 403
    assert response["Content-Language"] == "vi" and '<html lang="vi"' in html
    assert headings(html) == [CSRF_HEADING]
    assert f"<title>{CSRF_HEADING} | Theo dõi kiến nghị</title>" in html
    text = main_text(html)
    assert INDEX_LINK in text
    assert "CSRF" not in text  # said in the person's words
    assert "Hãy quay lại trang trước (những gì bạn đã nhập thường vẫn còn ở đó)" in text
    owner.refresh_from_db()
    assert (owner.preferred_language, owner.receives_weekly_digest) == ("vi", True)  # nothing saved
    return text


@pytest.mark.django_db
def test_a_form_sent_from_a_stale_page_is_refused_with_a_page_that_says_so():
    client, owner = _signed_in(with_cookie=True)
    text = _assert_csrf_page(_refused_form(client), owner)
    assert (
        "Trang bạn vừa gửi đã cũ, nên biểu mẫu bị từ chối và chưa có gì được lưu: phiên đăng nhập có "
        "thể đã hết hạn, hoặc bạn đã đăng nhập hay đăng xuất ở một thẻ khác."
    ) in text
    assert "cookie" not in text and "Referer" not in text


@pytest.mark.django_db
def test_a_browser_that_sends_no_cookie_is_told_to_allow_them():
    client, owner = _signed_in(with_cookie=False)
    text = _assert_csrf_page(_refused_form(client), owner)
    assert "Trình duyệt của bạn không gửi cookie của trang này" in text
    assert "Trang bạn vừa gửi đã cũ" not in text


@pytest.mark.django_db
def test_a_browser_that_sends_no_referer_over_https_is_told_to_send_it():
    client, owner = _signed_in(with_cookie=True)
    # Over HTTPS, without Origin or Referer, Django refuses before it looks at the token.
    text = _assert_csrf_page(_refused_form(client, secure=True), owner)
    assert "Trình duyệt của bạn không gửi tiêu đề “Referer”" in text
    assert "Trang bạn vừa gửi đã cũ" not in text


@pytest.mark.django_db
def test_the_refused_form_page_is_english_with_the_language_cookie():
    client, _owner = _signed_in(with_cookie=True)
    client.cookies["django_language"] = "en"
    response = _refused_form(client)
    html = response.content.decode()
    assert response.status_code == 403 and '<html lang="en"' in html
    assert headings(html) == ["The form could not be sent"]
    text = main_text(html)
    assert re.findall(r"[^\x00-\x7f“”‘’–—…]", text) == [], text
    assert "The page you sent is out of date" in text
