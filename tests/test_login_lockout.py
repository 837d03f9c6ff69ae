"""Admin login throttling (django-axes): failures lock one username from one address, never a whole
address (a ministry behind one NAT address) nor a user everywhere, unless one address fails for
many usernames (password spraying), past a higher limit; the lock-out page is a 429 in the admin's
look and the person's language, saying how long to wait and whom to ask."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


def sign_in(client: Client, username: str, password: str, address: str, **headers: str):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": INDEX}, REMOTE_ADDR=address, **headers
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


# --- One address against many usernames (password spraying) -------------------------------------


def spray(address: str, usernames: list[str]) -> list[int]:
    """One wrong password for each username from ``address``: the answers' status codes."""
    client = Client()
    return [sign_in(client, username, "wrong", address).status_code for username in usernames]


def test_the_address_limit_is_above_the_pairs_and_set_by_the_handler():
    assert settings.AXES_HANDLER == "tracker.login_lockout.PairAndAddressHandler"
    assert settings.AXES_ADDRESS_FAILURE_LIMIT == 30
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT


def test_failures_for_many_usernames_lock_the_address_for_everyone(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    # One guess per account stays far below the pair's limit, but the address reaches its own.
    assert spray(ADDRESS_A, [f"user{n}" for n in range(5)]) == [200, 200, 200, 200, 429]
    client = Client()
    response = sign_in(client, colleague.username, PASSWORD, ADDRESS_A)
    assert response.status_code == 429
    assert not signed_in(client)
    html = response.content.decode()
    assert "địa chỉ mạng này đã bị tạm khóa với mọi tài khoản" in html
    assert "tài khoản “tran.thi.b”" not in html  # not the pair's message
    assert "Hãy thử lại sau 60 phút." in html
    # Other addresses are not affected.
    elsewhere = Client()
    assert sign_in(elsewhere, colleague.username, PASSWORD, ADDRESS_B).status_code == 302
    assert signed_in(elsewhere)


def test_the_address_lock_page_in_english(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    spray(ADDRESS_A, ["a", "b", "c"])
    client = Client()
    client.cookies["django_language"] = "en"
    html = sign_in(client, owner_user().username, PASSWORD, ADDRESS_A).content.decode()
    assert "Sign-in from this network address is temporarily locked for every account" in html
    assert "Try again in 60 minutes." in html
    assert "tạm khóa" not in html


def test_below_the_address_limit_colleagues_still_sign_in(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    assert spray(ADDRESS_A, ["a", "b", "c", "d"]) == [200, 200, 200, 200]
    client = Client()
    assert sign_in(client, colleague.username, PASSWORD, ADDRESS_A).status_code == 302
    assert signed_in(client)


def test_failures_older_than_the_cool_off_no_longer_count(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    spray(ADDRESS_A, [f"user{n}" for n in range(5)])
    AccessAttempt.objects.filter(ip_address=ADDRESS_A).update(
        attempt_time=timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )
    client = Client()
    assert sign_in(client, colleague.username, PASSWORD, ADDRESS_A).status_code == 302
    assert signed_in(client)


def test_an_administrator_lifts_the_address_lock(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    spray(ADDRESS_A, [f"user{n}" for n in range(5)])
    assert sign_in(Client(), colleague.username, PASSWORD, ADDRESS_A).status_code == 429
    call_command("axes_reset_ip", ADDRESS_A, stdout=io.StringIO())
    client = Client()
    assert sign_in(client, colleague.username, PASSWORD, ADDRESS_A).status_code == 302
    assert signed_in(client)


def test_zero_turns_the_address_limit_off(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 0
    colleague = owner_user(username="tran.thi.b")
    assert 429 not in spray(ADDRESS_A, [f"user{n}" for n in range(12)])
    client = Client()
    assert sign_in(client, colleague.username, PASSWORD, ADDRESS_A).status_code == 302


# --- Behind reverse proxies --------------------------------------------------------------------

PROXY = "10.0.0.1"  # every request reaches the server from the proxy's address


def sign_in_through_proxy(client: Client, username: str, password: str, forwarded_for: str):
    return sign_in(client, username, password, PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_a_proxy_each_client_is_locked_by_its_own_address(settings):
    settings.PROXY_COUNT = 1
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    sprayer = Client()
    answers = [sign_in_through_proxy(sprayer, f"user{n}", "wrong", ADDRESS_A).status_code for n in range(5)]
    assert answers == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ADDRESS_A}
    # The colleague comes through the same proxy from another address: not locked out.
    client = Client()
    assert sign_in_through_proxy(client, colleague.username, PASSWORD, ADDRESS_B).status_code == 302
    assert signed_in(client)
    # An address the sprayer writes in front of its own is not believed: the proxy's entry counts.
    forged = Client()
    forged_answer = sign_in_through_proxy(forged, colleague.username, PASSWORD, f"{ADDRESS_B}, {ADDRESS_A}")
    assert forged_answer.status_code == 429


def test_without_proxies_x_forwarded_for_is_ignored(settings):
    assert settings.PROXY_COUNT == 0
    settings.AXES_ADDRESS_FAILURE_LIMIT = 5
    colleague = owner_user(username="tran.thi.b")
    sprayer = Client()
    # A new made-up address for every guess changes nothing: the connection's address is locked.
    answers = [
        sign_in_through_proxy(sprayer, f"user{n}", "wrong", f"192.0.2.{n}").status_code for n in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    assert sign_in_through_proxy(Client(), colleague.username, PASSWORD, ADDRESS_B).status_code == 429
