"""Every allowed and every refused transition, through the one service that changes status."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from recommendations import services
from recommendations.errors import NotPermitted, StaleVersion, TransitionRefused
from recommendations.models import Evidence, HistoryEntry, Recommendation
from recommendations.workflow import TRANSITIONS, Status, find_transition
from tests.factories import RecommendationFactory, UserFactory, admin_user, owner_user, reader_user

pytestmark = pytest.mark.django_db

ALLOWED = {(t.source, t.target) for t in TRANSITIONS}
ALL_PAIRS = [(a, b) for a, b in itertools.product(Status, Status)]


def _in_status(status: Status, *, implemented_by=None) -> Recommendation:
    """A recommendation put directly in ``status`` (test setup, not a workflow step)."""
    rec = RecommendationFactory()
    fields = {"status": status}
    if status in (Status.IMPLEMENTED, Status.VERIFIED):
        implementer = implemented_by or owner_user(rec.owner_organization)
        Evidence.objects.create(recommendation=rec, kind="note", note="done", submitted_by=implementer)
        fields.update(implemented_by=implementer, progress=100)
    Recommendation.objects.filter(pk=rec.pk).update(**fields)
    rec.refresh_from_db()
    return rec


def _snapshot(rec: Recommendation) -> tuple:
    rec.refresh_from_db()
    return (rec.status, rec.version, rec.completed_at, rec.implemented_by_id, rec.history.count())


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_transition_changes_status_and_writes_one_history_row(source, target):
    rec = _in_status(source)
    actor = owner_user(rec.owner_organization)
    if target == Status.IMPLEMENTED:
        Evidence.objects.create(recommendation=rec, kind="note", note="proof", submitted_by=actor)
    before_version = rec.version

    updated = services.recommendation_transition(
        recommendation=rec, actor=actor, to_status=target, comment="lý do"
    )

    assert updated.status == target
    assert updated.version == before_version + 1
    entries = list(rec.history.filter(kind=HistoryEntry.Kind.STATUS))
    assert [(e.from_status, e.to_status, e.actor_id, e.comment) for e in entries] == [
        (source, target, actor.pk, "lý do")
    ]


@pytest.mark.parametrize(("source", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_every_refused_transition_says_why_and_changes_nothing(source, target):
    rec = _in_status(source)
    actor = admin_user()
    before = _snapshot(rec)

    with pytest.raises(TransitionRefused) as refused:
        services.recommendation_transition(recommendation=rec, actor=actor, to_status=target, comment="x")

    assert rec.code in str(refused.value)
    assert str(Status(source).label) in str(refused.value)
    assert _snapshot(rec) == before


def test_unknown_target_status_is_refused():
    rec = _in_status(Status.PROPOSED)
    with pytest.raises(TransitionRefused) as refused:
        services.recommendation_transition(recommendation=rec, actor=admin_user(), to_status="done")
    assert refused.value.code == "unknown_status"
    assert _snapshot(rec)[0] == Status.PROPOSED


def test_implemented_requires_evidence():
    rec = _in_status(Status.IN_PROGRESS)
    actor = owner_user(rec.owner_organization)
    before = _snapshot(rec)
    with pytest.raises(TransitionRefused) as refused:
        services.recommendation_transition(recommendation=rec, actor=actor, to_status=Status.IMPLEMENTED)
    assert refused.value.code == "evidence_required"
    assert _snapshot(rec) == before


def test_withdrawn_evidence_does_not_count_for_implemented():
    rec = _in_status(Status.IN_PROGRESS)
    actor = owner_user(rec.owner_organization)
    evidence = services.evidence_add(recommendation=rec, actor=actor, kind="note", note="draft")
    services.evidence_withdraw(evidence=evidence, actor=actor, reason="nhầm tài liệu")
    with pytest.raises(TransitionRefused):
        services.recommendation_transition(recommendation=rec, actor=actor, to_status=Status.IMPLEMENTED)
    assert _snapshot(rec)[0] == Status.IN_PROGRESS


def test_implemented_records_completion_and_who():
    rec = _in_status(Status.IN_PROGRESS)
    actor = owner_user(rec.owner_organization)
    services.evidence_add(recommendation=rec, actor=actor, kind="note", note="report sent")
    updated = services.recommendation_transition(
        recommendation=rec, actor=actor, to_status=Status.IMPLEMENTED
    )
    assert updated.implemented_by_id == actor.pk
    assert updated.completed_at is not None
    assert updated.progress == 100


def test_verification_by_the_implementer_is_refused():
    implementer = UserFactory(role="owner")
    rec = _in_status(Status.IMPLEMENTED, implemented_by=implementer)
    Recommendation.objects.filter(pk=rec.pk).update(owner_organization=implementer.organization)
    before = _snapshot(rec)
    with pytest.raises(TransitionRefused) as refused:
        services.recommendation_transition(recommendation=rec, actor=implementer, to_status=Status.VERIFIED)
    assert refused.value.code == "four_eyes"
    assert _snapshot(rec) == before


def test_verification_by_another_user_succeeds():
    implementer = UserFactory(role="owner")
    rec = _in_status(Status.IMPLEMENTED, implemented_by=implementer)
    colleague = owner_user(rec.owner_organization)
    updated = services.recommendation_transition(
        recommendation=rec, actor=colleague, to_status=Status.VERIFIED
    )
    assert updated.status == Status.VERIFIED
    assert updated.implemented_by_id == implementer.pk


@pytest.mark.parametrize("target", [t.target for t in TRANSITIONS if t.requires_comment])
def test_rejecting_blocking_and_reopening_need_a_comment(target):
    source = next(t.source for t in TRANSITIONS if t.target == target and t.requires_comment)
    rec = _in_status(source)
    before = _snapshot(rec)
    with pytest.raises(TransitionRefused) as refused:
        services.recommendation_transition(
            recommendation=rec, actor=admin_user(), to_status=target, comment="  "
        )
    assert refused.value.code == "comment_required"
    assert _snapshot(rec) == before


def test_reopening_clears_the_completion():
    rec = _in_status(Status.VERIFIED)
    Recommendation.objects.filter(pk=rec.pk).update(completed_at="2026-01-01T00:00:00Z")
    updated = services.recommendation_transition(
        recommendation=rec, actor=admin_user(), to_status=Status.IN_PROGRESS, comment="phát sinh việc mới"
    )
    assert (updated.completed_at, updated.implemented_by_id) == (None, None)
    assert find_transition(Status.VERIFIED, Status.IN_PROGRESS).is_reopening


def test_owner_of_another_organization_cannot_transition():
    rec = _in_status(Status.PROPOSED)
    outsider = owner_user()  # a different organization
    before = _snapshot(rec)
    with pytest.raises(NotPermitted):
        services.recommendation_transition(recommendation=rec, actor=outsider, to_status=Status.ACCEPTED)
    assert _snapshot(rec) == before


def test_reader_cannot_transition():
    rec = _in_status(Status.PROPOSED)
    reader = reader_user(organization=rec.owner_organization)
    with pytest.raises(NotPermitted):
        services.recommendation_transition(recommendation=rec, actor=reader, to_status=Status.ACCEPTED)
    assert _snapshot(rec)[0] == Status.PROPOSED


def test_stale_version_is_refused_and_changes_nothing():
    rec = _in_status(Status.PROPOSED)
    actor = owner_user(rec.owner_organization)
    services.recommendation_transition(recommendation=rec, actor=actor, to_status=Status.ACCEPTED)
    before = _snapshot(rec)
    with pytest.raises(StaleVersion) as stale:
        services.recommendation_transition(
            recommendation=rec, actor=actor, to_status=Status.IN_PROGRESS, expected_version=1
        )
    assert stale.value.current_version == 2
    assert _snapshot(rec) == before


def test_history_is_written_in_the_same_transaction(monkeypatch):
    """If writing the history row fails, the status change is rolled back with it."""
    rec = _in_status(Status.PROPOSED)
    actor = owner_user(rec.owner_organization)

    def failing_history(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_history", failing_history)
    with pytest.raises(RuntimeError):
        services.recommendation_transition(recommendation=rec, actor=actor, to_status=Status.ACCEPTED)
    rec.refresh_from_db()
    assert (rec.status, rec.version, rec.history.count()) == (Status.PROPOSED, 1, 0)


def test_transition_locks_the_row():
    rec = _in_status(Status.PROPOSED)
    actor = owner_user(rec.owner_organization)
    with CaptureQueriesContext(connection) as queries:
        services.recommendation_transition(recommendation=rec, actor=actor, to_status=Status.ACCEPTED)
    first_select = next(q["sql"] for q in queries if "recommendations_recommendation" in q["sql"])
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in first_select


@pytest.mark.parametrize("key", ["code", "pk", "instance"])
def test_the_transitions_locked_read_builds_the_item_as_the_orm_does(key):
    """The transition reads its row in SQL of its own (``services._lock_for_transition``): the
    same values, of the same types (dates are text on SQLite until converted), the rest deferred."""
    rec = _in_status(Status.IMPLEMENTED)
    rec.due_date = datetime.date(2027, 3, 31)
    rec.completed_at = datetime.datetime(2027, 3, 30, 9, 15, 30, 123456, tzinfo=datetime.UTC)
    rec.save(update_fields=["due_date", "completed_at"])
    expected = Recommendation.objects.only(*services.TRANSITION_FIELDS).get(pk=rec.pk)
    with transaction.atomic():
        locked = services._lock_for_transition({"code": rec.code, "pk": rec.pk, "instance": rec}[key])
    assert locked.get_deferred_fields() == expected.get_deferred_fields()
    assert "quote" in locked.get_deferred_fields()
    assert locked._state.adding is False and locked._state.db == "default"
    for name in services.TRANSITION_FIELDS:
        value, wanted = getattr(locked, name), getattr(expected, name)
        assert (value, type(value)) == (wanted, type(wanted)), name
    assert isinstance(locked.completed_at, datetime.datetime) and locked.completed_at.tzinfo is not None
    assert isinstance(locked.due_date, datetime.date)


def test_the_transitions_locked_read_of_an_unknown_code_is_does_not_exist():
    with transaction.atomic(), pytest.raises(Recommendation.DoesNotExist):
        services._lock_for_transition("NO-SUCH-ITEM")
