"""What the weekly emails say: who gets one, how items are grouped, both languages, both formats."""

import datetime
import re

import pytest
from django.utils import timezone

from recommendations import notifications, services
from recommendations.models import ReminderDelivery
from recommendations.notifications import DIGEST, ESCALATION, Outcome
from recommendations.workflow import Status
from tests.factories import RecommendationFactory, owner_user
from tests.reminders_support import PERIOD, make_demo, write_mo

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
SITE = "https://tracker.example.gov.vn"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factories
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "Theo dõi kiến nghị <tracker@example.gov.vn>"
    settings.REMINDER_DUE_SOON_DAYS = 14
    settings.REMINDER_STALE_DAYS = 30
    settings.ESCALATION_OVERDUE_DAYS = 14
    settings.ESCALATION_MISSED_DIGESTS = 3


def codes(groups):
    return {key: [item.code for item in items] for key, items in groups.items()}


def test_digest_groups_each_open_item_once_in_the_first_group_it_fits():
    today = timezone.localdate()
    now = timezone.now()
    owner = owner_user()
    org = owner.organization

    def item(code, **fields):
        fields.setdefault("status", Status.IN_PROGRESS)
        fields.setdefault("last_activity_at", now - DAY)
        return RecommendationFactory(code=code, owner=owner, owner_organization=org, **fields)

    item("O-2", due_date=today - 2 * DAY)
    item("O-1", due_date=today - 1 * DAY, last_activity_at=now - 90 * DAY)  # overdue wins over stale
    item("S-1", due_date=today)
    item("S-2", due_date=today + 14 * DAY, last_activity_at=now - 90 * DAY)  # due soon wins over stale
    item("T-1", due_date=today + 15 * DAY, last_activity_at=now - 31 * DAY)
    item("T-2", due_date=None, last_activity_at=now - 31 * DAY)
    item("R-1", due_date=today + 15 * DAY, last_activity_at=now - 29 * DAY)
    item("R-2", due_date=None, status=Status.PROPOSED)
    item("R-3", due_date=None, status=Status.BLOCKED)
    item("X-1", due_date=today - DAY, status=Status.IMPLEMENTED)
    item("X-2", due_date=today - DAY, status=Status.VERIFIED)
    item("X-3", due_date=today - DAY, status=Status.REJECTED)
    RecommendationFactory(code="X-4", owner=owner_user(org), owner_organization=org, status=Status.ACCEPTED)

    assert codes(notifications.digest_groups(owner, today=today, now=now)) == {
        "overdue": ["O-2", "O-1"],
        "due_soon": ["S-1", "S-2"],
        "stale": ["T-1", "T-2"],
        "other": ["R-1", "R-2", "R-3"],
    }


def test_digest_recipients_are_active_opted_in_owners_of_open_items_with_an_address():
    demo = make_demo(today=timezone.localdate())
    no_address = owner_user(demo.org_b, email="")
    inactive = owner_user(demo.org_b, is_active=False)
    for user in (no_address, inactive):
        RecommendationFactory(owner=user, owner_organization=demo.org_b, status=Status.ACCEPTED)

    assert notifications.digest_recipient_ids() == sorted([demo.lan.pk, demo.john.pk])
    assert notifications.escalation_recipient_ids() == [demo.focal.pk]


def test_owner_with_nothing_open_and_opted_out_owner_get_nothing_and_leave_no_record(mailoutbox):
    demo = make_demo(today=timezone.localdate())

    assert notifications.deliver(kind=DIGEST, recipient_id=demo.binh.pk, period=PERIOD).outcome == (
        Outcome.NOTHING_TO_SEND
    )
    assert notifications.deliver(kind=DIGEST, recipient_id=demo.mai.pk, period=PERIOD).outcome == (
        Outcome.NOT_SUBSCRIBED
    )
    assert notifications.deliver(kind=ESCALATION, recipient_id=demo.lan.pk, period=PERIOD).outcome == (
        Outcome.NOTHING_TO_SEND
    )
    assert mailoutbox == []
    assert ReminderDelivery.objects.count() == 0


