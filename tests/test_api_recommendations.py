"""The recommendation resource: list, filters, search, ordering, pagination, detail, create and
conflict-safe update."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommendations import selectors, services
from recommendations.api.filters import RecommendationFilter
from recommendations.models import HistoryEntry, Organization, Recommendation
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for, codes, results

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _snapshot(code: str) -> tuple:
    rec = Recommendation.objects.get(code=code)
    return (
        rec.status,
        rec.version,
        rec.title,
        rec.due_date,
        rec.progress,
        rec.owner_organization_id,
        rec.owner_id,
        rec.history.count(),
    )


# --- List, pagination -----------------------------------------------------------------------------


def test_list_is_paginated_with_the_total_count():
    for n in range(7):
        RecommendationFactory(code=f"P-{n}")
    client = client_for(reader_user())
    first = client.get("/api/v1/recommendations/?page_size=3").json()
    assert first["count"] == 7
    assert [r["code"] for r in first["results"]] == ["P-0", "P-1", "P-2"]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/recommendations/?page=2&page_size=3"
    last = client.get("/api/v1/recommendations/?page=3&page_size=3").json()
    assert [r["code"] for r in last["results"]] == ["P-6"]
    assert last["next"] is None
    beyond = client.get("/api/v1/recommendations/?page=4&page_size=3")
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


def test_page_size_is_capped_at_500(monkeypatch):
    from recommendations.api.pagination import TrackerPagination

    assert TrackerPagination.max_page_size == 500
    monkeypatch.setattr(TrackerPagination, "max_page_size", 2)
    for n in range(3):
        RecommendationFactory(code=f"P-{n}")
    response = client_for(reader_user()).get("/api/v1/recommendations/?page_size=100")
    assert codes(response) == ["P-0", "P-1"]


def test_list_row_shape():
    org = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")
    owner = owner_user(org, first_name="An", last_name="Nguyễn")
    rec = RecommendationFactory(
        code="R-1",
        title="Kiến nghị",
        owner_organization=org,
        owner=owner,
        source_document=SourceDocumentFactory(key="004", title="Đòn bẩy"),
        proposer_organization=OrganizationFactory(code="FPT", name="Tập đoàn FPT"),
        due_date=datetime.date(2030, 1, 31),
        progress=40,
        status="in_progress",
    )
    rec.themes.set([ThemeFactory(slug="b-theme"), ThemeFactory(slug="a-theme")])
    [row] = results(client_for(reader_user()).get("/api/v1/recommendations/"))
    assert row == {
        "code": "R-1",
        "title": "Kiến nghị",
        "title_en": "",
        "status": "in_progress",
        "timeliness": "in_time",
        "priority": "medium",
        "progress": 40,
        "due_date": "2030-01-31",
        "completed_at": None,
        "owner_organization": {"code": "MOFA", "name": "Bộ Ngoại giao"},
        "owner": {"id": owner.pk, "name": "Nguyễn An", "email": None},
        "source": {"key": "004", "title": "Đòn bẩy"},
        "proposer_organization": {"code": "FPT", "name": "Tập đoàn FPT"},
        "themes": ["a-theme", "b-theme"],
        "version": 1,
        "last_activity_at": row["last_activity_at"],
    }


def _catalogue(n: int) -> None:
    orgs = [OrganizationFactory(code=f"ORG-{i}") for i in range(3)]
    themes = [ThemeFactory(slug=f"t-{i}") for i in range(3)]
    owners = [owner_user(org) for org in orgs]
    for i in range(n):
        rec = RecommendationFactory(
            code=f"Q-{i:03d}",
            owner_organization=orgs[i % 3],
            owner=owners[i % 3],
            proposer_organization=orgs[(i + 1) % 3],
        )
        rec.themes.set(themes[: i % 3 + 1])


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_list_runs_a_constant_number_of_queries(fmt):
    client = client_for(admin_user())
    counts = []
    for size in (10, 100):
        Recommendation.objects.all().delete()
        _catalogue(size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/recommendations/?page_size={size}&format={fmt}")
        assert response.status_code == 200
        counts.append(len(queries))
    # the token with its user and groups, then count + the page's rows (its ids chosen in a
    # subquery) + their themes (JSON); spreadsheets hold every row, so no count.
    assert counts == ([4, 4] if fmt == "json" else [3, 3])


# --- Filters ---------------------------------------------------------------------------------------


@pytest.fixture
def spread():
    """Items that differ in every filtered attribute."""
    mofa = OrganizationFactory(code="MOFA")
    mic = OrganizationFactory(code="MIC")
    fpt = OrganizationFactory(code="FPT")
    owner = owner_user(mofa)
    economy = ThemeFactory(slug="kinh-te-so")
    items = {
        "A-1": RecommendationFactory(
            code="A-1",
            title="Ngoại giao số cho doanh nghiệp",
            status="accepted",
            owner_organization=mofa,
            owner=owner,
            due_date=TODAY + 10 * DAY,
            source_document=SourceDocumentFactory(key="000"),
            proposer_organization=fpt,
        ),
        "A-2": RecommendationFactory(
            code="A-2",
            title="Đào tạo nhân lực",
            status="in_progress",
            owner_organization=mofa,
            due_date=TODAY - 5 * DAY,
            source_document=SourceDocumentFactory(key="001"),
        ),
        "B-1": RecommendationFactory(
            code="B-1",
            title="Hạ tầng dữ liệu",
            status="implemented",
            owner_organization=mic,
            due_date=TODAY - 20 * DAY,
            completed_at=timezone.now() - 30 * DAY,
            source_document=SourceDocumentFactory(key="000"),
        ),
        "B-2": RecommendationFactory(
            code="B-2",
            title="Chủ quyền số",
            status="verified",
            owner_organization=mic,
            due_date=TODAY - 40 * DAY,
            completed_at=timezone.now() - 2 * DAY,
            source_document=SourceDocumentFactory(key="001"),
        ),
        "C-1": RecommendationFactory(
            code="C-1",
            title="Không làm",
            status="rejected",
            owner_organization=fpt,
            due_date=TODAY - 100 * DAY,
            source_document=SourceDocumentFactory(key="000"),
        ),
        "C-2": RecommendationFactory(
            code="C-2",
            title="Chưa có hạn",
            status="proposed",
            owner_organization=fpt,
            due_date=None,
            source_document=SourceDocumentFactory(key="001"),
        ),
    }
    Recommendation.objects.update(quote="—")
    for rec in Recommendation.objects.all():
        rec.search_text = services.search_text_for(rec)
        rec.save(update_fields=["search_text"])
    items["A-1"].themes.set([economy])
    items["B-2"].themes.set([economy])
    Recommendation.objects.filter(code="B-1").update(last_activity_at=timezone.now() - 60 * DAY)
    Recommendation.objects.exclude(code="B-1").update(last_activity_at=timezone.now() - 3 * DAY)
    return {"owner": owner, **items}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A-1", "A-2", "B-1", "B-2", "C-1", "C-2"]),
        ("status=accepted", ["A-1"]),
        ("status=accepted&status=in_progress", ["A-1", "A-2"]),
        ("timeliness=overdue", ["A-2"]),
        ("timeliness=in_time", ["A-1", "C-2"]),
        ("timeliness=done_on_time", ["B-1"]),
        ("timeliness=done_late", ["B-2"]),
        ("owner_organization=MIC", ["B-1", "B-2"]),
        ("source=001", ["A-2", "B-2", "C-2"]),
        ("theme=kinh-te-so", ["A-1", "B-2"]),
        ("proposer_organization=FPT", ["A-1"]),
        ("overdue=true", ["A-2"]),
        ("overdue=false", ["A-1", "B-1", "B-2", "C-1", "C-2"]),
        (f"due_before={(TODAY - 20 * DAY).isoformat()}", ["B-1", "B-2", "C-1"]),
        (f"due_after={(TODAY - 20 * DAY).isoformat()}", ["A-1", "A-2", "B-1"]),
        (
            f"due_after={(TODAY - 40 * DAY).isoformat()}&due_before={(TODAY - 5 * DAY).isoformat()}",
            ["A-2", "B-1", "B-2"],
        ),
        ("search=ngoai giao so", ["A-1"]),
        ("search=NGOẠI GIAO", ["A-1"]),
        ("search=dao tao", ["A-2"]),
        ("search=chu quyen", ["B-2"]),
        ("search=b-2", ["B-2"]),
        ("search=so doanh", ["A-1"]),
        ("search=nothing at all", []),
        ("status=implemented&status=verified&owner_organization=MIC&theme=kinh-te-so", ["B-2"]),
        ("ordering=-code", ["C-2", "C-1", "B-2", "B-1", "A-2", "A-1"]),
        ("ordering=due_date", ["C-1", "B-2", "B-1", "A-2", "A-1", "C-2"]),
        ("ordering=owner_organization,-due_date", ["C-1", "C-2", "B-1", "B-2", "A-1", "A-2"]),
        ("ordering=-due_date", ["A-1", "A-2", "B-1", "B-2", "C-1", "C-2"]),
        ("ordering=status", ["A-1", "B-1", "A-2", "C-2", "C-1", "B-2"]),
    ],
)
def test_filters_search_and_ordering(spread, query, expected):
    response = client_for(reader_user()).get(f"/api/v1/recommendations/?{query}")
    assert codes(response) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plan")
@pytest.mark.parametrize(
    ("ordering", "index"), [("due_date", "rec_due_code_idx"), ("-due_date", "rec_due_desc_code_idx")]
)
def test_a_page_by_due_date_is_read_in_order_from_an_index(spread, ordering, index):
    queryset = RecommendationFilter({"ordering": ordering}, queryset=selectors.recommendation_list_rows()).qs
    with connection.cursor() as cursor:
        # Sorting a test's handful of rows is cheap; forbid it, so that the plan shows whether an
        # index can give the order at all (at 1,000,000 items a sort took 0.3 s).
        cursor.execute("SET LOCAL enable_sort = off")
        plan = queryset[:100].explain()
    assert f"Index Scan using {index}" in plan
    assert "Sort" not in plan, plan


def test_filter_by_owner_and_updated_since(spread):
    client = client_for(reader_user())
    assert codes(client.get(f"/api/v1/recommendations/?owner={spread['owner'].pk}")) == ["A-1"]
    since = (timezone.now() - 10 * DAY).isoformat()
    response = client.get("/api/v1/recommendations/", {"updated_since": since})
    assert codes(response) == ["A-1", "A-2", "B-2", "C-1", "C-2"]
    day_only = client.get("/api/v1/recommendations/", {"updated_since": (TODAY - 90 * DAY).isoformat()})
    assert len(codes(day_only)) == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=finished", "status"),
        ("status=accepted&status=bogus", "status"),
        ("timeliness=late", "timeliness"),
        ("owner_organization=NOPE", "owner_organization"),
        ("owner=abc", "owner"),
        ("owner=999999", "owner"),
        ("source=999", "source"),
        ("theme=no-such-theme", "theme"),
        ("proposer_organization=NOPE", "proposer_organization"),
        ("overdue=maybe", "overdue"),
        ("due_before=2026-13-45", "due_before"),
        ("due_after=yesterday", "due_after"),
        ("updated_since=31/12/2025", "updated_since"),
        ("updated_since=0001-01-01T00:00:00", "updated_since"),
        ("ordering=secret_field", "ordering"),
        ("search=a%00b", "search"),
        ("owner_organization=M%00", "owner_organization"),
    ],
)
def test_bad_filter_values_are_400_with_the_fields_error(spread, query, field):
    response = client_for(reader_user()).get(f"/api/v1/recommendations/?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0]


def test_unknown_query_parameters_are_ignored(spread):
    response = client_for(reader_user()).get("/api/v1/recommendations/?colour=blue")
    assert len(codes(response)) == 6


# --- Detail ----------------------------------------------------------------------------------------


def test_detail_by_code_with_etag_and_workflow_options():
    rec = RecommendationFactory(code="FPT-01", status="in_progress", version=4, quote="“Trích dẫn”")
    rec.citations.create(
        source_document=rec.source_document, location="đoạn kết", paragraph=50, quote="Nhắc lại"
    )
    rec.addressed_to.set([OrganizationFactory(code="VN_STATE")])
    response = client_for(reader_user()).get("/api/v1/recommendations/FPT-01/")
    assert response.status_code == 200
    assert response["ETag"] == '"4"'
    body = response.json()
    assert body["code"] == "FPT-01"
    assert body["version"] == 4
    assert body["quote"] == "“Trích dẫn”"
    assert body["addressed_to"] == ["VN_STATE"]
    assert body["citations"] == [
        {"source": rec.source_document.key, "location": "đoạn kết", "paragraph": 50, "quote": "Nhắc lại"}
    ]
    assert [t["to_status"] for t in body["allowed_transitions"]] == ["blocked", "implemented"]
    assert body["allowed_transitions"][0]["requires_comment"] is True


def test_detail_ignores_list_filters():
    RecommendationFactory(code="D-1", status="proposed")
    response = client_for(reader_user()).get("/api/v1/recommendations/D-1/?status=verified")
    assert response.status_code == 200


def test_codes_with_dots_are_reachable():
    RecommendationFactory(code="NQ52.1-a")
    assert client_for(reader_user()).get("/api/v1/recommendations/NQ52.1-a/").status_code == 200


def test_emails_only_for_administrators_and_the_person_themself():
    org = OrganizationFactory(code="MOFA")
    owner = owner_user(org, email="an@example.org")
    RecommendationFactory(code="E-1", owner_organization=org, owner=owner)
    seen = {}
    for name, user in {
        "reader": reader_user(),
        "colleague": owner_user(org),
        "other_org_owner": owner_user(OrganizationFactory(code="MIC")),
        "owner": owner,
        "admin": admin_user(),
    }.items():
        client = client_for(user)
        detail = client.get("/api/v1/recommendations/E-1/").json()["owner"]["email"]
        listed = results(client.get("/api/v1/recommendations/"))[0]["owner"]["email"]
        csv_text = client.get("/api/v1/recommendations/?format=csv").content.decode("utf-8-sig")
        assert detail == listed
        assert ("an@example.org" in csv_text) == (detail is not None)
        seen[name] = detail
    assert seen == {
        "reader": None,
        "colleague": None,
        "other_org_owner": None,
        "owner": "an@example.org",
        "admin": "an@example.org",
    }


# --- Create ----------------------------------------------------------------------------------------


def _new_item(**extra):
    OrganizationFactory(code="MOFA")
    OrganizationFactory(code="VN_STATE")
    SourceDocumentFactory(key="004")
    ThemeFactory(slug="chien-luoc")
    return {
        "code": "NEW-1",
        "title": "Cơ sở dữ liệu ngoại giao số",
        "quote": "Cần xây dựng cơ sở dữ liệu.",
        "source": "004",
        "owner_organization": "MOFA",
        "addressed_to": ["VN_STATE"],
        "themes": ["chien-luoc"],
        "due_date": "2030-12-31",
        "priority": "high",
        **extra,
    }


def test_administrator_creates_a_recommendation():
    admin = admin_user()
    response = client_for(admin).post("/api/v1/recommendations/", _new_item(), format="json")
    assert response.status_code == 201, response.content
    assert response["Location"] == "http://testserver/api/v1/recommendations/NEW-1/"
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["status"], body["priority"], body["themes"], body["addressed_to"]) == (
        "proposed",
        "high",
        ["chien-luoc"],
        ["VN_STATE"],
    )
    rec = Recommendation.objects.get(code="NEW-1")
    assert rec.search_text == "new-1 co so du lieu ngoai giao so can xay dung co so du lieu."
    assert list(rec.history.values_list("kind", "actor", "to_status")) == [("created", admin.pk, "proposed")]


@pytest.mark.parametrize("role", ["reader", "owner"])
def test_only_administrators_create(role):
    item = _new_item()
    user = reader_user() if role == "reader" else owner_user(OrganizationFactory(code="MOFA"))
    response = client_for(user).post("/api/v1/recommendations/", item, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Chỉ quản trị viên mới được thêm kiến nghị mới."
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"source": "999"}, ["source"]),
        ({"owner_organization": "NOPE", "themes": ["nope"]}, ["owner_organization", "themes"]),
        ({"code": "has space"}, ["code"]),
        ({"code": "a/b"}, ["code"]),
        ({"title": ""}, ["title"]),
        ({"due_date": "31/12/2030"}, ["due_date"]),
        ({"priority": "urgent"}, ["priority"]),
        ({"source_paragraph": 2**40}, ["source_paragraph"]),
        # PostgreSQL cannot even compare text holding NUL: a field error, not a server error.
        ({"source": "00\x004", "themes": ["a\x00"], "title": "t\x00"}, ["source", "themes", "title"]),
    ],
)
def test_create_with_bad_input_is_400_with_field_errors(extra, fields):
    response = client_for(admin_user()).post("/api/v1/recommendations/", _new_item(**extra), format="json")
    assert response.status_code == 400, response.content
    assert sorted(response.json()["errors"]) == fields
    assert not Recommendation.objects.exists()


def test_create_refuses_an_owner_from_another_organization():
    item = _new_item()
    elsewhere = owner_user(OrganizationFactory(code="MIC"))
    response = client_for(admin_user()).post(
        "/api/v1/recommendations/", {**item, "owner": elsewhere.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    mofa = Organization.objects.get(code="MOFA")
    assert response.json()["errors"] == {"owner": [f"Người phụ trách phải thuộc đơn vị chủ trì ({mofa})."]}
    assert not Recommendation.objects.exists()
    colleague = owner_user(mofa)
    response = client_for(admin_user()).post(
        "/api/v1/recommendations/", {**item, "owner": colleague.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Recommendation.objects.get(code="NEW-1").owner == colleague


def test_create_with_an_existing_code_is_a_field_error_from_the_service():
    RecommendationFactory(code="NEW-1")
    response = client_for(admin_user()).post("/api/v1/recommendations/", _new_item(), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["code"]
    assert Recommendation.objects.count() == 1


def test_malformed_json_is_400():
    response = client_for(admin_user()).post(
        "/api/v1/recommendations/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nội dung JSON không hợp lệ (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)).",
        "code": "parse_error",
    }


# --- Update ----------------------------------------------------------------------------------------


@pytest.fixture
def item():
    org = OrganizationFactory(code="MOFA")
    return RecommendationFactory(code="U-1", owner_organization=org, due_date=datetime.date(2030, 6, 30))


def test_owner_updates_with_if_match_and_gets_the_new_etag(item):
    owner = owner_user(item.owner_organization)
    response = client_for(owner).patch(
        "/api/v1/recommendations/U-1/",
        {"due_date": "2030-09-30", "progress": 60, "comment": "Lùi hạn"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert (response.json()["due_date"], response.json()["progress"], response.json()["version"]) == (
        "2030-09-30",
        60,
        2,
    )
    entry = item.history.get()
    assert (entry.kind, entry.actor_id, entry.comment) == ("updated", owner.pk, "Lùi hạn")
    assert entry.changes == {"due_date": ["2030-06-30", "2030-09-30"], "progress": [0, 60]}


def test_an_update_with_fields_it_does_not_take_is_refused_whole(item):
    owner = owner_user(item.owner_organization)
    before = _snapshot("U-1")
    response = client_for(owner).patch(
        "/api/v1/recommendations/U-1/",
        {"status": "verified", "quote": "Sửa trích dẫn", "due": "2031-01-01", "progress": 50},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {
        "due": ["Trường này không được nhận ở đây."],
        "quote": ["Trường này không được nhận ở đây."],
        "status": ['Trạng thái chỉ thay đổi qua /transition/ (POST {"to_status": …}).'],
    }
    assert _snapshot("U-1") == before
    assert not item.history.exists()


@pytest.mark.parametrize(
    "body",
    [{"comment": "Đã họp với Bộ Tài chính"}, {"progress": 0, "comment": "Đã họp với Bộ Tài chính"}],
    ids=["comment-only", "unchanged-value"],
)
def test_a_comment_without_a_change_is_refused_not_dropped(item, body):
    before = _snapshot("U-1")
    response = client_for(owner_user(item.owner_organization)).patch(
        "/api/v1/recommendations/U-1/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["comment"]
    assert "minh chứng dạng ghi chú" in response.json()["errors"]["comment"][0]
    assert _snapshot("U-1") == before
    assert not item.history.exists()


def test_an_update_that_changes_nothing_without_a_comment_is_answered_as_is(item):
    response = client_for(owner_user(item.owner_organization)).patch(
        "/api/v1/recommendations/U-1/", {"progress": 0, "comment": "  "}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"1"'
    assert not item.history.exists()


def test_create_with_a_field_it_does_not_take_is_refused():
    response = client_for(admin_user()).post(
        "/api/v1/recommendations/", _new_item(status="verified"), format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"status": ["Trường này không được nhận ở đây."]}
    assert not Recommendation.objects.exists()


def test_update_with_the_version_field_and_themes(item):
    ThemeFactory(slug="a")
    response = client_for(admin_user()).patch(
        "/api/v1/recommendations/U-1/", {"themes": ["a"], "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["themes"] == ["a"]


@pytest.mark.parametrize(
    "how",
    [{"HTTP_IF_MATCH": '"1"'}, {"HTTP_IF_MATCH": 'W/"1"'}, {"version": 1}],
    ids=["if-match", "weak-if-match", "version-field"],
)
def test_stale_update_is_409_and_changes_nothing(item, how):
    owner = owner_user(item.owner_organization)
    services.recommendation_update(recommendation=item, actor=owner, changes={"progress": 10})
    before = _snapshot("U-1")
    body = {"title": "Overwritten", "progress": 90}
    headers = {k: v for k, v in how.items() if k.startswith("HTTP_")}
    body.update({k: v for k, v in how.items() if not k.startswith("HTTP_")})
    response = client_for(owner).patch("/api/v1/recommendations/U-1/", body, format="json", **headers)
    assert response.status_code == 409
    assert response["ETag"] == '"2"'
    assert response.json()["code"] == "stale_version"
    assert response.json()["current_version"] == 2
    assert _snapshot("U-1") == before


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({"HTTP_IF_MATCH": "1"}, {}, "If-Match"),
        ({"HTTP_IF_MATCH": '"one"'}, {}, "If-Match"),
        ({"HTTP_IF_MATCH": '"1"'}, {"version": 2}, "version"),
        ({}, {"version": 0}, "version"),
        ({}, {"progress": 101}, "progress"),
        ({}, {"due_date": "2030-02-30"}, "due_date"),
        ({}, {"owner_organization": "NOPE"}, "owner_organization"),
    ],
)
def test_bad_update_input_is_400_and_changes_nothing(item, headers, body, field):
    before = _snapshot("U-1")
    owner = owner_user(item.owner_organization)
    response = client_for(owner).patch(
        "/api/v1/recommendations/U-1/", {"title": "Changed", **body}, format="json", **headers
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert _snapshot("U-1") == before


def test_owner_of_another_organization_cannot_update(item):
    before = _snapshot("U-1")
    stranger = owner_user(OrganizationFactory(code="MIC"))
    response = client_for(stranger).patch("/api/v1/recommendations/U-1/", {"progress": 50}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "U-1" in response.json()["detail"]
    assert _snapshot("U-1") == before


def test_only_administrators_move_an_item_to_another_organization(item):
    OrganizationFactory(code="MIC")
    before = _snapshot("U-1")
    owner = owner_user(item.owner_organization)
    response = client_for(owner).patch(
        "/api/v1/recommendations/U-1/", {"owner_organization": "MIC"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Chỉ quản trị viên mới được chuyển kiến nghị sang đơn vị khác."
    assert _snapshot("U-1") == before
    response = client_for(admin_user()).patch(
        "/api/v1/recommendations/U-1/", {"owner_organization": "MIC"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["owner_organization"]["code"] == "MIC"


def test_the_owner_person_must_belong_to_the_owner_organization(item):
    outsider = owner_user(OrganizationFactory(code="MIC"))
    before = _snapshot("U-1")
    response = client_for(admin_user()).patch(
        "/api/v1/recommendations/U-1/", {"owner": outsider.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner"]
    assert _snapshot("U-1") == before


def test_put_and_delete_are_not_offered(item):
    client = client_for(admin_user())
    assert client.put("/api/v1/recommendations/U-1/", {}, format="json").status_code == 405
    assert client.delete("/api/v1/recommendations/U-1/").status_code == 405
    assert Recommendation.objects.filter(code="U-1").exists()
    assert HistoryEntry.objects.count() == 0


# --- List rows read as values -----------------------------------------------------------------------


@pytest.mark.parametrize("viewer_kind", ["administrator", "reader", "the owner"])
def test_list_rows_are_what_the_model_serializer_writes(viewer_kind, rf):
    """The list builds its rows from values (``RecommendationRowSerializer``); they must be, field
    for field, what ``RecommendationSerializer`` writes from model instances."""
    from rest_framework.request import Request

    from recommendations import selectors
    from recommendations.api.serializers import RecommendationRowSerializer, RecommendationSerializer

    org, other = OrganizationFactory(code="ROW-A"), OrganizationFactory(code="ROW-B")
    owner = owner_user(org, first_name="An", last_name="Nguyễn", email="an@example.org")
    nameless = owner_user(org, first_name="", last_name="", email="")
    themes = [ThemeFactory(slug="z-last"), ThemeFactory(slug="a-first")]
    done = RecommendationFactory(
        code="ROW-1", owner_organization=org, owner=owner, proposer_organization=other, due_date=TODAY
    )
    done.themes.set(themes)
    Recommendation.objects.filter(pk=done.pk).update(
        status="implemented", completed_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    )
    RecommendationFactory(code="ROW-2", owner_organization=other, owner=None, due_date=None)
    RecommendationFactory(code="ROW-3", owner_organization=org, owner=nameless, due_date=TODAY - DAY)
    viewer = {"administrator": admin_user, "reader": reader_user, "the owner": lambda: owner}[viewer_kind]()
    request = Request(rf.get("/"))
    request.user = viewer
    context = {"request": request}

    queryset = selectors.recommendation_list().filter(code__startswith="ROW-")
    expected = RecommendationSerializer(queryset.prefetch_related("themes"), many=True, context=context).data
    rows = selectors.completed_rows(selectors.recommendation_rows(queryset))
    actual = RecommendationRowSerializer(rows, many=True, context=context).data

    expected_dicts = [dict(row) for row in expected]
    for row in expected_dicts:
        row["themes"] = sorted(row["themes"])
    assert [dict(row) for row in actual] == expected_dicts
    first = actual[0]
    assert first["themes"] == ["a-first", "z-last"]
    assert first["completed_at"] == "2026-03-02T06:30:00+07:00"
    assert first["owner"]["email"] == ("an@example.org" if viewer_kind != "reader" else None)
    assert actual[1]["owner"] is None and actual[1]["due_date"] is None
    assert actual[2]["owner"]["name"] == nameless.username


def test_deep_pages_hold_the_same_rows_as_the_ordering():
    for n in range(25):
        RecommendationFactory(code=f"D-{n:02d}", due_date=TODAY + n % 4 * DAY)
    client = client_for(reader_user())
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/recommendations/?ordering=-due_date&page={page}&page_size=10").json()
        seen += [(r["due_date"], r["code"]) for r in body["results"]]
    assert len(seen) == 25 == len(set(seen))
    assert seen == sorted(seen, key=lambda pair: (-datetime.date.fromisoformat(pair[0]).toordinal(), pair[1]))
