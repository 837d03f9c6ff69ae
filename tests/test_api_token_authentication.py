"""The API's token check (``selectors.token_user``): the same user, roles and refusals as DRF's
``TokenAuthentication``, in one query."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recommendations import roles, selectors
from recommendations.models import User
from tests.factories import RecommendationFactory, UserFactory, owner_user, reader_user
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db


def group(name: str) -> Group:
    # Transactional tests elsewhere flush the groups the migrations made.
    return Group.objects.get_or_create(name=name)[0]


def test_the_user_of_a_token_is_read_whole_with_the_databases_types():
    user = owner_user(first_name="Lan", last_name="Nguyễn Thị", email="lan@example.org")
    user.last_login = timezone.now() - datetime.timedelta(days=3)
    user.save()
    token = Token.objects.create(user=user)
    found = selectors.token_user(token.key)
    assert found is not None
    read, read_token = found
    stored = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(stored, field.attname), field.name
        # Of the same type too: SQLite gives 0/1 for booleans, which compare equal to them.
        assert type(getattr(read, field.attname)) is type(getattr(stored, field.attname)), field.name
    # Read from the database, as the ORM marks its rows: a save updates it rather than insert it.
    assert (read._state.adding, read._state.db) == (False, "default")
    # Dates come back aware, as the ORM gives them (SQLite hands the driver's text otherwise).
    assert timezone.is_aware(read.last_login) and timezone.is_aware(read.date_joined)
    assert (read_token.key, read_token.user_id) == (token.key, user.pk)
    assert read_token.created == token.created and timezone.is_aware(read_token.created)
    assert not hasattr(read, "group_name") and not hasattr(read, "token_created")


def test_the_token_and_the_roles_take_one_query_and_the_role_checks_none():
    user = owner_user()
    user.groups.add(group(roles.READER))
    token = Token.objects.create(user=user)
    with CaptureQueriesContext(connection) as queries:
        read, _token = selectors.token_user(token.key) or (None, None)
        assert read is not None
        assert roles.is_owner_role(read) and roles.can_view(read) and not roles.is_administrator(read)
    assert len(queries) == 1
    assert read._tracker_group_names == {roles.OWNER, roles.READER}


def test_a_user_without_groups_is_found_with_no_role():
    nobody = UserFactory()
    token = Token.objects.create(user=nobody)
    read, _token = selectors.token_user(token.key) or (None, None)
    assert read is not None and read.pk == nobody.pk
    assert read._tracker_group_names == set()
    assert not roles.can_view(read)
    assert client_for(nobody).get("/api/v1/sources/").status_code == 403


def test_a_superuser_without_groups_may_read():
    root = UserFactory(is_superuser=True, is_staff=True)
    assert client_for(root).get("/api/v1/sources/").status_code == 200


def test_an_unknown_key_finds_nobody_and_is_refused_with_drfs_reason():
    reader_user()
    assert selectors.token_user("0" * 40) is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/v1/sources/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Token không hợp lệ."


def test_an_inactive_users_token_is_refused_with_drfs_reason():
    user = reader_user(is_active=False)
    response = client_for(user).get("/api/v1/sources/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 401
    assert response.json()["detail"] == "Người dùng đã bị vô hiệu hoá hoặc đã bị xoá."


def test_roles_are_read_again_on_every_request():
    user = reader_user()
    client = client_for(user)
    assert client.get("/api/v1/sources/").status_code == 200
    user.groups.clear()
    assert client.get("/api/v1/sources/").status_code == 403
    user.groups.add(group(roles.ADMINISTRATOR))
    assert client.get("/api/v1/sources/").status_code == 200


def test_a_change_made_with_a_token_is_recorded_as_its_user():
    owner = owner_user()
    item = RecommendationFactory(code="TK-1", owner_organization=owner.organization)
    response = client_for(owner).post(
        "/api/v1/recommendations/TK-1/transition/", {"to_status": "accepted"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert item.history.get(kind="status").actor_id == owner.pk
