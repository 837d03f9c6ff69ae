"""The permission matrix: who may read, create, transition, upload evidence and download files.

Refused requests leave the item, its evidence and its history exactly as they were.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations import services
from recommendations.models import Evidence, HistoryEntry, Recommendation
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ["anonymous", "no_role", "reader", "other_org_owner", "owner", "administrator"]

# role → expected status for each action
MATRIX = {
    "read": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 200,
        "other_org_owner": 200,
        "owner": 200,
        "administrator": 200,
    },
    "report": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 200,
        "other_org_owner": 200,
        "owner": 200,
        "administrator": 200,
    },
    "create": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 403,
        "other_org_owner": 403,
        "owner": 403,
        "administrator": 201,
    },
    "update": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 403,
        "other_org_owner": 403,
        "owner": 200,
        "administrator": 200,
    },
    "transition": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 403,
        "other_org_owner": 403,
        "owner": 200,
        "administrator": 200,
    },
    "upload": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 403,
        "other_org_owner": 403,
        "owner": 201,
        "administrator": 201,
    },
    "download": {
        "anonymous": 401,
        "no_role": 403,
        "reader": 200,
        "other_org_owner": 200,
        "owner": 200,
        "administrator": 200,
    },
}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mofa = OrganizationFactory(code="MOFA")
    SourceDocumentFactory(key="004")
    rec = RecommendationFactory(code="PM-1", owner_organization=mofa)
    owner = owner_user(mofa)
    evidence = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.pdf", PDF)
    )
    users = {
        "anonymous": None,
        "no_role": UserFactory(organization=mofa),
        "reader": reader_user(organization=mofa),
        "other_org_owner": owner_user(OrganizationFactory(code="MIC")),
        "owner": owner,
        "administrator": admin_user(),
    }
    return rec, evidence, users


def _state():
    rec = Recommendation.objects.get(code="PM-1")
    return (
        rec.status,
        rec.version,
        rec.progress,
        Recommendation.objects.count(),
        Evidence.objects.count(),
        HistoryEntry.objects.count(),
    )


def _do(action: str, client, evidence):
    if action == "read":
        return client.get("/api/v1/recommendations/PM-1/")
    if action == "report":
        return client.get("/api/v1/reports/status-by-organization/")
    if action == "create":
        return client.post(
            "/api/v1/recommendations/",
            {"code": "PM-2", "title": "t", "quote": "q", "source": "004", "owner_organization": "MOFA"},
            format="json",
        )
    if action == "update":
        return client.patch("/api/v1/recommendations/PM-1/", {"progress": 50}, format="json")
    if action == "transition":
        return client.post(
            "/api/v1/recommendations/PM-1/transition/", {"to_status": "accepted"}, format="json"
        )
    if action == "upload":
        return client.post(
            "/api/v1/recommendations/PM-1/evidence/",
            {"kind": "file", "file": SimpleUploadedFile("b.pdf", PDF)},
            format="multipart",
        )
    if action == "download":
        return client.get(f"/api/v1/recommendations/PM-1/evidence/{evidence.pk}/file/")
    raise AssertionError(action)


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, role, action):
    _rec, evidence, users = world
    before = _state()
    response = _do(action, client_for(users[role]), evidence)
    expected = MATRIX[action][role]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] in {"not_authenticated", "permission_denied"}
        assert response.json()["detail"]
        assert _state() == before
    elif action in {"read", "report", "download"}:
        assert _state() == before
    else:
        assert _state() != before


def test_roles_are_read_again_on_every_request():
    """A role taken away (or a user switched off) counts from the very next request: nothing is
    kept between requests."""
    from django.contrib.auth.models import Group

    owner = owner_user(OrganizationFactory(code="AUTH-ORG"))
    client = client_for(owner)
    assert client.get("/api/v1/themes/").status_code == 200
    owner.groups.remove(Group.objects.get(name="owner"))
    refused = client.get("/api/v1/themes/")
    assert refused.status_code == 403
    owner.groups.add(Group.objects.get(name="reader"))
    assert client.get("/api/v1/themes/").status_code == 200
    # A reader may read but, unlike the owner it was, not transition.
    RecommendationFactory(code="AUTH-1", owner_organization=owner.organization)
    url = "/api/v1/recommendations/AUTH-1/transition/"
    moved = client.post(url, {"to_status": "accepted"}, format="json")
    assert moved.status_code == 403
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert client.get("/api/v1/themes/").status_code == 401


def test_an_unknown_token_is_401():
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/v1/themes/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
