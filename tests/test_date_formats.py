"""Dates as people in Vietnam read them, in both languages: day-first, on a 24-hour clock, weeks
from Monday (``tracker/formats``). Django's English would show "June 5, 2027, 2:30 p.m." and, in
short, "06/05/2027", which reads as 6 May beside dates typed day-first."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from recommendations.models import HistoryEntry
from tests.factories import RecommendationFactory, admin_user

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime.date(2027, 6, 5)
MOMENT = datetime.datetime(2027, 6, 5, 14, 30, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("language", "date", "moment", "short", "time"),
    [
        ("en", "5 Jun 2027", "5 Jun 2027, 14:30", "05/06/2027", "14:30"),
        # Django's own Vietnamese formats, unchanged.
        ("vi", "Ngày 05 tháng 6 năm 2027", "14:30 Ngày 05 tháng 6 năm 2027", "05-06-2027", "14:30"),
    ],
)
def test_dates_are_shown_day_first_on_a_24_hour_clock(language, date, moment, short, time):
    with translation.override(language):
        assert formats.date_format(DAY) == date
        assert formats.date_format(MOMENT.replace(tzinfo=None), "DATETIME_FORMAT") == moment
        assert formats.date_format(DAY, "SHORT_DATE_FORMAT") == short
        assert formats.time_format(MOMENT.time()) == time
        # What is shown short is read back as the same day.
        parsed = [
            datetime.datetime.strptime(short, pattern).date()
            for pattern in formats.get_format("DATE_INPUT_FORMATS")
            if _parses(short, pattern)
        ]
        assert parsed == [DAY]


def _parses(text: str, pattern: str) -> bool:
    try:
        datetime.datetime.strptime(text, pattern)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_calendar_week_starts_on_monday(language):
    with translation.override(language):
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


@pytest.mark.django_db
def test_the_english_admin_shows_history_times_day_first():
    item = RecommendationFactory(code="F-1")
    HistoryEntry.objects.create(recommendation=item, kind=HistoryEntry.Kind.CHECK_IN, created_at=MOMENT)
    client = Client()
    client.force_login(admin_user())
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:recommendations_historyentry_changelist")).content.decode()
    assert "5 Jun 2027, 14:30" in page
    assert "June 5, 2027" not in page and "2:30 p.m." not in page
