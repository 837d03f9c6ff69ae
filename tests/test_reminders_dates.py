"""The weekly emails show the week and the due dates as people read them, in the recipient's language
(Vietnamese "Tuần 48 (23/11–29/11/2026)" and "31/12/2026", English "Week 48 (23 Nov – 29 Nov 2026)"
and "31 Dec 2026"), while the delivery row keeps the ISO week ``YYYY-Www`` as its key.

English is checked against the shipped catalogue: the templates' msgids did not change, so its
existing translations ("Week %(period)s …") still apply."""

import datetime

import pytest
from django.utils import timezone

from recommendations import notifications
from recommendations.models import ReminderDelivery
from recommendations.notifications import DIGEST, ESCALATION, Outcome
from recommendations.workflow import Status
from tests.factories import RecommendationFactory, owner_user

pytestmark = pytest.mark.django_db

SITE = "https://tracker.example.gov.vn"
WEEK_48 = "2026-W48"  # Monday 23 November to Sunday 29 November 2026
WEEK_1 = "2026-W01"  # Monday 29 December 2025 to Sunday 4 January 2026


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factories
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Theo dõi kiến nghị <tracker@example.gov.vn>"
    settings.ESCALATION_OVERDUE_DAYS = 14


def owner_with_items(language, *, email):
    """An owner with three open items: due 31/12/2026, due 05/01/2027 and without a due date."""
    owner = owner_user(email=email, first_name="Lan", last_name="Nguyễn")
    owner.preferred_language = language
    owner.save(update_fields=["preferred_language"])
    for code, due_date in [
        ("D-1", datetime.date(2026, 12, 31)),
        ("D-2", datetime.date(2027, 1, 5)),
        ("D-3", None),
    ]:
        RecommendationFactory(
            code=code,
            owner=owner,
            owner_organization=owner.organization,
            status=Status.IN_PROGRESS,
            due_date=due_date,
            last_activity_at=timezone.now(),
        )
    return owner


def focal_person_with_an_overdue_item(language):
    """A focal person whose organization has one item long overdue (due 05/03/2025)."""
    focal = owner_user(email="focal@example.org")
    focal.preferred_language = language
    focal.save(update_fields=["preferred_language"])
    organization = focal.organization
    organization.focal_person = focal
    organization.save(update_fields=["focal_person"])
    RecommendationFactory(
        code="E-1",
        owner=owner_user(organization, first_name="Lan", last_name="Nguyễn"),
        owner_organization=organization,
        status=Status.IN_PROGRESS,
        due_date=datetime.date(2025, 3, 5),
    )
    return focal


def sent(mailoutbox, *, kind, recipient, period):
    result = notifications.deliver(kind=kind, recipient_id=recipient.pk, period=period)
    assert result.outcome == Outcome.SENT
    [message] = mailoutbox
    [(html, _mimetype)] = message.alternatives
    return result, message, html


def test_week_label_is_the_week_number_and_its_monday_to_sunday():
    assert notifications.week_label(WEEK_48, "vi") == "48 (23/11–29/11/2026)"
    assert notifications.week_label(WEEK_48, "en") == "48 (23 Nov – 29 Nov 2026)"
    assert notifications.week_label("2026-W07", "vi") == "7 (09/02–15/02/2026)"
    assert notifications.week_label("2026-W07", "en") == "7 (9 Feb – 15 Feb 2026)"
    # Weeks that span two years name both.
    assert notifications.week_label(WEEK_1, "vi") == "1 (29/12/2025–04/01/2026)"
    assert notifications.week_label(WEEK_1, "en") == "1 (29 Dec 2025 – 4 Jan 2026)"
    assert notifications.week_label("2026-W53", "vi") == "53 (28/12/2026–03/01/2027)"
    with pytest.raises(ValueError):
        notifications.week_label("2025-W53", "vi")


def test_dates_read_day_first_in_vietnamese_and_with_the_month_abbreviated_in_english():
    vietnamese, english = notifications.date_formatter("vi"), notifications.date_formatter("en")
    months = [datetime.date(2026, month, 1) for month in range(1, 13)]

    assert [vietnamese(day) for day in months] == [f"01/{month:02d}/2026" for month in range(1, 13)]
    assert [english(day) for day in months] == [
        f"1 {name} 2026"
        for name in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    ]
    assert vietnamese(datetime.date(2026, 12, 31)) == "31/12/2026"
    assert english(datetime.date(2026, 12, 31)) == "31 Dec 2026"
    assert english(datetime.date(2026, 12, 31)) == "31 Dec 2026"  # the same text on a second call


def test_vietnamese_digest_shows_the_week_and_due_dates_as_people_read_them(mailoutbox):
    owner = owner_with_items("vi", email="lan@example.org")

    result, message, html = sent(mailoutbox, kind=DIGEST, recipient=owner, period=WEEK_48)

    subject = "[Theo dõi kiến nghị] Tuần 48 (23/11–29/11/2026): 3 kiến nghị bạn phụ trách đang mở"
    assert message.subject == result.subject == subject
    assert "Tuần 48 (23/11–29/11/2026), bạn đang phụ trách 3 kiến nghị chưa hoàn thành." in message.body
    assert "Trạng thái: Đang thực hiện | Hạn hoàn thành: 31/12/2026\n" in message.body
    assert "Trạng thái: Đang thực hiện | Hạn hoàn thành: 05/01/2027\n" in message.body
    assert "Trạng thái: Đang thực hiện | Hạn hoàn thành: chưa có\n" in message.body
    assert "<title>Nhắc việc tuần 48 (23/11–29/11/2026)</title>" in html
    assert "Tuần 48 (23/11–29/11/2026), bạn đang phụ trách 3 kiến nghị chưa hoàn thành." in html
    assert "<td>Đang thực hiện</td><td>31/12/2026</td>" in html
    assert "<td>Đang thực hiện</td><td>05/01/2027</td>" in html
    assert "<td>Đang thực hiện</td><td>chưa có</td>" in html
    for machine_format in ("2026-W48", "2026-12-31", "2027-01-05"):
        assert machine_format not in message.subject + message.body + html
    # The week stays the delivery's key, in ISO form.
    delivery = ReminderDelivery.objects.get()
    assert (delivery.period, delivery.subject) == (WEEK_48, subject)
    assert delivery.message_id == f"<reminder.digest.2026-W48.{owner.pk}@example.gov.vn>"