def test_vietnamese_digest_in_text_and_html_lists_each_item_with_its_links(mailoutbox):
    demo = make_demo(today=timezone.localdate())
    today = timezone.localdate()
    demo.items["A-02"].title = "Sắp đến hạn <b>& khẩn</b>"
    demo.items["A-02"].save(update_fields=["title"])

    result = notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)

    assert result.outcome == Outcome.SENT
    [message] = mailoutbox
    delivery = ReminderDelivery.objects.get()
    assert message.to == ["lan@example.org"]
    assert message.from_email == "Theo dõi kiến nghị <tracker@example.gov.vn>"
    assert (
        message.subject == "[Theo dõi kiến nghị] Tuần 7 (09/02–15/02/2026): 4 kiến nghị bạn phụ trách đang mở"
    )
    assert message.extra_headers["Message-ID"] == delivery.message_id
    assert delivery.message_id == f"<reminder.digest.2026-W07.{demo.lan.pk}@example.gov.vn>"
    text = message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"

    assert text.startswith("Kính gửi Nguyễn Lan,")
    headings = re.findall(r"^== (.+) ==$", text, flags=re.MULTILINE)
    assert headings == [
        "Quá hạn (1)",
        "Đến hạn trong 14 ngày tới (1)",
        "Chưa cập nhật trong 30 ngày (1)",
        "Các kiến nghị khác đang mở (1)",
    ]
    assert re.findall(r"^\* (\S+) — (.+)$", text, flags=re.MULTILINE) == [
        ("A-01", "Quá hạn lâu"),
        ("A-02", "Sắp đến hạn <b>& khẩn</b>"),
        ("A-03", "Lâu không cập nhật"),
        ("A-04", "Bình thường"),
    ]
    assert f"Trạng thái: Đang thực hiện | Hạn hoàn thành: {today - 20 * DAY:%d/%m/%Y}\n" in text
    assert "Trạng thái: Đã tiếp nhận | Hạn hoàn thành: chưa có" in text
    for item in ("A-01", "A-02", "A-03", "A-04"):
        pk = demo.items[item].pk
        admin_url = f"{SITE}/admin/recommendations/recommendation/{pk}/change/"
        assert f"Xem và cập nhật: {admin_url}" in text
        assert f'<a href="{admin_url}">{item}</a>' in html
    check_in_urls = re.findall(
        r"^  Xác nhận đúng tiến độ, không có thay đổi: (\S+)$", text, flags=re.MULTILINE
    )
    assert len(check_in_urls) == 4
    assert all(url.startswith(f"{SITE}/check-in/") for url in check_in_urls)
    link = notifications.read_check_in_token(check_in_urls[0].removeprefix(f"{SITE}/check-in/").strip("/"))
    assert link == notifications.CheckInLink(delivery.pk, demo.items["A-01"].pk, demo.lan.pk)
    assert "A-05" not in text and "Đã xong" not in text

    assert html.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert "Sắp đến hạn &lt;b&gt;&amp; khẩn&lt;/b&gt;" in html
    assert "<b>& khẩn</b>" not in html
    assert html.count('">Xác nhận đúng tiến độ</a>') == 4
    assert "Đến hạn trong 14 ngày tới (1)" in html


def test_english_digest_uses_the_english_catalogue_and_english_titles(mailoutbox, settings, tmp_path):
    demo = make_demo(today=timezone.localdate())
    write_mo(
        tmp_path / "en" / "LC_MESSAGES" / "django.mo",
        {
            "[Theo dõi kiến nghị] Tuần %(period)s: %(counter)s kiến nghị bạn phụ trách đang mở\x00"
            "[Theo dõi kiến nghị] Tuần %(period)s: %(counter)s kiến nghị bạn phụ trách đang mở": (
                "[Recommendation tracker] Week %(period)s: %(counter)s open recommendation you own\x00"
                "[Recommendation tracker] Week %(period)s: %(counter)s open recommendations you own"
            ),
            "Kính gửi %(name)s,": "Dear %(name)s,",
            "Đến hạn trong %(days)s ngày tới": "Due in the next %(days)s days",
            "Đang thực hiện": "In progress",
            "Trạng thái": "Status",
        },
    )
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]

    notifications.deliver(kind=DIGEST, recipient_id=demo.john.pk, period=PERIOD)
    notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)

    english, vietnamese = mailoutbox
    assert english.to == ["john@example.org"]
    assert (
        english.subject
        == "[Recommendation tracker] Week 7 (9 Feb – 15 Feb 2026): 1 open recommendation you own"
    )
    assert english.body.startswith("Dear Phạm Minh,")
    assert "== Due in the next 14 days (1) ==" in english.body
    assert "* B-01 — Open a data centre" in english.body
    assert "Status: In progress |" in english.body
    [(html, _mimetype)] = english.alternatives
    assert '<html lang="en">' in html
    assert "<td>Open a data centre</td>" in html and "<td>In progress</td>" in html
    # The Vietnamese owner, sent right after, still gets Vietnamese: the language does not leak.
    assert (
        vietnamese.subject
        == "[Theo dõi kiến nghị] Tuần 7 (09/02–15/02/2026): 4 kiến nghị bạn phụ trách đang mở"
    )
    assert vietnamese.body.startswith("Kính gửi Nguyễn Lan,")


