"""People and API tokens in the admin: an administrator who is not a superuser manages other staff's
roles, organization, active flag and password, but cannot make anyone superuser, hand out
permissions, touch a superuser's account or token, lock themself out, or read anyone's token."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from recommendations import roles
from recommendations.models import User
from tests.factories import OrganizationFactory, UserFactory, admin_user, owner_user

pytestmark = pytest.mark.django_db

USER_ADD = reverse("admin:recommendations_user_add")
PASSWORD = "pw-for-tests-only"  # the factories' password
TOKEN_LIST = reverse("admin:authtoken_tokenproxy_changelist")
TOKEN_ADD = reverse("admin:authtoken_tokenproxy_add")


def user_change(person: User) -> str:
    return reverse("admin:recommendations_user_change", args=[person.pk])


def password_change(person: User) -> str:
    return reverse("admin:auth_user_password_change", args=[person.pk])


def token_page(person: User, view: str) -> str:
    # The token admin's pages are addressed by the token's user.
    return reverse(f"admin:authtoken_tokenproxy_{view}", args=[person.pk])


def new_password(password: str) -> dict[str, str]:
    return {"usable_password": "true", "password1": password, "password2": password}


def superuser(**kwargs: object) -> User:
    return UserFactory(is_superuser=True, organization=None, **kwargs)


def a_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="recommendations", codename="delete_recommendation")


def change_form_data(client, person: User, **changes: object) -> dict[str, object]:
    """What the person's change form posts as it is shown to the signed-in user, with ``changes``
    on top (``False`` unticks a box; fields the form does not have are posted all the same)."""
    page = client.get(user_change(person))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled:
            continue
        if isinstance(field, forms.SplitDateTimeField):
            if value:
                local = timezone.localtime(value)
                data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.strftime("%H:%M:%S")
        elif isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [getattr(item, "pk", item) for item in value]
        else:
            data[name] = "" if value is None else value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def groups_of(person: User) -> set[str]:
    return set(person.groups.values_list("name", flat=True))


# --- is_superuser and permissions ---------------------------------------------------------------


def test_an_administrator_cannot_make_themself_superuser_or_give_themself_permissions(client):
    me = admin_user()
    client.force_login(me)
    data = change_form_data(client, me, is_superuser=True, user_permissions=[a_permission().pk])
    response = client.post(user_change(me), data)
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.is_superuser is False
    assert not me.user_permissions.exists()
    form = client.get(user_change(me)).context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields  # read-only


def test_an_administrator_cannot_make_someone_else_superuser(client):
    client.force_login(admin_user())
    person = owner_user()
    data = change_form_data(client, person, is_superuser=True, user_permissions=[a_permission().pk])
    response = client.post(user_change(person), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_superuser is False
    assert not person.user_permissions.exists()


def test_the_add_form_makes_no_superuser_and_gives_no_permissions(client):
    # A guard: the add form never had these fields, and must not get them.
    organization = OrganizationFactory()
    client.force_login(admin_user())
    response = client.post(
        USER_ADD,
        {
            "username": "moi",
            "usable_password": "true",
            "password1": "mat-khau-rat-dai-42",
            "password2": "mat-khau-rat-dai-42",
            "email": "moi@example.org",
            "organization": organization.pk,
            "preferred_language": "vi",
            "is_superuser": "on",
            "user_permissions": [a_permission().pk],
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="moi")
    assert person.is_superuser is False
    assert not person.user_permissions.exists()


# --- superusers' accounts -----------------------------------------------------------------------


def test_an_administrator_can_see_but_not_change_or_delete_a_superuser(client):
    boss = superuser(first_name="Bình")
    client.force_login(admin_user())
    page = client.get(user_change(boss))
    assert page.status_code == 200  # read-only
    assert "adminform" in page.context and not page.context["has_change_permission"]
    assert client.post(user_change(boss), {"username": boss.username, "first_name": "X"}).status_code == 403
    assert client.get(password_change(boss)).status_code == 403
    assert client.post(password_change(boss), new_password("chiem-quyen-42!")).status_code == 403
    delete = reverse("admin:recommendations_user_delete", args=[boss.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    boss.refresh_from_db()
    assert boss.first_name == "Bình" and boss.check_password("pw-for-tests-only")


def test_an_administrator_cannot_change_their_own_access(client):
    me = admin_user()
    client.force_login(me)
    reader = Group.objects.get(name=roles.READER)
    data = change_form_data(client, me, groups=[reader.pk], is_staff=False, is_active=False, first_name="An")
    response = client.post(user_change(me), data)
    assert response.status_code == 302
    me.refresh_from_db()
    assert groups_of(me) == {roles.ADMINISTRATOR}
    assert (me.is_staff, me.is_active, me.first_name) == (True, True, "An")  # the rest is theirs to edit
    form = client.get(user_change(me)).context["adminform"].form
    assert not {"groups", "is_staff", "is_active"} & set(form.fields)  # read-only


def test_an_administrator_still_manages_other_staff(client):
    person = owner_user()
    elsewhere = OrganizationFactory()
    client.force_login(admin_user())
    reader = Group.objects.get(name=roles.READER)
    data = change_form_data(client, person, groups=[reader.pk], organization=elsewhere.pk, is_active=False)
    response = client.post(user_change(person), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert groups_of(person) == {roles.READER}
    assert (person.organization, person.is_active) == (elsewhere, False)

    another_administrator = admin_user()
    data = change_form_data(client, another_administrator, groups=[])
    assert client.post(user_change(another_administrator), data).status_code == 302
    assert groups_of(another_administrator) == set()

    assert client.post(password_change(person), new_password("mat-khau-moi-42!")).status_code == 302
    person.refresh_from_db()
    assert person.check_password("mat-khau-moi-42!")


def test_a_superuser_is_unaffected(client):
    me = superuser()
    other = superuser()
    person = owner_user()
    client.force_login(me)
    permission = a_permission()
    data = change_form_data(client, person, is_superuser=True, user_permissions=[permission.pk])
    assert client.post(user_change(person), data).status_code == 302
    person.refresh_from_db()
    assert person.is_superuser and list(person.user_permissions.all()) == [permission]

    data = change_form_data(client, other, first_name="Chi")
    assert client.post(user_change(other), data).status_code == 302
    other.refresh_from_db()
    assert other.first_name == "Chi"

    administrator = Group.objects.get(name=roles.ADMINISTRATOR)
    data = change_form_data(client, me, groups=[administrator.pk])
    assert client.post(user_change(me), data).status_code == 302
    assert groups_of(me) == {roles.ADMINISTRATOR}

    fresh = UserFactory()  # no items, evidence or history: may be deleted
    delete = reverse("admin:recommendations_user_delete", args=[fresh.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=fresh.pk).exists()


# --- API tokens ---------------------------------------------------------------------------------


def test_no_token_key_can_be_read_in_the_admin(client):
    me = admin_user()
    person = owner_user()
    boss = superuser()
    keys = {user.pk: Token.objects.create(user=user).key for user in (me, person, boss)}
    for viewer in (me, superuser()):
        client.force_login(viewer)
        listing = client.get(TOKEN_LIST)
        assert listing.status_code == 200
        html = listing.content.decode()
        for key in keys.values():
            assert key not in html
            assert f"{key[:6]}…" in html  # enough to tell them apart
        for view in ("change", "history", "delete"):
            page = client.get(token_page(person, view))
            assert page.status_code == 200, view
            assert keys[person.pk] not in page.content.decode(), view

    client.force_login(me)
    revoked = client.post(token_page(person, "delete"), {"post": "yes"}, follow=True)
    assert revoked.status_code == 200
    assert not Token.objects.filter(user=person).exists()
    assert keys[person.pk] not in revoked.content.decode()
    assert keys[person.pk] not in client.get(reverse("admin:index")).content.decode()  # recent actions
    assert not LogEntry.objects.filter(object_repr__contains=keys[person.pk]).exists()


def test_a_new_tokens_key_is_shown_once_to_whoever_creates_it(client):
    person = owner_user()
    client.force_login(admin_user())
    response = client.post(TOKEN_ADD, {"user": person.pk}, follow=True)
    assert response.redirect_chain == [(TOKEN_LIST, 302)]
    key = Token.objects.get(user=person).key
    assert any(key in str(message) for message in response.context["messages"])
    assert key not in client.get(TOKEN_LIST).content.decode()
    assert not LogEntry.objects.filter(object_repr__contains=key).exists()


def test_an_administrator_cannot_take_or_revoke_a_superusers_token(client):
    boss = superuser()
    client.force_login(admin_user())
    offered = client.get(TOKEN_ADD).context["adminform"].form.fields["user"].queryset
    assert boss not in offered
    response = client.post(TOKEN_ADD, {"user": boss.pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not Token.objects.filter(user=boss).exists()

    Token.objects.create(user=boss)
    assert client.get(token_page(boss, "delete")).status_code == 403
    assert client.post(token_page(boss, "delete"), {"post": "yes"}).status_code == 403
    assert Token.objects.filter(user=boss).exists()


def test_a_token_is_not_edited(client):
    person, other = owner_user(), owner_user()
    token = Token.objects.create(user=person)
    client.force_login(superuser())
    assert client.post(token_page(person, "change"), {"user": other.pk}).status_code == 403
    assert Token.objects.get(user=person).key == token.key
    assert not Token.objects.filter(user=other).exists()


def test_administrators_see_the_role_groups_but_cannot_edit_or_delete_them(client):
    client.force_login(admin_user())
    administrator = Group.objects.get(name=roles.ADMINISTRATOR)
    granted = set(
        administrator.permissions.filter(content_type__app_label="auth").values_list("codename", flat=True)
    )
    assert granted == {"view_group"}
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    assert (
        client.post(reverse("admin:auth_group_delete", args=[administrator.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Group.objects.filter(name=roles.ADMINISTRATOR).exists()


def test_giving_someone_a_role_lets_them_sign_in_to_the_admin(client):
    person = UserFactory(is_staff=False)
    client.force_login(admin_user())
    owner = Group.objects.get(name=roles.OWNER)
    data = change_form_data(client, person, groups=[owner.pk], is_staff=False)
    assert client.post(user_change(person), data).status_code == 302
    person.refresh_from_db()
    assert (groups_of(person), person.is_staff) == ({roles.OWNER}, True)
    signing_in = Client()
    response = signing_in.post(
        reverse("admin:login"), {"username": person.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert signing_in.get("/admin/").status_code == 200
