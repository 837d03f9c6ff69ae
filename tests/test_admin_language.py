"""The admin's language menu: on every admin page for every role and on the login page, posting to
Django's set_language with CSRF, switching the whole admin (its header too); Vietnamese by default."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import admin_user, owner_user, reader_user

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
VI_HEADER = "Theo dõi kiến nghị ngoại giao số"
EN_HEADER = "Digital Diplomacy Recommendation Tracker"


def attributes(tag: str) -> dict[str, str]:
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def language_menu(html: str) -> dict[str, object]:
    """The menu's form: its attributes, hidden fields, select's name and (language, selected) options."""
    forms = re.findall(r'(<form\b[^>]*\bid="language-switch"[^>]*>)(.*?)</form>', html, re.DOTALL)
    assert len(forms) == 1, "exactly one language menu"
    form, body = forms[0]
    inputs = [attributes(tag) for tag in re.findall(r"<input\b[^>]*>", body)]
    return {
        **attributes(form),
        "hidden": {field["name"]: field["value"] for field in inputs if field.get("type") == "hidden"},
        "select": attributes(re.search(r"<select\b[^>]*>", body).group(0))["name"],
        "options": [
            (attributes(tag)["value"], " selected" in tag) for tag in re.findall(r"<option\b[^>]*>", body)
        ],
    }


def test_set_language_is_routed():
    assert reverse("set_language") == "/i18n/setlang/"


@pytest.mark.parametrize("make_user", [owner_user, reader_user, admin_user], ids=["owner", "reader", "admin"])
def test_every_role_has_the_menu_on_the_admin_index(client, make_user):
    client.force_login(make_user())
    response = client.get(INDEX)
    assert response.status_code == 200
    menu = language_menu(response.content.decode())
    assert menu["action"] == "/i18n/setlang/"
    assert menu["method"] == "post"
    assert menu["select"] == "language"
    assert menu["options"] == [("vi", True), ("en", False)]
    assert menu["hidden"]["next"] == INDEX
    assert menu["hidden"]["csrfmiddlewaretoken"]


@pytest.mark.parametrize(
    "page",
    [
        reverse("admin:recommendations_recommendation_changelist") + "?status=proposed",
        reverse("admin:password_change"),  # replaces the user links, not the menu
        reverse("admin:password_change_done"),
    ],
    ids=["list", "password change", "password changed"],
)
def test_the_menu_is_on_other_admin_pages_and_comes_back_to_them(client, page):
    client.force_login(reader_user())
    response = client.get(page)
    assert response.status_code == 200
    assert language_menu(response.content.decode())["hidden"]["next"] == page


def test_the_logged_out_page_has_the_menu(client):
    client.force_login(reader_user())
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert language_menu(response.content.decode())["action"] == "/i18n/setlang/"


def test_the_login_page_has_the_menu(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    menu = language_menu(response.content.decode())
    assert menu["action"] == "/i18n/setlang/"
    assert menu["options"] == [("vi", True), ("en", False)]
    assert menu["hidden"]["csrfmiddlewaretoken"]


def test_vietnamese_is_the_default_whatever_the_browser_prefers(client):
    client.force_login(owner_user())
    html = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi"' in html
    assert VI_HEADER in html and "Thoát" in html
    assert EN_HEADER not in html and "Log out" not in html


@pytest.mark.parametrize("make_user", [owner_user, reader_user], ids=["owner", "reader"])
def test_choosing_english_in_the_menu_switches_the_whole_admin(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    vi = client.get(INDEX).content.decode()
    assert VI_HEADER in vi
    menu = language_menu(vi)

    # What the browser sends when the person picks English: the form's fields, CSRF token included.
    answer = client.post(menu["action"], {**menu["hidden"], menu["select"]: "en"})
    assert answer.status_code == 302
    assert answer["Location"] == INDEX

    en = client.get(INDEX).content.decode()
    assert '<html lang="en"' in en
    assert f'<a href="{INDEX}">{EN_HEADER}</a>' in en  # the site header
    assert "<title>Administration | Recommendation Tracker</title>" in en  # index and site titles
    assert "Log out" in en and "Welcome," in en
    assert VI_HEADER not in en and "Thoát" not in en
    assert language_menu(en)["options"] == [("vi", False), ("en", True)]

    # And back.
    client.post(menu["action"], {**language_menu(en)["hidden"], "language": "vi"})
    assert VI_HEADER in client.get(INDEX).content.decode()


def test_set_language_refuses_a_post_without_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_user())
    client.get(INDEX)
    assert client.post(reverse("set_language"), {"language": "en", "next": INDEX}).status_code == 403
    assert VI_HEADER in client.get(INDEX).content.decode()
