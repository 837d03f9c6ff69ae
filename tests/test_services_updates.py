"""Plain updates and creation through the services: validation names the field, nothing is lost."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from recommendations import roles, services
from recommendations.errors import DomainError, NotPermitted
from recommendations.models import HistoryEntry, Recommendation, Theme
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    admin_user,
    owner_user,
    reader_user,
)

pytestmark = pytest.mark.django_db


def test_update_writes_old_and_new_values_to_history():
    rec = RecommendationFactory(due_date=None)
    owner = owner_user(rec.owner_organization)
    services.recommendation_update(
        recommendation=rec, actor=owner, changes={"owner": owner, "progress": 40}, comment="giao việc"
    )
    entry = rec.history.get(kind=HistoryEntry.Kind.UPDATED)
    assert entry.changes == {"owner": [None, str(owner)], "progress": [0, 40]}
    assert (entry.actor, entry.comment) == (owner, "giao việc")


def test_update_without_a_change_writes_nothing():
    rec = RecommendationFactory()
    owner = owner_user(rec.owner_organization)
    services.recommendation_update(recommendation=rec, actor=owner, changes={"title": rec.title})
    rec.refresh_from_db()
    assert (rec.version, rec.history.count()) == (1, 0)


def test_owner_must_belong_to_the_owner_organization():
    rec = RecommendationFactory()
    outsider = owner_user()
    with pytest.raises(ValidationError) as error:
        services.recommendation_update(recommendation=rec, actor=admin_user(), changes={"owner": outsider})
    assert list(error.value.message_dict) == ["owner"]
    rec.refresh_from_db()
    assert (rec.owner, rec.version) == (None, 1)


def test_the_owner_must_hold_a_role_that_can_update_the_item():
    rec = RecommendationFactory()
    reader = reader_user(organization=rec.owner_organization)
    with pytest.raises(ValidationError) as error:
        services.recommendation_update(recommendation=rec, actor=admin_user(), changes={"owner": reader})
    assert error.value.message_dict == {
        "owner": [f"{reader} không có vai trò người phụ trách (owner) nên không thể cập nhật kiến nghị."]
    }
    rec.refresh_from_db()
    assert (rec.owner, rec.version) == (None, 1)
    colleague = owner_user(rec.owner_organization)
    services.recommendation_update(recommendation=rec, actor=admin_user(), changes={"owner": colleague})
    assert Recommendation.objects.get(pk=rec.pk).owner == colleague


@pytest.mark.parametrize("status", [Status.IMPLEMENTED, Status.VERIFIED, Status.REJECTED])
@pytest.mark.parametrize(
    ("changes", "field"),
    [({"due_date": datetime.date(2031, 1, 1)}, "due_date"), ({"progress": 50}, "progress")],
)
def test_a_closed_items_due_date_and_progress_stay_as_they_were(status, changes, field):
    """Moving the due date after completion would turn "done late" into "done on time"."""
    rec = RecommendationFactory(status=status, due_date=datetime.date(2026, 1, 1), progress=100)
    owner = owner_user(rec.owner_organization)
    with pytest.raises(ValidationError) as error:
        services.recommendation_update(recommendation=rec, actor=admin_user(), changes=changes)
    assert list(error.value.message_dict) == [field]
    rec.refresh_from_db()
    assert (rec.due_date, rec.progress, rec.version, rec.history.count()) == (
        datetime.date(2026, 1, 1),
        100,
        1,
        0,
    )
    # Other fields still change.
    services.recommendation_update(recommendation=rec, actor=owner, changes={"title": "Tên mới"})
    assert Recommendation.objects.get(pk=rec.pk).title == "Tên mới"


def test_only_administrators_move_an_item_to_another_organization():
    rec = RecommendationFactory()
    other = OrganizationFactory()
    with pytest.raises(NotPermitted):
        services.recommendation_update(
            recommendation=rec,
            actor=owner_user(rec.owner_organization),
            changes={"owner_organization": other},
        )
    services.recommendation_update(
        recommendation=rec, actor=admin_user(), changes={"owner_organization": other}
    )
    rec.refresh_from_db()
    assert rec.owner_organization == other


@pytest.mark.parametrize(("changes", "field"), [({"progress": 101}, "progress"), ({"title": ""}, "title")])
def test_invalid_values_name_the_field_and_change_nothing(changes, field):
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as error:
        services.recommendation_update(recommendation=rec, actor=admin_user(), changes=changes)
    assert field in error.value.message_dict
    rec.refresh_from_db()
    assert (rec.version, rec.history.count()) == (1, 0)


def test_status_cannot_be_set_by_an_update():
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as error:
        services.recommendation_update(recommendation=rec, actor=admin_user(), changes={"status": "verified"})
    assert list(error.value.message_dict) == ["status"]
    rec.refresh_from_db()
    assert rec.status == "proposed"


@pytest.mark.parametrize("code", ["has space", "a/b", "x?y", "-lead"])
def test_codes_must_be_url_safe(code):
    with pytest.raises(ValidationError) as error:
        services.recommendation_create(
            actor=admin_user(),
            code=code,
            title="t",
            quote="q",
            source_document=SourceDocumentFactory(),
            owner_organization=OrganizationFactory(),
        )
    assert "code" in error.value.message_dict
    assert not Recommendation.objects.exists()


def test_only_administrators_create():
    org = OrganizationFactory()
    with pytest.raises(NotPermitted):
        services.recommendation_create(
            actor=owner_user(org),
            code="NEW-01",
            title="t",
            quote="q",
            source_document=SourceDocumentFactory(),
            owner_organization=org,
        )
    assert not Recommendation.objects.exists()


def test_last_evidence_of_a_done_item_cannot_be_withdrawn():
    rec = RecommendationFactory(status="in_progress")
    owner = owner_user(rec.owner_organization)
    evidence = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="báo cáo")
    services.recommendation_transition(recommendation=rec, actor=owner, to_status="implemented")
    with pytest.raises(services.TransitionRefused):
        services.evidence_withdraw(evidence=evidence, actor=owner, reason="nhầm")
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None


def test_themes_in_use_are_not_deleted_and_neither_are_the_others_selected_with_them():
    used, unused = ThemeFactory(name="An ninh mạng"), ThemeFactory()
    rec = RecommendationFactory()
    rec.themes.add(used)
    with pytest.raises(DomainError) as error:
        services.themes_delete(themes=Theme.objects.filter(pk__in=[used.pk, unused.pk]))
    assert error.value.code == "theme_in_use"
    assert "“An ninh mạng”: 1 kiến nghị đang dùng" in str(error.value)
    assert Theme.objects.filter(pk__in=[used.pk, unused.pk]).count() == 2
    assert list(rec.themes.all()) == [used]
    services.themes_delete(themes=Theme.objects.filter(pk=unused.pk))
    assert not Theme.objects.filter(pk=unused.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: SQLite serialises every write")
@pytest.mark.django_db(transaction=True)
def test_two_people_withdrawing_the_same_evidence_at_once_one_is_refused():
    # A transactional test before this one may have flushed the role groups a data migration made.
    Group.objects.get_or_create(name=roles.OWNER)
    rec = RecommendationFactory()
    alice, bob = owner_user(rec.owner_organization), owner_user(rec.owner_organization)
    evidence = services.evidence_add(recommendation=rec, actor=alice, kind="note", note="báo cáo")
    services.evidence_add(recommendation=rec, actor=alice, kind="note", note="báo cáo khác")
    outcome: dict[str, object] = {}

    def bob_withdraws() -> None:
        try:
            services.evidence_withdraw(evidence=evidence.pk, actor=bob, reason="Bob: nhầm")
            outcome["bob"] = "withdrawn"
        except DomainError as error:
            outcome["bob"] = error.code
        finally:
            connection.close()  # the thread's own connection

    with transaction.atomic():
        # Alice holds the item's lock while Bob's withdrawal starts and waits for it.
        Recommendation.objects.select_for_update().get(pk=rec.pk)
        waiting = threading.Thread(target=bob_withdraws)
        waiting.start()
        time.sleep(0.5)
        services.evidence_withdraw(evidence=evidence.pk, actor=alice, reason="Alice: trùng")
    waiting.join(timeout=10)
    evidence.refresh_from_db()
    assert outcome == {"bob": "already_withdrawn"}
    assert (evidence.withdrawn_by, evidence.withdrawal_reason) == (alice, "Alice: trùng")
    assert rec.history.filter(kind=HistoryEntry.Kind.EVIDENCE_WITHDRAWN).count() == 1