def test_escalation_lists_items_long_overdue_or_ignored_for_several_digests():
    today = timezone.localdate()
    now = timezone.now()
    demo = make_demo(today=today, now=now)
    org = demo.org_a

    def rec(code, **fields):
        fields.setdefault("status", Status.IN_PROGRESS)
        fields.setdefault("owner", demo.lan)
        return RecommendationFactory(code=code, owner_organization=org, **fields)

    rec("E-14", due_date=today - 14 * DAY)  # overdue by exactly the limit: not yet
    rec("E-IGN", due_date=None, last_activity_at=now - 40 * DAY)
    checked_in = rec("E-CHK", due_date=None, last_activity_at=now - 40 * DAY)
    rec("E-TWO", due_date=None, last_activity_at=now - 40 * DAY, owner=demo.focal)
    for week in ("2026-W04", "2026-W05", "2026-W06", "2026-W07", "2026-W08"):
        for owner in (demo.lan, demo.focal):
            delivery = services.reminder_delivery_claim(recipient=owner, period=week, kind=DIGEST)
            services.reminder_delivery_mark_sent(delivery=delivery, now=now - 20 * DAY)
    services.reminder_delivery_mark_failed(
        delivery=services.reminder_delivery_claim(recipient=demo.focal, period="2026-W03", kind=DIGEST),
        error="SMTPServerDisconnected",
    )
    ReminderDelivery.objects.filter(recipient=demo.focal, period="2026-W06").delete()
    # E-IGN: three digests of earlier weeks went out after its last activity. E-CHK: the same, but
    # its owner checked in since. E-TWO: its owner got only two (a failed one does not count).
    # Digests of this week and later never count, whatever order the tasks run in.
    services.recommendation_check_in(recommendation=checked_in, actor=demo.lan)

    items = notifications.escalation_items(demo.focal, period=PERIOD, today=today)

    assert [(i.code, i.missed_digests) for i in items] == [("A-01", 0), ("A-03", 3), ("E-IGN", 3)]
    assert notifications.escalation_items(demo.lan, period=PERIOD, today=today) == []


def test_an_english_escalation_names_organizations_in_english(mailoutbox):
    demo = make_demo(today=timezone.localdate())
    demo.org_a.name_en = "Ministry of Foreign Affairs"
    demo.org_a.save(update_fields=["name_en"])
    demo.focal.preferred_language = "en"
    demo.focal.save(update_fields=["preferred_language"])

    notifications.deliver(kind=ESCALATION, recipient_id=demo.focal.pk, period=PERIOD)

    [message] = mailoutbox
    assert "== Ministry of Foreign Affairs (1) ==" in message.body
    assert "Bộ Ngoại giao" not in message.body
    [(html, _mimetype)] = message.alternatives
    assert "Ministry of Foreign Affairs" in html and "Bộ Ngoại giao" not in html


def test_escalation_email_goes_to_the_focal_person_with_reasons(mailoutbox):
    demo = make_demo(today=timezone.localdate())

    result = notifications.deliver(kind=ESCALATION, recipient_id=demo.focal.pk, period=PERIOD)

    assert result.outcome == Outcome.SENT
    [message] = mailoutbox
    assert message.to == ["focal@example.org"]
    assert (
        message.subject
        == "[Theo dõi kiến nghị] Báo cáo đôn đốc tuần 7 (09/02–15/02/2026): 1 kiến nghị cần chú ý"
    )
    assert "== Bộ Ngoại giao (1) ==" in message.body
    assert "* A-01 — Quá hạn lâu" in message.body
    assert "Người phụ trách: Nguyễn Lan" in message.body
    assert "Lý do: quá hạn 20 ngày" in message.body
    assert "check-in" not in message.body
    delivery = ReminderDelivery.objects.get()
    assert (delivery.recipient, delivery.kind, delivery.state, delivery.item_count) == (
        demo.focal,
        ESCALATION,
        ReminderDelivery.State.SENT,
        1,
    )


def test_period_parsing():
    assert notifications.iso_period(datetime.date(2026, 2, 11)) == "2026-W07"
    assert notifications.iso_period(datetime.date(2027, 1, 1)) == "2026-W53"
    assert notifications.parse_period(" 2026-W07 ") == "2026-W07"
    for bad in ("2026-7", "2026-W7", "2025-W53", "2026-W00", "W07-2026"):
        with pytest.raises(ValueError):
            notifications.parse_period(bad)