def test_english_digest_shows_the_week_and_due_dates_in_english(mailoutbox):
    owner = owner_with_items("en", email="john@example.org")

    result, message, html = sent(mailoutbox, kind=DIGEST, recipient=owner, period=WEEK_48)

    subject = "[Recommendation Tracker] Week 48 (23 Nov – 29 Nov 2026): 3 open recommendations you own"
    assert message.subject == result.subject == subject
    assert "Week 48 (23 Nov – 29 Nov 2026): you own 3 recommendations that are not yet complete." in (
        message.body
    )
    assert "Status: In progress | Due date: 31 Dec 2026\n" in message.body
    assert "Status: In progress | Due date: 5 Jan 2027\n" in message.body
    assert "Status: In progress | Due date: not set\n" in message.body
    assert "<title>Reminders for week 48 (23 Nov – 29 Nov 2026)</title>" in html
    assert "<td>In progress</td><td>31 Dec 2026</td>" in html
    assert "<td>In progress</td><td>5 Jan 2027</td>" in html
    assert "<td>In progress</td><td>not set</td>" in html
    for machine_format in ("2026-W48", "2026-12-31", "2027-01-05"):
        assert machine_format not in message.subject + message.body + html
    assert ReminderDelivery.objects.get().period == WEEK_48


def test_vietnamese_escalation_shows_the_week_and_due_dates_as_people_read_them(mailoutbox):
    focal = focal_person_with_an_overdue_item("vi")

    _result, message, html = sent(mailoutbox, kind=ESCALATION, recipient=focal, period=WEEK_48)

    assert message.subject == (
        "[Theo dõi kiến nghị] Báo cáo đôn đốc tuần 48 (23/11–29/11/2026): 1 kiến nghị cần chú ý"
    )
    assert "Tuần 48 (23/11–29/11/2026), 1 kiến nghị của đơn vị do bạn làm đầu mối cần được đôn đốc." in (
        message.body
    )
    assert "Trạng thái: Đang thực hiện | Hạn hoàn thành: 05/03/2025 | Người phụ trách: Nguyễn Lan\n" in (
        message.body
    )
    assert "<title>Báo cáo đôn đốc tuần 48 (23/11–29/11/2026)</title>" in html
    assert "<td>Đang thực hiện</td><td>05/03/2025</td>" in html
    assert "2026-W48" not in message.subject + message.body + html
    assert "2025-03-05" not in message.body + html
    delivery = ReminderDelivery.objects.get()
    assert (delivery.kind, delivery.period) == (ESCALATION, WEEK_48)


def test_english_escalation_shows_the_week_and_due_dates_in_english(mailoutbox):
    focal = focal_person_with_an_overdue_item("en")

    _result, message, html = sent(mailoutbox, kind=ESCALATION, recipient=focal, period=WEEK_48)

    assert message.subject == (
        "[Recommendation Tracker] Escalation report for week 48 (23 Nov – 29 Nov 2026): "
        "1 recommendation needs attention"
    )
    assert "Week 48 (23 Nov – 29 Nov 2026): 1 recommendation of the organization" in message.body
    assert "Status: In progress | Due date: 5 Mar 2025 | Owner: Nguyễn Lan\n" in message.body
    assert "<title>Escalation report for week 48 (23 Nov – 29 Nov 2026)</title>" in html
    assert "<td>In progress</td><td>5 Mar 2025</td>" in html
    assert "2026-W48" not in message.subject + message.body + html
    assert "2025-03-05" not in message.body + html
    assert ReminderDelivery.objects.get().period == WEEK_48


@pytest.mark.parametrize(
    ("language", "subject", "body", "title"),
    [
        (
            "vi",
            "[Theo dõi kiến nghị] Tuần 1 (29/12/2025–04/01/2026): 3 kiến nghị bạn phụ trách đang mở",
            "Tuần 1 (29/12/2025–04/01/2026), bạn đang phụ trách 3 kiến nghị chưa hoàn thành.",
            "<title>Nhắc việc tuần 1 (29/12/2025–04/01/2026)</title>",
        ),
        (
            "en",
            "[Recommendation Tracker] Week 1 (29 Dec 2025 – 4 Jan 2026): 3 open recommendations you own",
            "Week 1 (29 Dec 2025 – 4 Jan 2026): you own 3 recommendations that are not yet complete.",
            "<title>Reminders for week 1 (29 Dec 2025 – 4 Jan 2026)</title>",
        ),
    ],
    ids=["vi", "en"],
)
def test_a_week_across_the_new_year_names_both_years(mailoutbox, language, subject, body, title):
    owner = owner_with_items(language, email="owner@example.org")

    _result, message, html = sent(mailoutbox, kind=DIGEST, recipient=owner, period=WEEK_1)

    assert message.subject == subject
    assert body in message.body
    assert title in html and body in html
    assert "2026-W01" not in message.subject + message.body + html
    assert ReminderDelivery.objects.get().period == WEEK_1
