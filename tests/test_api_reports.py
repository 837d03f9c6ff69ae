"""Reports: the figures, a constant number of queries, and validation of their parameters."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommendations import selectors, services
from recommendations.models import HistoryEntry, Recommendation
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_api_common import client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
ZERO = dict.fromkeys(
    ["proposed", "accepted", "in_progress", "blocked", "implemented", "verified", "rejected"], 0
)
REPORTS = [
    "status-by-organization",
    "status-by-source",
    "status-by-theme",
    "timeliness-by-organization",
    "overdue",
    "progress-weekly",
]


def _get(path: str, user=None):
    response = client_for(user or reader_user()).get(f"/api/v1/reports/{path}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def catalogue():
    mofa = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")
    mic = OrganizationFactory(code="MIC", name="Bộ TT&TT")
    OrganizationFactory(code="IDLE", name="Không chủ trì gì")
    s0 = SourceDocumentFactory(key="000", title="Nguồn 0")
    s1 = SourceDocumentFactory(key="001", title="Nguồn 1")
    economy = ThemeFactory(slug="kinh-te-so", name="Kinh tế số")
    strategy = ThemeFactory(slug="chien-luoc", name="Chiến lược")
    ThemeFactory(slug="nhan-luc", name="Nhân lực")
    now = timezone.now()

    def make(code, org, source, status, due, completed=None, themes=()):
        rec = RecommendationFactory(
            code=code,
            owner_organization=org,
            source_document=source,
            status=status,
            due_date=due,
            completed_at=completed,
        )
        rec.themes.set(themes)
        return rec

    make("M-1", mofa, s0, "proposed", TODAY + 5 * DAY, themes=[economy, strategy])
    make("M-2", mofa, s0, "in_progress", TODAY - 3 * DAY, themes=[economy])
    make("M-3", mofa, s1, "verified", TODAY - 10 * DAY, completed=now - 20 * DAY)
    make("M-4", mofa, s1, "implemented", TODAY - 10 * DAY, completed=now - 2 * DAY)
    make("M-5", mofa, s1, "rejected", TODAY - 30 * DAY)
    make("C-1", mic, s0, "blocked", TODAY - 40 * DAY, themes=[strategy])
    make("C-2", mic, s1, "accepted", None)


def test_status_by_organization(catalogue):
    assert _get("status-by-organization/") == [
        {
            "organization_code": "MIC",
            "organization_name": "Bộ TT&TT",
            **ZERO,
            "blocked": 1,
            "accepted": 1,
            "total": 2,
        },
        {
            "organization_code": "MOFA",
            "organization_name": "Bộ Ngoại giao",
            **ZERO,
            "proposed": 1,
            "in_progress": 1,
            "verified": 1,
            "implemented": 1,
            "rejected": 1,
            "total": 5,
        },
    ]


def test_status_by_source(catalogue):
    assert _get("status-by-source/") == [
        {
            "source_key": "000",
            "source_title": "Nguồn 0",
            **ZERO,
            "proposed": 1,
            "in_progress": 1,
            "blocked": 1,
            "total": 3,
        },
        {
            "source_key": "001",
            "source_title": "Nguồn 1",
            **ZERO,
            "verified": 1,
            "implemented": 1,
            "rejected": 1,
            "accepted": 1,
            "total": 4,
        },
    ]


def test_status_by_theme_counts_an_item_under_each_of_its_themes(catalogue):
    assert _get("status-by-theme/") == [
        {
            "theme_slug": "chien-luoc",
            "theme_name": "Chiến lược",
            **ZERO,
            "proposed": 1,
            "blocked": 1,
            "total": 2,
        },
        {
            "theme_slug": "kinh-te-so",
            "theme_name": "Kinh tế số",
            **ZERO,
            "proposed": 1,
            "in_progress": 1,
            "total": 2,
        },
        {"theme_slug": "nhan-luc", "theme_name": "Nhân lực", **ZERO, "total": 0},
    ]


def test_timeliness_and_completion_rate_by_organization(catalogue):
    assert _get("timeliness-by-organization/") == [
        {
            "organization_code": "MIC",
            "organization_name": "Bộ TT&TT",
            "total": 2,
            "rejected": 0,
            "done": 0,
            "done_on_time": 0,
            "done_late": 0,
            "in_time": 1,
            "overdue": 1,
            "completion_rate": 0.0,
        },
        {
            "organization_code": "MOFA",
            "organization_name": "Bộ Ngoại giao",
            "total": 5,
            "rejected": 1,
            "done": 2,
            "done_on_time": 1,
            "done_late": 1,
            "in_time": 1,
            "overdue": 1,
            "completion_rate": 0.5,
        },
    ]


def test_completion_rate_is_null_when_only_rejected_items():
    RecommendationFactory(status="rejected", owner_organization=OrganizationFactory(code="X"))
    [row] = _get("timeliness-by-organization/")
    assert (row["total"], row["rejected"], row["completion_rate"]) == (1, 1, None)


def test_overdue_list_longest_first(catalogue):
    owner = owner_user(OrganizationFactory(code="MIC"), first_name="Bình", last_name="Trần")
    Recommendation.objects.filter(code="C-1").update(owner=owner)
    page = _get("overdue/")
    assert (page["count"], page["next"], page["previous"]) == (2, None, None)
    rows = page["results"]
    assert [(r["code"], r["days_overdue"], r["status"]) for r in rows] == [
        ("C-1", 40, "blocked"),
        ("M-2", 3, "in_progress"),
    ]
    assert rows[0]["owner"] == {"id": owner.pk, "name": "Trần Bình", "email": None}
    assert rows[0]["owner_organization"] == {"code": "MIC", "name": "Bộ TT&TT"}
    assert [r["code"] for r in _get("overdue/?owner_organization=MOFA")["results"]] == ["M-2"]
    assert _get("overdue/?owner_organization=IDLE") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_overdue_list_is_paginated_in_json_and_whole_in_spreadsheets(catalogue):
    for n in range(3):
        RecommendationFactory(code=f"L-{n}", status="in_progress", due_date=TODAY - (50 + n) * DAY)
    first = _get("overdue/?page_size=2")
    assert first["count"] == 5
    assert [r["code"] for r in first["results"]] == ["L-2", "L-1"]
    assert first["next"].endswith("/api/v1/reports/overdue/?page=2&page_size=2")
    second = _get("overdue/?page=2&page_size=2")
    assert [r["code"] for r in second["results"]] == ["L-0", "C-1"]
    assert [r["code"] for r in _get("overdue/?page=3&page_size=2")["results"]] == ["M-2"]
    csv = client_for(reader_user()).get("/api/v1/reports/overdue/?format=csv&page_size=2")
    codes = [line.split(",")[0] for line in csv.content.decode("utf-8-sig").splitlines()[1:]]
    assert codes == ["L-2", "L-1", "L-0", "C-1", "M-2"]
    past_the_end = client_for(reader_user()).get("/api/v1/reports/overdue/?page=9")
    assert past_the_end.status_code == 404


def test_overdue_shows_emails_to_administrators_only(catalogue):
    owner = owner_user(OrganizationFactory(code="MIC"), email="binh@example.org")
    Recommendation.objects.filter(code="C-1").update(owner=owner)
    assert _get("overdue/")["results"][0]["owner"]["email"] is None
    assert _get("overdue/", admin_user())["results"][0]["owner"]["email"] == "binh@example.org"


# --- Progress over time -----------------------------------------------------------------------------

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def _at(day: str, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=HCM)


@pytest.fixture
def history():
    """Three items with a dated history; weeks start on Mondays: 2026-03-02, 03-09, 03-16, 03-23."""
    admin = admin_user()
    org = OrganizationFactory(code="MOFA")
    source = SourceDocumentFactory(key="000")

    def create(code, at):
        rec = services.recommendation_create(
            actor=admin, code=code, title=code, quote="q", source_document=source, owner_organization=org
        )
        HistoryEntry.objects.filter(recommendation=rec, kind="created").update(created_at=at)
        return rec

    def move(rec, to_status, at, comment=""):
        services.recommendation_transition(
            recommendation=rec, actor=admin, to_status=to_status, comment=comment, at=at
        )

    a = create("H-A", _at("2026-02-20"))  # before the report starts
    b = create("H-B", _at("2026-03-03"))
    move(a, "accepted", _at("2026-03-08", 23, 30))  # Sunday night: still week 1
    move(b, "accepted", _at("2026-03-09", 0, 30))  # Monday just after midnight: week 2
    move(b, "in_progress", _at("2026-03-10"))
    move(a, "rejected", _at("2026-03-11"), comment="Trùng")
    c = create("H-C", _at("2026-03-17"))
    move(a, "proposed", _at("2026-03-25"), comment="Xem xét lại")
    return a, b, c


def test_progress_over_time_from_history(history):
    rows = _get("progress-weekly/?weeks=4&until=2026-03-26")
    assert rows == [
        {
            "week_start": "2026-03-02",
            "week_end": "2026-03-08",
            **ZERO,
            "accepted": 1,
            "proposed": 1,
            "total": 2,
        },
        {
            "week_start": "2026-03-09",
            "week_end": "2026-03-15",
            **ZERO,
            "rejected": 1,
            "in_progress": 1,
            "total": 2,
        },
        {
            "week_start": "2026-03-16",
            "week_end": "2026-03-22",
            **ZERO,
            "rejected": 1,
            "in_progress": 1,
            "proposed": 1,
            "total": 3,
        },
        {
            "week_start": "2026-03-23",
            "week_end": "2026-03-29",
            **ZERO,
            "in_progress": 1,
            "proposed": 2,
            "total": 3,
        },
    ]


def test_progress_over_time_before_anything_happened(history):
    rows = _get("progress-weekly/?weeks=2&until=2026-02-10")
    assert [row["total"] for row in rows] == [0, 0]


def test_progress_over_time_defaults_to_twelve_weeks_up_to_now(history):
    rows = _get("progress-weekly/")
    assert len(rows) == 12
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    assert rows[-1]["week_start"] == monday.isoformat()
    # Today's catalogue: every item is in the status it has now.
    current = {s: Recommendation.objects.filter(status=s).count() for s in ZERO}
    assert {s: rows[-1][s] for s in ZERO} == current


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("weeks=0", "weeks"),
        ("weeks=105", "weeks"),
        ("weeks=many", "weeks"),
        ("until=2026-02-30", "until"),
        ("until=0001-01-01", "until"),
        ("until=9999-12-31", "until"),
    ],
)
def test_progress_parameters_are_validated(query, field):
    response = client_for(reader_user()).get(f"/api/v1/reports/progress-weekly/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_overdue_filter_is_validated():
    response = client_for(reader_user()).get("/api/v1/reports/overdue/?owner_organization=NOPE")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner_organization"]


# --- Queries ------------------------------------------------------------------------------------------


def _bulk(n: int) -> None:
    orgs = [OrganizationFactory(code=f"O-{i}") for i in range(4)]
    themes = [ThemeFactory(slug=f"t-{i}") for i in range(3)]
    statuses = list(ZERO)
    admin = admin_user()
    for i in range(n):
        rec = RecommendationFactory(
            code=f"N-{i:03d}",
            owner_organization=orgs[i % 4],
            owner=None,
            status=statuses[i % 7],
            due_date=TODAY - (i % 5 - 2) * DAY,
        )
        rec.themes.set(themes[: i % 3])
        HistoryEntry.objects.create(recommendation=rec, kind="created", to_status="proposed", actor=admin)


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_reports_run_a_constant_number_of_queries(report, fmt):
    client = client_for(reader_user())
    counts = []
    for size in (10, 100):
        HistoryEntry.objects.all().delete()
        Recommendation.objects.all().delete()
        _bulk(size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/reports/{report}/?format={fmt}")
        assert response.status_code == 200
        counts.append(len(queries))
    # the token with its user and groups, then one aggregate; two for the weekly report (before,
    # and by week) and for the status counts by organization or source (grouped by id, then the
    # names); the overdue items' page and their count in JSON.
    two_queries = {"progress-weekly", "status-by-organization", "status-by-source"}
    expected = 3 if report in two_queries or (report, fmt) == ("overdue", "json") else 2
    assert counts == [expected, expected]


def test_every_role_reads_reports_and_nobody_else():
    for user in [reader_user(), owner_user(), admin_user()]:
        for report in REPORTS:
            assert client_for(user).get(f"/api/v1/reports/{report}/").status_code == 200
    assert client_for(None).get("/api/v1/reports/overdue/").status_code == 401


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plan")
def test_the_overdue_reports_page_is_read_in_order_from_an_index(catalogue):
    with connection.cursor() as cursor:
        # Sorting a test's handful of rows is cheap; forbid it, so that the plan shows whether an
        # index can give the report's order at all (at 1,000,000 items a sort took 0.3 s).
        cursor.execute("SET LOCAL enable_sort = off")
        plan = selectors.report_overdue(today=TODAY)[:50].explain()
    assert "Index Scan using rec_due_code_idx" in plan
    assert "Sort" not in plan, plan
