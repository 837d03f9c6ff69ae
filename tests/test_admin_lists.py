"""The admin's lists of evidence and of history across every item: the latest first, in an order
an index serves (the tables grow by millions of rows), and history filtered by date."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from recommendations import services
from recommendations.models import Evidence, HistoryEntry
from tests.factories import OrganizationFactory, RecommendationFactory, admin_user, owner_user

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def rows(client):
    """Three notes and three check-ins, a day apart each, created out of order."""
    org = OrganizationFactory(code="MOFA")
    rec = RecommendationFactory(code="L-1", owner_organization=org)
    owner = owner_user(org)
    for days_ago in (3, 10, 1):
        evidence = services.evidence_add(
            recommendation=rec, actor=owner, kind="note", note=f"{days_ago} ngày"
        )
        Evidence.objects.filter(pk=evidence.pk).update(submitted_at=NOW - datetime.timedelta(days=days_ago))
        check_in = services.recommendation_check_in(
            recommendation=rec, actor=owner, comment=f"{days_ago} ngày"
        )
        HistoryEntry.objects.filter(pk=check_in.pk).update(created_at=NOW - datetime.timedelta(days=days_ago))
    client.force_login(admin_user())
    return rec


def listed(client, model_name: str, params: dict[str, str] | None = None) -> list:
    response = client.get(reverse(f"admin:recommendations_{model_name}_changelist"), params or {})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_evidence_is_listed_latest_first(client, rows):
    assert [e.note for e in listed(client, "evidence")] == ["1 ngày", "3 ngày", "10 ngày"]


def test_evidence_is_filtered_by_whether_it_was_withdrawn(client, rows):
    withdrawn = Evidence.objects.get(note="3 ngày")
    services.evidence_withdraw(evidence=withdrawn, actor=admin_user(), reason="nhầm")
    page = client.get(reverse("admin:recommendations_evidence_changelist")).content.decode()
    assert "Chưa rút" in page and "Đã rút" in page and "Rỗng" not in page
    assert [e.note for e in listed(client, "evidence", {"withdrawn": "yes"})] == ["3 ngày"]
    assert [e.note for e in listed(client, "evidence", {"withdrawn": "no"})] == ["1 ngày", "10 ngày"]


def test_history_is_listed_latest_first(client, rows):
    check_ins = [h.comment for h in listed(client, "historyentry") if h.kind == HistoryEntry.Kind.CHECK_IN]
    assert check_ins == ["1 ngày", "3 ngày", "10 ngày"]


def test_history_is_filtered_by_date(client, rows):
    response = client.get(reverse("admin:recommendations_historyentry_changelist"))
    date_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.field_path == "created_at"
    )
    # The filter's choices: "Any date", "Today", "Past 7 days", "This month"…
    title, past_week = date_filter.links[2]
    assert str(title) == "7 ngày trước"
    shown = listed(client, "historyentry", {key: str(value) for key, value in past_week.items()})
    assert {h.comment for h in shown if h.kind == HistoryEntry.Kind.CHECK_IN} == {"1 ngày", "3 ngày"}
    assert all(h.created_at >= NOW - datetime.timedelta(days=8) for h in shown)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plan")
@pytest.mark.parametrize("model", [Evidence, HistoryEntry])
def test_the_lists_order_is_read_from_an_index_without_sorting(rows, model):
    ordering = admin.site.get_model_admin(model).get_ordering(None) or model._meta.ordering
    with connection.cursor() as cursor:
        # On a test's handful of rows a sequential scan and a sort would be cheaper; forbid it,
        # so that the plan shows whether an index can give the order at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = model.objects.order_by(*ordering)[:100].explain()
    assert "Index" in plan
    assert "Sort" not in plan, plan
