"""Organizations, source documents, themes, and a recommendation's history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations import services
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db


def test_organizations_with_their_parent_and_no_focal_person():
    mofa = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao", name_en="Ministry of Foreign Affairs")
    mofa.focal_person = UserFactory(email="focal@example.org", organization=mofa)
    mofa.save()
    OrganizationFactory(code="DAV", name="Học viện Ngoại giao", parent=mofa, kind="academic")
    client = client_for(reader_user(organization=mofa))
    listed = client.get("/api/v1/organizations/").json()
    assert listed == [
        {"code": "DAV", "name": "Học viện Ngoại giao", "name_en": "", "kind": "academic", "parent": "MOFA"},
        {
            "code": "MOFA",
            "name": "Bộ Ngoại giao",
            "name_en": "Ministry of Foreign Affairs",
            "kind": "ministry",
            "parent": None,
        },
    ]
    assert client.get("/api/v1/organizations/DAV/").json()["parent"] == "MOFA"
    assert b"focal@example.org" not in client.get("/api/v1/organizations/?format=csv").content
    assert client.get("/api/v1/organizations/NOPE/").status_code == 404


def test_sources_and_themes():
    SourceDocumentFactory(key="004", title="Đòn bẩy ngoại giao công nghệ", outlet="TTXVN")
    ThemeFactory(slug="kinh-te-so", name="Kinh tế số", name_en="Digital economy")
    client = client_for(reader_user())
    [source] = client.get("/api/v1/sources/").json()
    assert (source["key"], source["title"], source["outlet"]) == (
        "004",
        "Đòn bẩy ngoại giao công nghệ",
        "TTXVN",
    )
    assert client.get("/api/v1/sources/004/").json()["key"] == "004"
    assert client.get("/api/v1/themes/").json() == [
        {"slug": "kinh-te-so", "name": "Kinh tế số", "name_en": "Digital economy"}
    ]
    assert client.get("/api/v1/themes/kinh-te-so/").status_code == 200
    assert client.get("/api/v1/themes/nope/").status_code == 404


@pytest.mark.parametrize("path", ["organizations", "sources", "themes"])
def test_reference_lists_run_a_constant_number_of_queries(path):
    client = client_for(reader_user())
    counts = []
    for size in (10, 100):
        for i in range(len(counts) * 10, size):
            parent = OrganizationFactory(code=f"P-{i}")
            OrganizationFactory(code=f"C-{i}", parent=parent)
            SourceDocumentFactory(key=f"{i:03d}")
            ThemeFactory(slug=f"t-{i}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{path}/").status_code == 200
        counts.append(len(queries))
    # the token with its user and groups, then the list.
    assert counts == [2, 2]


def test_nul_characters_in_paths_are_404_not_server_errors():
    client = client_for(admin_user())
    for path in ["recommendations", "organizations", "sources", "themes"]:
        response = client.get(f"/api/v1/{path}/a%00b/")
        assert response.status_code == 404, path
    assert client.get("/api/v1/recommendations/a%00b/history/").status_code == 404
    assert client.get("/api/v1/recommendations/a%00b/evidence/").status_code == 404


def test_history_of_a_recommendation_oldest_first():
    org = OrganizationFactory(code="MOFA")
    owner = owner_user(org, first_name="An", last_name="Lê", email="an@example.org")
    admin = admin_user()
    rec = services.recommendation_create(
        actor=admin,
        code="H-1",
        title="t",
        quote="q",
        source_document=SourceDocumentFactory(),
        owner_organization=org,
    )
    services.recommendation_transition(recommendation=rec, actor=owner, to_status="accepted")
    services.recommendation_transition(
        recommendation=rec, actor=owner, to_status="blocked", comment="Thiếu kinh phí"
    )
    services.recommendation_update(recommendation=rec, actor=owner, changes={"progress": 20})
    RecommendationFactory(code="OTHER")
    body = client_for(reader_user()).get("/api/v1/recommendations/H-1/history/").json()
    assert [(e["kind"], e["from_status"], e["to_status"], e["comment"]) for e in body] == [
        ("created", None, "proposed", ""),
        ("status", "proposed", "accepted", ""),
        ("status", "accepted", "blocked", "Thiếu kinh phí"),
        ("updated", None, None, ""),
    ]
    assert body[1]["actor"] == {"id": owner.pk, "name": "Lê An", "email": None}
    assert body[3]["changes"] == {"progress": [0, 20]}
    assert client_for(owner).get("/api/v1/recommendations/H-1/history/").json()[1]["actor"]["email"] == (
        "an@example.org"
    )
    assert client_for(reader_user()).get("/api/v1/recommendations/NOPE/history/").status_code == 404


def test_history_runs_a_constant_number_of_queries():
    admin = admin_user()
    rec = RecommendationFactory(code="H-1", owner_organization=admin.organization)
    client = client_for(reader_user())
    counts = []
    for size in (10, 100):
        while rec.history.count() < size:
            services.recommendation_check_in(recommendation=rec, actor=admin)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/recommendations/H-1/history/").json()) == size
        counts.append(len(queries))
    # the token with its user and groups, the item, its history with the actors.
    assert counts == [3, 3]
