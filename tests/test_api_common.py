"""API helpers shared by the tests/test_api_*.py files, and the behaviour every endpoint shares:
authentication, the role check, the JSON error body, throttling, unknown paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recommendations.models import User
from tests.factories import RecommendationFactory, UserFactory, admin_user, owner_user, reader_user

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> APIClient:
    """A client that authenticates like a script does: ``Authorization: Token <key>``."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def codes(response: Any) -> list[str]:
    return [row["code"] for row in results(response)]


def test_anonymous_gets_401_with_a_json_body_and_a_token_challenge():
    RecommendationFactory(code="A-1")
    for path in ["/api/v1/recommendations/", "/api/v1/recommendations/A-1/", "/api/v1/reports/overdue/"]:
        response = APIClient().get(path)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"
        assert response.json()["detail"]


def test_a_wrong_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/recommendations/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_inactive_users_token_is_refused():
    user = reader_user(is_active=False)
    response = client_for(user).get("/api/v1/recommendations/")
    assert response.status_code == 401


def test_a_user_without_any_role_is_403_everywhere():
    rec = RecommendationFactory(code="A-1")
    nobody = UserFactory(organization=rec.owner_organization)
    client = client_for(nobody)
    for path in [
        "/api/v1/recommendations/",
        "/api/v1/recommendations/A-1/",
        "/api/v1/recommendations/A-1/history/",
        "/api/v1/recommendations/A-1/evidence/",
        "/api/v1/organizations/",
        "/api/v1/reports/status-by-organization/",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"
        assert "vai trò" in response.json()["detail"]
    response = client.post(
        "/api/v1/recommendations/A-1/transition/", {"to_status": "accepted"}, format="json"
    )
    assert response.status_code == 403
    rec.refresh_from_db()
    assert (rec.status, rec.version) == ("proposed", 1)


def test_session_authentication_works_for_the_browsable_api():
    RecommendationFactory(code="A-1")
    user = reader_user()
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/recommendations/A-1/").status_code == 200
    html = client.get("/api/v1/recommendations/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert b"A-1" in html.content


def test_session_writes_need_the_csrf_token():
    rec = RecommendationFactory(code="A-1")
    user = owner_user(rec.owner_organization)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/recommendations/A-1/transition/", {"to_status": "accepted"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    rec.refresh_from_db()
    assert rec.status == "proposed"


def test_superuser_without_groups_is_an_administrator():
    RecommendationFactory(code="A-1")
    root = UserFactory(is_superuser=True)
    assert client_for(root).get("/api/v1/recommendations/A-1/").status_code == 200


def test_anonymous_requests_are_throttled_with_a_json_429():
    client = APIClient()
    statuses = [client.get("/api/v1/recommendations/").status_code for _ in range(61)]
    assert statuses == [401] * 60 + [429]
    response = client.get("/api/v1/recommendations/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["wait"] > 0
    assert int(response["Retry-After"]) > 0


def test_token_guessing_is_throttled_too():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token guess")
    statuses = [client.get("/api/v1/recommendations/").status_code for _ in range(61)]
    assert statuses == [401] * 60 + [429]


def test_a_made_up_x_forwarded_for_does_not_escape_the_throttle():
    # Without proxies (PROXY_COUNT 0) the header is the client's own words: a new one each time.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token guess")
    statuses = [
        client.get("/api/v1/recommendations/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(61)
    ]
    assert statuses == [401] * 60 + [429]


def test_behind_a_proxy_each_client_has_its_own_anonymous_counter(settings):
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first, second = APIClient(), APIClient()
    statuses = [
        first.get("/api/v1/recommendations/", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code
        for _ in range(61)
    ]
    assert statuses == [401] * 60 + [429]
    # Another client through the same proxy is not held back by the first one's requests ...
    assert (
        second.get("/api/v1/recommendations/", HTTP_X_FORWARDED_FOR="203.0.113.20", **proxy).status_code
        == 401
    )
    # ... and the first cannot pass for another by writing an address in front of its own.
    forged = "203.0.113.20, 198.51.100.7"
    assert first.get("/api/v1/recommendations/", HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 429


def test_signed_in_users_are_throttled_at_their_own_rate(monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "60/minute"})
    client = client_for(reader_user())
    statuses = [client.get("/api/v1/themes/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_unknown_api_paths_are_json_404():
    user = admin_user()
    client = client_for(user)
    for path in ["/api/v1/nothing-here/", "/api/v1/recommendations/X/unknown/", "/api/v2/recommendations/"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Không tìm thấy.", "code": "not_found"}


def test_writes_to_unknown_api_paths_are_json_404_too():
    client = APIClient(enforce_csrf_checks=True)
    for method in ["post", "patch", "delete"]:
        response = getattr(client, method)("/api/v1/recommendations/X/evidence/-1/withdraw/")
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"


def test_unknown_recommendation_is_json_404():
    response = client_for(reader_user()).get("/api/v1/recommendations/NOPE-1/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_role_groups_exist_for_the_permission_matrix():
    assert set(Group.objects.values_list("name", flat=True)) >= {"reader", "owner", "administrator"}


@pytest.mark.parametrize(
    ("preferred", "cookie", "expected", "message"),
    [
        ("vi", None, "vi", "Dữ liệu gửi lên không hợp lệ."),
        ("en", None, "en", "The submitted data is invalid."),
        ("en", "vi", "vi", "Dữ liệu gửi lên không hợp lệ."),
        ("vi", "en", "en", "The submitted data is invalid."),
    ],
)
def test_a_token_users_answers_are_in_their_preferred_language(preferred, cookie, expected, message):
    """As in the admin: the language menu's cookie, else the user's own preference; a token's
    user is known only after the middleware has run."""
    owner = owner_user(preferred_language=preferred)
    RecommendationFactory(code="L-1", owner_organization=owner.organization)
    client = client_for(owner)
    if cookie:
        client.cookies["django_language"] = cookie
    response = client.patch("/api/v1/recommendations/L-1/", {"progress": 150}, format="json")
    assert response.status_code == 400
    assert response["Content-Language"] == expected
    assert response.json()["detail"] == message
