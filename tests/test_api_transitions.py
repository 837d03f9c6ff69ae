"""POST /api/v1/recommendations/{code}/transition/: the workflow through the API, refusals that
change nothing, and optimistic concurrency with If-Match or a version field."""

from __future__ import annotations

import pytest

from recommendations import roles, services
from recommendations.models import Recommendation
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/recommendations/T-1/transition/"


@pytest.fixture
def rec():
    return RecommendationFactory(code="T-1", owner_organization=OrganizationFactory(code="MOFA"))


@pytest.fixture
def owner(rec):
    return owner_user(rec.owner_organization)


def _state(code: str = "T-1") -> tuple:
    item = Recommendation.objects.get(code=code)
    return (item.status, item.version, item.progress, item.completed_at, item.history.count())


def test_owner_accepts_and_gets_the_new_version(rec, owner):
    response = client_for(owner).post(URL, {"to_status": "accepted", "comment": "Nhận"}, format="json")
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["status"], body["version"]) == ("accepted", 2)
    assert [t["to_status"] for t in body["allowed_transitions"]] == ["in_progress", "blocked", "rejected"]
    entry = rec.history.get()
    assert (entry.kind, entry.from_status, entry.to_status, entry.comment, entry.actor_id) == (
        "status",
        "proposed",
        "accepted",
        "Nhận",
        owner.pk,
    )


