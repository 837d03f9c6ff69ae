"""Admin login throttling (django-axes): failures lock one username from one address, never a whole
address (a ministry behind one NAT address) nor a user everywhere; the lock-out page is a 429 in the
admin's look and the person's language, saying how long to wait and whom to ask."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import owner_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
PASSWORD = "pw-for-tests-only"  # the factories' password
ADDRESS_A = "198.51.100.7"  # e.g. a ministry's NAT address, shared by all its staff
ADDRESS_B = "203.0.113.20"


@pytest.fixture(autouse=True)
def _axes_enabled(settings):
    # tests/conftest.py turns axes off for every other test.
    settings.AXES_ENABLED = True


def sign_in(client: Client, username: str, password: str, address: str):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": INDEX}, REMOTE_ADDR=address
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(username: str, address: str) -> Client:
    """Fail AXES_FAILURE_LIMIT times; the last failure is answered with the lock-out page."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, username, "wrong", address).status_code == 200  # the form, again
    assert sign_in(client, username, "wrong", address).status_code == 429
    return client


def test_the_pair_is_locked_for_an_hour():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME == 1


def test_failures_lock_that_username_from_that_address_even_with_the_right_password():
    user = owner_user()
    client = lock_out(user.username, ADDRESS_A)
    response = sign_in(client, user.username, PASSWORD, ADDRESS_A)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_locked_user_still_signs_in_from_another_address():
    user = owner_user()
    lock_out(user.username, ADDRESS_A)
    client = Client()
    response = sign_in(client, user.username, PASSWORD, ADDRESS_B)
    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert signed_in(client)
    assert client.get(INDEX).status_code == 200


@pytest.mark.parametrize("mistyped", ["nguyen.van.a", "no-such-user"], ids=["a user", "nobody"])
def test_another_user_still_signs_in_from_the_locked_address(mistyped):
    """One person mistyping behind the ministry's NAT address locks out nobody else there."""
    owner_user(username="nguyen.van.a")
    colleague = owner_user(username="tran.thi.b")
    lock_out(mistyped, ADDRESS_A)
    client = Client()
    response = sign_in(client, colleague.username, PASSWORD, ADDRESS_A)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lock_out_page_is_vietnamese_and_429():
    user = owner_user(username="nguyen.van.a")
    client = lock_out(user.username, ADDRESS_A)
    response = sign_in(client, user.username, PASSWORD, ADDRESS_A)
    assert response.status_code == 429
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "Theo dõi kiến nghị ngoại giao số" in html  # the admin's header
    assert "<h1>Tạm khóa đăng nhập</h1>" in html
    assert "tài khoản “nguyen.van.a” từ địa chỉ mạng này đã bị tạm khóa" in html
    assert "Hãy thử lại sau 60 phút." in html  # AXES_COOLOFF_TIME, one hour
    assert "hãy báo cho quản trị viên" in html
    assert 'id="language-switch"' in html
    assert "Account locked" not in html


def test_the_lock_out_page_is_in_the_chosen_language():
    user = owner_user()
    client = lock_out(user.username, ADDRESS_A)
    client.cookies["django_language"] = "en"
    html = sign_in(client, user.username, PASSWORD, ADDRESS_A).content.decode()
    assert '<html lang="en"' in html
    assert "Digital Diplomacy Recommendation Tracker" in html
    assert "Theo dõi kiến nghị ngoại giao số" not in html


def test_the_lock_out_page_text_is_english_in_english():
    user = owner_user(username="nguyen.van.a")
    client = lock_out(user.username, ADDRESS_A)
    client.cookies["django_language"] = "en"
    html = sign_in(client, user.username, PASSWORD, ADDRESS_A).content.decode()
    assert "<h1>Sign-in temporarily locked</h1>" in html
    assert "Try again in 60 minutes." in html
    assert "Tạm khóa" not in html and "phút" not in html and "quản trị viên" not in html
