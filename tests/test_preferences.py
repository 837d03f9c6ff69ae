""" "Tùy chọn của tôi": every signed-in staff member sets their own interface and email language and
whether they get the weekly digest — and nothing else, and nobody else's — on an admin page linked
from the user tools; the save goes through ``services.user_preferences_update``, is logged in the
account's admin history, and the interface and the digest follow it at once."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import resolve, reverse

from recommendations import notifications, services, views
from recommendations.models import User
from recommendations.notifications import DIGEST, Outcome
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.reminders_support import PERIOD

pytestmark = pytest.mark.django_db

PAGE = "/admin/my-preferences/"
INDEX = reverse("admin:index")
SITE = "https://tracker.example.gov.vn"
SAVED = "Đã lưu tùy chọn của bạn."
LINK = f'<a href="{PAGE}" id="my-preferences-link">Tùy chọn của tôi</a>'
AUTOMATIC = "Thư tự động của hệ thống theo dõi kiến nghị; mỗi tuần một thư."
FOOTER = "Không muốn nhận thư này hằng tuần, hoặc muốn đọc bằng ngôn ngữ khác? Đổi tùy chọn của bạn tại:"

ROLES = pytest.mark.parametrize(
    "make_user",
    [owner_user, reader_user, admin_user, UserFactory],
    ids=["owner", "reader", "administrator", "staff without a role"],
)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def preferences(user: User) -> tuple[str, bool]:
    user.refresh_from_db()
    return user.preferred_language, user.receives_weekly_digest


def user_tools(html: str) -> str:
    match = re.search(r'<div id="user-tools">(.*?)</div>', html, re.DOTALL)
    assert match, "the user tools are shown"
    return match.group(1)


def field_row(html: str, name: str) -> str:
    match = re.search(rf'<div class="form-row[^"]*\bfield-{name}">(.*?)\n</div>', html, re.DOTALL)
    assert match, f"a row for {name}"
    return match.group(0)


def test_the_page_is_the_preferences_view_under_the_admin():
    assert reverse("my_preferences") == PAGE
    assert resolve(PAGE).func.__wrapped__ is views.my_preferences  # through admin.site.admin_view


@ROLES
def test_every_role_opens_its_own_preferences_page(client, make_user):
    user = make_user(preferred_language="en", receives_weekly_digest=False)
    client.force_login(user)

    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="vi")

    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["admin/my_preferences.html", "admin/base_site.html"]
    html = response.content.decode()
    assert '<html lang="en"' in html  # the page follows the person's own language
    assert f'<a href="{INDEX}">Home</a>\n&rsaquo; My preferences' in html  # breadcrumbs
    form = re.search(r'<form method="post" novalidate>(.*?)</form>', html, re.DOTALL).group(1)
    assert 'name="csrfmiddlewaretoken"' in form
    # The two preferences, with the person's saved values, and no other field.
    assert sorted(set(re.findall(r'name="(\w+)"', form))) == [
        "_save",
        "csrfmiddlewaretoken",
        "preferred_language",
        "receives_weekly_digest",
    ]
    assert re.findall(r'<option value="(\w+)"( selected)?>', form) == [("vi", ""), ("en", " selected")]
    checkbox = re.search(r'<input type="checkbox" name="receives_weekly_digest"[^>]*>', form).group(0)
    assert "checked" not in checkbox


@ROLES
def test_every_role_saves_its_own_preferences(client, make_user):
    user = make_user()
    client.force_login(user)
    assert preferences(user) == ("vi", True)

    response = client.post(PAGE, {"preferred_language": "vi"})  # the box unticked: not sent

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert preferences(user) == ("vi", False)
    page = client.get(PAGE)
    html = page.content.decode()
    assert [(m.level_tag, m.message) for m in page.context["messages"]] == [("success", SAVED)]
    assert f'<li class="success">{SAVED}</li>' in html
    checkbox = re.search(r'<input type="checkbox" name="receives_weekly_digest"[^>]*>', html).group(0)
    assert "checked" not in checkbox

    client.post(PAGE, {"preferred_language": "vi", "receives_weekly_digest": "on"})
    assert preferences(user) == ("vi", True)


def test_only_the_signed_in_persons_two_preferences_change(client):
    other_organization = OrganizationFactory()
    user = owner_user(username="lan", first_name="Lan", email="lan@example.org")
    colleague = owner_user(user.organization, username="minh")
    organization_id = user.organization_id
    client.force_login(user)

    # Whatever else a forged post carries: another person's id, the account's own access.
    response = client.post(
        PAGE,
        {
            "preferred_language": "en",
            "id": colleague.pk,
            "user": colleague.pk,
            "username": "someone-else",
            "first_name": "X",
            "email": "x@example.org",
            "organization": other_organization.pk,
            "is_superuser": "on",
            "is_staff": "",
            "groups": "1",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.preferred_language, user.receives_weekly_digest) == ("en", False)
    assert (user.username, user.first_name, user.email) == ("lan", "Lan", "lan@example.org")
    assert user.organization_id == organization_id
    assert (user.is_superuser, user.is_staff) == (False, True)
    assert list(user.groups.values_list("name", flat=True)) == ["owner"]
    assert preferences(colleague) == ("vi", True)
    # No user id in the address: there is no page for anyone else's preferences.
    assert client.get(f"{PAGE}{colleague.pk}/").status_code == 404


def test_a_save_is_in_the_accounts_admin_history(client):
    user = reader_user(username="lan")
    client.force_login(user)

    client.post(PAGE, {"preferred_language": "en", "receives_weekly_digest": "on"})
    client.post(PAGE, {"preferred_language": "en"})
    client.post(PAGE, {"preferred_language": "en"})  # nothing changes: nothing is logged

    entries = LogEntry.objects.order_by("pk")
    assert [(e.user_id, e.object_id, e.action_flag, e.content_type.model) for e in entries] == [
        (user.pk, str(user.pk), CHANGE, "user"),
        (user.pk, str(user.pk), CHANGE, "user"),
    ]
    administrator = Client()
    administrator.force_login(admin_user())
    history = administrator.get(reverse("admin:recommendations_user_history", args=[user.pk]))
    html = history.content.decode()
    assert "Đã thay đổi ngôn ngữ." in html
    assert "Đã thay đổi nhận thư nhắc việc hằng tuần." in html


def test_the_log_names_every_preference_changed_in_the_readers_language():
    user = owner_user(preferred_language="vi", receives_weekly_digest=True)

    changed = services.user_preferences_update(
        user=user, preferred_language="en", receives_weekly_digest=False
    )

    assert changed == ["preferred_language", "receives_weekly_digest"]
    assert (user.preferred_language, user.receives_weekly_digest) == ("en", False)  # the caller's copy
    [entry] = LogEntry.objects.all()
    assert entry.get_change_message() == "Đã thay đổi ngôn ngữ và nhận thư nhắc việc hằng tuần."


@pytest.mark.parametrize("language", ["fr", "", "vi-VN", "EN"])
def test_an_unknown_language_is_an_error_on_its_field_and_saves_nothing(client, language):
    user = owner_user(preferred_language="vi", receives_weekly_digest=True)
    client.force_login(user)

    # Unticking the box alone would be a change: nothing of the post is saved.
    response = client.post(PAGE, {"preferred_language": language})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["preferred_language"]
    html = response.content.decode()
    assert '<p class="errornote">' in html
    row = field_row(html, "preferred_language")
    assert 'class="form-row errors field-preferred_language"' in row
    assert '<ul class="errorlist' in row
    assert "Ngôn ngữ" in row  # the field's label, beside its error
    assert 'class="form-row field-receives_weekly_digest"' in html  # no error there
    assert preferences(user) == ("vi", True)
    assert not LogEntry.objects.exists()
    assert not list(get_messages(response.wsgi_request))


def test_the_service_refuses_an_unknown_language_by_its_field_and_changes_nothing():
    user = owner_user(preferred_language="vi", receives_weekly_digest=True)

    with pytest.raises(ValidationError) as refused:
        services.user_preferences_update(user=user, preferred_language="fr", receives_weekly_digest=False)

    assert list(refused.value.message_dict) == ["preferred_language"]
    assert (user.preferred_language, user.receives_weekly_digest) == ("vi", True)
    assert preferences(user) == ("vi", True)
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, method):
    response = getattr(client, method)(PAGE, {"preferred_language": "en"} if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={PAGE}"


def test_someone_who_is_not_staff_is_sent_to_the_admin_login_as_the_admin_does(client):
    person = UserFactory(is_staff=False)
    client.force_login(person)

    response = client.post(PAGE, {"preferred_language": "en"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={PAGE}"
    assert client.get(INDEX)["Location"] == f"{reverse('admin:login')}?next={INDEX}"  # the same
    assert preferences(person) == ("vi", True)
    assert not LogEntry.objects.exists()


def test_a_post_without_the_csrf_token_is_refused_and_saves_nothing():
    user = owner_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = client.get(PAGE).content.decode()

    refused = client.post(PAGE, {"preferred_language": "en"})

    assert refused.status_code == 403
    assert preferences(user) == ("vi", True)
    assert not LogEntry.objects.exists()
    # The page's own form, token included, is accepted.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert client.post(PAGE, {"csrfmiddlewaretoken": token, "preferred_language": "en"}).status_code == 302
    assert preferences(user) == ("en", False)


@ROLES
def test_the_user_tools_link_to_the_page_on_the_admin_index(client, make_user):
    client.force_login(make_user())

    tools = user_tools(client.get(INDEX).content.decode())

    # At the top right, beside Django's own links.
    assert re.search(rf"{re.escape(LINK)} /\s+<a href=\"/\">Xem trang web</a> /", tools)
    assert "Đổi mật khẩu" in tools


def test_the_link_is_on_the_password_pages_too_and_plain_text_on_its_own_page(client):
    client.force_login(reader_user())

    for page in (reverse("admin:password_change"), reverse("admin:password_change_done")):
        assert LINK in user_tools(client.get(page).content.decode()), page
    own = user_tools(client.get(PAGE).content.decode())
    assert "Tùy chọn của tôi /" in own
    assert f'href="{PAGE}"' not in own


def test_the_interface_follows_the_saved_language_at_once_even_over_the_language_menu(client):
    user = owner_user(preferred_language="vi")
    client.force_login(user)
    # The language menu's choice (the django_language cookie) comes before the preference.
    client.post(reverse("set_language"), {"language": "vi", "next": INDEX})
    assert client.cookies["django_language"].value == "vi"

    saved = client.post(PAGE, {"preferred_language": "en", "receives_weekly_digest": "on"})

    # The cookie is dropped (expired), so the saved preference rules on this browser.
    assert saved.cookies["django_language"].value == ""
    assert saved.cookies["django_language"]["max-age"] == 0
    assert saved.headers["Content-Language"] == "en"
    after = client.get(INDEX)
    index = after.content.decode()
    assert '<html lang="en"' in index
    assert "Log out" in index and "Thoát" not in index
    # The message that confirms it is in the language just saved.
    assert [m.message for m in after.context["messages"]] == ["Your preferences have been saved."]
    # And on a browser that never used the menu, at the next sign-in.
    elsewhere = Client()
    elsewhere.force_login(user)
    assert '<html lang="en"' in elsewhere.get(INDEX).content.decode()

    # Back to Vietnamese: the message that confirms it is in Vietnamese already.
    client.post(PAGE, {"preferred_language": "vi", "receives_weekly_digest": "on"})
    back = client.get(INDEX)
    assert '<html lang="vi"' in back.content.decode()
    assert [m.message for m in back.context["messages"]] == [SAVED]


def test_the_digest_follows_the_saved_preferences(client, mailoutbox):
    owner = owner_user(email="lan@example.org", first_name="Lan", last_name="Nguyễn")
    RecommendationFactory(
        code="NQ52-01", owner=owner, owner_organization=owner.organization, status=Status.IN_PROGRESS
    )
    client.force_login(owner)

    client.post(PAGE, {"preferred_language": "en", "receives_weekly_digest": "on"})
    sent = notifications.deliver(kind=DIGEST, recipient_id=owner.pk, period=PERIOD)

    assert (sent.outcome, sent.language) == (Outcome.SENT, "en")
    [english] = mailoutbox
    assert english.body.startswith("Dear Nguyễn Lan,")

    client.post(PAGE, {"preferred_language": "en"})

    assert owner.pk not in notifications.digest_recipient_ids()
    skipped = notifications.deliver(kind=DIGEST, recipient_id=owner.pk, period="2026-W08")
    assert skipped.outcome == Outcome.NOT_SUBSCRIBED
    assert len(mailoutbox) == 1


def test_the_digest_ends_with_the_link_to_the_page(mailoutbox):
    owner = owner_user(email="lan@example.org")
    RecommendationFactory(owner=owner, owner_organization=owner.organization, status=Status.ACCEPTED)

    notifications.deliver(kind=DIGEST, recipient_id=owner.pk, period=PERIOD)

    [email] = mailoutbox
    url = f"{SITE}{PAGE}"
    assert email.body.rstrip().endswith(f"\n--\n{AUTOMATIC}\n{FOOTER}\n{url}")
    [(html, _mimetype)] = email.alternatives
    assert f'{FOOTER}\n<a href="{url}">{url}</a></p>' in html