def test_the_whole_workflow_through_the_api(rec, owner):
    client = client_for(owner)
    assert client.post(URL, {"to_status": "accepted"}, format="json").status_code == 200
    assert client.post(URL, {"to_status": "in_progress"}, format="json").status_code == 200

    before = _state()
    refused = client.post(URL, {"to_status": "implemented"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Cần ít nhất một minh chứng trước khi đánh dấu T-1 là đã thực hiện.",
        "code": "evidence_required",
    }
    assert _state() == before

    evidence = client.post(
        "/api/v1/recommendations/T-1/evidence/", {"kind": "note", "note": "Đã ban hành"}, format="json"
    )
    assert evidence.status_code == 201
    done = client.post(URL, {"to_status": "implemented"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["progress"], done.json()["timeliness"]) == (
        "implemented",
        100,
        "done_on_time",
    )

    before = _state()
    four_eyes = client.post(URL, {"to_status": "verified"}, format="json")
    assert four_eyes.status_code == 400
    assert four_eyes.json()["code"] == "four_eyes"
    assert _state() == before
    verified = client_for(admin_user()).post(URL, {"to_status": "verified"}, format="json")
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified"
    assert list(rec.history.filter(kind="status").values_list("to_status", flat=True)) == [
        "accepted",
        "in_progress",
        "implemented",
        "verified",
    ]


def test_a_transition_the_workflow_does_not_allow_is_400_with_the_reason(rec, owner):
    before = _state()
    response = client_for(owner).post(URL, {"to_status": "verified"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "transition_refused"
    assert body["detail"].startswith("Không thể chuyển T-1 từ “Mới đề xuất” sang “Đã xác minh”.")
    assert "errors" not in body
    assert _state() == before


def test_a_missing_comment_is_a_field_error(rec, owner):
    before = _state()
    response = client_for(owner).post(URL, {"to_status": "rejected", "comment": "   "}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "comment_required"
    assert body["errors"] == {"comment": [body["detail"]]}
    assert _state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_status": "done"}, "to_status"),
        ({}, "to_status"),
        ({"to_status": "accepted", "version": "x"}, "version"),
        ({"to_status": "accepted", "reason": "Nhận"}, "reason"),  # not "comment": refused, not lost
    ],
)
def test_bad_transition_input_is_400_with_field_errors(rec, owner, body, field):
    before = _state()
    response = client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert _state() == before


def test_an_unknown_field_is_reported_beside_the_other_errors(rec, owner):
    response = client_for(owner).post(URL, {"status": "accepted"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "to_status": ["Trường này là bắt buộc."],
        "status": ["Trường này không được nhận ở đây."],
    }


def test_the_browsable_apis_form_token_is_not_an_unknown_field(rec, owner):
    response = client_for(owner).post(URL, {"to_status": "accepted", "csrfmiddlewaretoken": "x"})
    assert response.status_code == 200, response.content


def test_form_encoded_bodies_work_too(rec, owner):
    response = client_for(owner).post(URL, {"to_status": "accepted", "version": "1"})
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


@pytest.mark.parametrize("how", ["if-match", "version-field"])
def test_a_stale_version_is_409_and_nothing_changes(rec, owner, how):
    first, second = client_for(owner), client_for(admin_user())
    etag = first.get("/api/v1/recommendations/T-1/")["ETag"]
    assert etag == '"1"'
    assert second.post(URL, {"to_status": "accepted"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    before = _state()
    if how == "if-match":
        response = first.post(
            URL, {"to_status": "rejected", "comment": "Trùng"}, format="json", HTTP_IF_MATCH=etag
        )
    else:
        response = first.post(URL, {"to_status": "rejected", "comment": "Trùng", "version": 1}, format="json")
    assert response.status_code == 409
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["code"], body["current_version"]) == ("stale_version", 2)
    assert "phiên bản hiện tại 2" in body["detail"]
    assert _state() == before


def test_stale_wins_over_a_refusal_and_over_nothing_else(rec, owner):
    # A stale request is refused as stale even when its transition would also be refused.
    services.recommendation_transition(recommendation=rec, actor=owner, to_status="accepted")
    before = _state()
    response = client_for(owner).post(URL, {"to_status": "verified"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409
    assert _state() == before


def test_if_match_star_and_current_version_are_accepted(rec, owner):
    client = client_for(owner)
    assert client.post(URL, {"to_status": "accepted"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    response = client.post(URL, {"to_status": "in_progress"}, format="json", HTTP_IF_MATCH='W/"2"')
    assert response.status_code == 200
    assert response["ETag"] == '"3"'


def test_a_malformed_if_match_is_400(rec, owner):
    before = _state()
    response = client_for(owner).post(URL, {"to_status": "accepted"}, format="json", HTTP_IF_MATCH="v1")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["If-Match"]
    assert _state() == before


@pytest.mark.parametrize("who", ["reader", "other_org_owner", "owner_without_organization"])
def test_readers_and_other_organizations_cannot_transition_and_are_told_why(rec, who):
    user, reason = {
        "reader": (
            reader_user(),
            "Bạn chỉ có quyền xem: vai trò của bạn không cho phép thay đổi kiến nghị T-1.",
        ),
        "other_org_owner": (
            owner_user(OrganizationFactory(code="MIC")),
            f"Bạn không có quyền thay đổi kiến nghị T-1: nó do {rec.owner_organization.name} chủ trì.",
        ),
        "owner_without_organization": (
            UserFactory(role=roles.OWNER, organization=None),
            "Bạn chưa thuộc đơn vị nào nên không thể thay đổi kiến nghị T-1; "
            "hãy nhờ quản trị viên gán đơn vị cho bạn.",
        ),
    }[who]
    before = _state()
    response = client_for(user).post(URL, {"to_status": "accepted"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": reason, "code": "permission_denied"}
    assert _state() == before
    with pytest.raises(services.NotPermitted) as refused:
        services.recommendation_transition(recommendation=rec, actor=user, to_status="accepted")
    assert str(refused.value) == reason


def test_unknown_item_is_404(owner):
    response = client_for(owner).post("/api/v1/recommendations/NOPE/transition/", {"to_status": "accepted"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy.", "code": "not_found"}


# The service finds the item and checks the caller's right under its lock; a body that fails
# before it gets there must still be answered in the order of every other endpoint: the item, then
# the caller, then the body.
BAD_BODIES = {
    "invalid field": ({"to_status": "nonsense"}, {}),
    "unreadable JSON": ('{"to_status": ', {}),
    "malformed If-Match": ({"to_status": "accepted"}, {"HTTP_IF_MATCH": "v1"}),
    "stale version": ({"to_status": "accepted", "version": 99}, {}),
}


def _post(client, url: str, body, headers: dict):
    if isinstance(body, str):
        return client.post(url, body, content_type="application/json", **headers)
    return client.post(url, body, format="json", **headers)


@pytest.mark.parametrize("bad", list(BAD_BODIES))
def test_an_unknown_item_is_404_whatever_the_body(owner, bad):
    body, headers = BAD_BODIES[bad]
    response = _post(client_for(owner), "/api/v1/recommendations/NOPE/transition/", body, headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("bad", list(BAD_BODIES))
def test_a_caller_who_may_not_change_the_item_is_403_whatever_the_body(rec, bad):
    body, headers = BAD_BODIES[bad]
    before = _state()
    response = _post(client_for(owner_user(OrganizationFactory(code="MIC"))), URL, body, headers)
    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Bạn không có quyền thay đổi kiến nghị T-1: nó do {rec.owner_organization.name} chủ trì.",
        "code": "permission_denied",
    }
    assert _state() == before


def test_a_code_with_a_nul_character_is_404_not_a_database_error(owner):
    response = client_for(owner).post(
        "/api/v1/recommendations/T%00-1/transition/", {"to_status": "accepted"}, format="json"
    )
    assert response.status_code == 404


def test_the_answer_is_the_items_new_workflow_state_as_a_fresh_read_shows_it(owner):
    """The transition answers from the row the service locked, not from a second read: its
    fields must hold exactly what GET shows afterwards, derived timeliness included."""
    import datetime

    from django.utils import timezone

    item = RecommendationFactory(
        code="T-2",
        owner_organization=owner.organization,
        owner=owner,
        due_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    client = client_for(owner)
    moved = client.post(
        "/api/v1/recommendations/T-2/transition/", {"to_status": "accepted", "version": 1}, format="json"
    )
    assert moved.status_code == 200, moved.content
    answer = moved.json()
    assert set(answer) == {
        "code",
        "status",
        "timeliness",
        "progress",
        "completed_at",
        "version",
        "last_activity_at",
        "allowed_transitions",
    }
    fresh = client.get("/api/v1/recommendations/T-2/")
    assert answer == {name: fresh.json()[name] for name in answer}
    assert moved["ETag"] == fresh["ETag"] == '"2"'
    assert (answer["status"], answer["version"], answer["timeliness"]) == ("accepted", 2, "overdue")
    item.refresh_from_db()
    assert (item.status, item.version) == ("accepted", 2)


def test_the_answer_of_a_completing_transition_carries_its_completion(owner):
    item = RecommendationFactory(code="T-4", owner_organization=owner.organization, status="in_progress")
    client = client_for(owner)
    client.post("/api/v1/recommendations/T-4/evidence/", {"kind": "note", "note": "Xong"}, format="json")
    done = client.post("/api/v1/recommendations/T-4/transition/", {"to_status": "implemented"}, format="json")
    assert done.status_code == 200, done.content
    fresh = client.get("/api/v1/recommendations/T-4/").json()
    assert done.json() == {name: fresh[name] for name in done.json()}
    item.refresh_from_db()
    assert done.json()["completed_at"] is not None
    assert (done.json()["progress"], fresh["completed_at"]) == (100, done.json()["completed_at"])
    assert item.completed_at is not None


def test_a_transition_runs_a_fixed_number_of_queries(owner, django_assert_num_queries):
    item = RecommendationFactory(code="T-3", owner_organization=owner.organization)
    item.themes.set([])
    client = client_for(owner)
    # the token with its user and groups; the service's transaction (a savepoint inside the
    # test's): the locked read by code (which the permission check reads too), update, history
    # insert. The answer is built from the locked row; nothing of the row is read twice.
    with django_assert_num_queries(6) as queries:
        response = client.post(
            "/api/v1/recommendations/T-3/transition/", {"to_status": "accepted"}, format="json"
        )
    assert response.status_code == 200
    # The row's long texts are neither read nor written: only what a transition needs.
    reads = [q["sql"] for q in queries.captured_queries if "recommendations_recommendation" in q["sql"]]
    assert reads and not any('"quote"' in sql or '"search_text"' in sql for sql in reads)
