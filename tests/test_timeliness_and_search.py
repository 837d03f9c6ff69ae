"""Timeliness derived from due and completion dates (in Python and in SQL alike), and search
normalisation."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from recommendations.models import Recommendation, compute_timeliness
from recommendations.search import normalize_for_search
from recommendations.selectors import recommendation_list, timeliness_filter
from recommendations.workflow import Status, Timeliness
from tests.factories import RecommendationFactory

TODAY = datetime.date(2026, 11, 23)
TZ = timezone.get_fixed_timezone(7 * 60)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


CASES = [
    # (status, due, completed, expected)
    (Status.IN_PROGRESS, TODAY, None, Timeliness.IN_TIME),
    (Status.IN_PROGRESS, TODAY - datetime.timedelta(days=1), None, Timeliness.OVERDUE),
    (Status.PROPOSED, None, None, Timeliness.IN_TIME),
    (Status.BLOCKED, TODAY - datetime.timedelta(days=30), None, Timeliness.OVERDUE),
    (Status.IMPLEMENTED, TODAY, at(TODAY, 23), Timeliness.DONE_ON_TIME),
    (Status.IMPLEMENTED, TODAY - datetime.timedelta(days=1), at(TODAY, 0), Timeliness.DONE_LATE),
    (
        Status.VERIFIED,
        TODAY - datetime.timedelta(days=10),
        at(TODAY - datetime.timedelta(days=12)),
        Timeliness.DONE_ON_TIME,
    ),
    (Status.VERIFIED, None, at(TODAY), Timeliness.DONE_ON_TIME),
    (Status.REJECTED, TODAY - datetime.timedelta(days=10), None, None),
]


@pytest.mark.parametrize(("status", "due", "completed", "expected"), CASES)
def test_compute_timeliness(status, due, completed, expected):
    assert compute_timeliness(status=status, due_date=due, completed_at=completed, today=TODAY) == expected


@pytest.mark.django_db
def test_sql_annotation_and_filters_agree_with_python():
    for index, (status, due, completed, _expected) in enumerate(CASES):
        RecommendationFactory(code=f"T-{index:02d}", status=status, due_date=due, completed_at=completed)
    annotated = {r.code: r.timeliness_value for r in recommendation_list(today=TODAY)}
    assert annotated == {f"T-{i:02d}": (c[3].value if c[3] else None) for i, c in enumerate(CASES)}
    for value in Timeliness.values:
        filtered = set(
            Recommendation.objects.filter(timeliness_filter(value, today=TODAY)).values_list(
                "code", flat=True
            )
        )
        assert filtered == {code for code, v in annotated.items() if v == value}


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ngoại giao SỐ", "ngoai giao so"),
        ("Đẩy mạnh  đối ngoại\n", "day manh doi ngoai"),
        ("ĐIỀU TRA SỐ", "dieu tra so"),
        ("Nghị quyết 52-NQ/TW", "nghi quyet 52-nq/tw"),
        ("Chuyển đổi số", "chuyen doi so"),
    ],
)
def test_normalize_for_search(text, folded):
    assert normalize_for_search(text) == folded


def test_normalize_is_stable_across_unicode_forms():
    import unicodedata

    composed = unicodedata.normalize("NFC", "ngoại giao số")
    decomposed = unicodedata.normalize("NFD", "ngoại giao số")
    assert composed != decomposed
    assert normalize_for_search(composed) == normalize_for_search(decomposed) == "ngoai giao so"
