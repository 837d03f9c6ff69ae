"""The digest's one-click check-in link: recorded once by its owner; every misuse refused, nothing
recorded."""

import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from recommendations import notifications, services
from recommendations.errors import DomainError
from recommendations.models import CheckInRedemption, HistoryEntry, Recommendation, ReminderDelivery
from recommendations.notifications import DIGEST
from recommendations.workflow import Status
from tests.factories import owner_user
from tests.reminders_support import PERIOD, make_demo

pytestmark = pytest.mark.django_db

SITE = "https://tracker.example.gov.vn"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factories
    settings.SITE_URL = SITE
    settings.CHECK_IN_LINK_MAX_AGE_DAYS = 14


@pytest.fixture
def digest(mailoutbox):
    """Lan's digest, sent: the demo data and the check-in paths it carries, by item code."""
    demo = make_demo(today=timezone.localdate())
    notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)
    [message] = mailoutbox
    paths = {}
    for code, url in re.findall(
        r"^\* (\S+) — .*?\n.*?Xác nhận đúng tiến độ, không có thay đổi: (\S+)$",
        message.body,
        flags=re.MULTILINE | re.DOTALL,
    ):
        paths[code] = url.removeprefix(SITE)
    assert sorted(paths) == ["A-01", "A-02", "A-03", "A-04"]
    return demo, paths, ReminderDelivery.objects.get()


def snapshot(recommendation):
    """Everything a refused check-in must leave untouched."""
    row = Recommendation.objects.get(pk=recommendation.pk)
    return {
        "history": list(HistoryEntry.objects.order_by("id").values_list("id", flat=True)),
        "redemptions": CheckInRedemption.objects.count(),
        "row": (row.status, row.version, row.progress, row.due_date, row.last_activity_at, row.owner_id),
    }


def test_valid_link_shows_a_confirmation_then_records_one_check_in_by_the_owner(digest):
    demo, paths, delivery = digest
    item = demo.items["A-03"]
    before = Recommendation.objects.get(pk=item.pk)
    client = Client()

    page = client.get(paths["A-03"])

    assert page.status_code == 200
    assert "A-03" in page.content.decode() and 'method="post"' in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    assert snapshot(item) == snapshot(before)  # opening the link records nothing

    started = timezone.now()
    done = client.post(paths["A-03"])

    assert done.status_code == 200
    assert "Đã ghi nhận: kiến nghị A-03 vẫn đúng tiến độ" in done.content.decode()
    [entry] = HistoryEntry.objects.filter(recommendation=item, kind=HistoryEntry.Kind.CHECK_IN)
    assert (entry.actor, entry.comment) == (demo.lan, "Đúng tiến độ, không có thay đổi.")
    after = Recommendation.objects.get(pk=item.pk)
    assert after.last_activity_at == entry.created_at
    assert after.last_activity_at >= started
    assert (after.status, after.version, after.progress, after.due_date, after.owner_id) == (
        before.status,
        before.version,
        before.progress,
        before.due_date,
        before.owner_id,
    )
    assert list(
        CheckInRedemption.objects.values_list("delivery_id", "recommendation_id", "history_entry_id")
    ) == [(delivery.pk, item.pk, entry.pk)]
    # The 'not updated' group no longer holds it.
    assert [r.code for r in notifications.digest_groups(demo.lan)["stale"]] == []


def test_a_used_link_is_refused_and_records_nothing_more(digest):
    demo, paths, _delivery = digest
    client = Client()
    assert client.post(paths["A-01"]).status_code == 200
    before = snapshot(demo.items["A-01"])

    again = client.post(paths["A-01"])
    opened = client.get(paths["A-01"])

    assert again.status_code == 409 and opened.status_code == 409
    assert "đã được dùng" in again.content.decode()
    assert snapshot(demo.items["A-01"]) == before
    # Each item's link is separate: another item of the same digest still works.
    assert client.post(paths["A-02"]).status_code == 200


def test_an_expired_link_is_refused_and_records_nothing(digest, monkeypatch):
    demo, _paths, delivery = digest
    item = demo.items["A-02"]
    fifteen_days_ago = int(time.time()) - 15 * 24 * 3600
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(fifteen_days_ago)
    )
    token = notifications.check_in_token(
        delivery_id=delivery.pk, recommendation_id=item.pk, user_id=demo.lan.pk
    )
    monkeypatch.undo()
    before = snapshot(item)

    for response in (Client().get(f"/check-in/{token}/"), Client().post(f"/check-in/{token}/")):
        assert response.status_code == 410
        assert "đã hết hạn" in response.content.decode()
    assert snapshot(item) == before


def test_a_tampered_or_foreign_link_is_refused_and_records_nothing(digest):
    demo, paths, delivery = digest
    item = demo.items["A-02"]
    token = paths["A-02"].split("/")[2]
    payload, _timestamp, _signature = token.rsplit(":", 2)
    other_item = signing.dumps(  # someone edits the item id, keeping the old signature
        {"d": delivery.pk, "r": demo.items["A-01"].pk, "u": demo.lan.pk}, salt=notifications.CHECK_IN_SALT
    ).split(":")[0]
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.replace(payload, other_item),
        token[: len(token) // 2],
        signing.dumps({"d": delivery.pk, "r": item.pk, "u": demo.lan.pk}),  # not our salt
        signing.dumps({"x": 1}, salt=notifications.CHECK_IN_SALT),  # ours, but not a check-in
    ]
    before = snapshot(item)

    for bad in forged:
        for response in (Client().get(f"/check-in/{bad}/"), Client().post(f"/check-in/{bad}/")):
            assert response.status_code == 400, bad
            assert "không hợp lệ" in response.content.decode()
    assert snapshot(item) == before


def test_a_link_used_while_signed_in_as_someone_else_is_refused(digest):
    demo, paths, _delivery = digest
    item = demo.items["A-04"]
    colleague = Client()
    colleague.force_login(demo.focal)
    before = snapshot(item)

    for response in (colleague.get(paths["A-04"]), colleague.post(paths["A-04"])):
        assert response.status_code == 403
        assert "Nguyễn Lan" in response.content.decode()
    assert snapshot(item) == before

    owner = Client()
    owner.force_login(demo.lan)
    assert owner.post(paths["A-04"]).status_code == 200


def test_a_link_for_an_item_now_owned_by_someone_else_or_closed_is_refused(digest):
    demo, paths, _delivery = digest
    reassigned, closed = demo.items["A-01"], demo.items["A-04"]
    Recommendation.objects.filter(pk=reassigned.pk).update(owner=owner_user(demo.org_a))
    Recommendation.objects.filter(pk=closed.pk).update(status=Status.REJECTED)
    before = (snapshot(reassigned), snapshot(closed))

    refused_owner = Client().post(paths["A-01"])
    refused_closed = Client().post(paths["A-04"])

    assert refused_owner.status_code == 403
    assert "không còn là người phụ trách" in refused_owner.content.decode()
    assert refused_closed.status_code == 409
    assert "đã đóng" in refused_closed.content.decode()
    assert (snapshot(reassigned), snapshot(closed)) == before


def test_after_moving_to_another_organization_the_old_items_are_neither_listed_nor_confirmed(digest):
    """Lan moves to organization B: she can no longer update A's items, so her links to them are
    refused and her next digest no longer lists them."""
    demo, paths, _delivery = digest
    item = demo.items["A-02"]
    demo.lan.organization = demo.org_b
    demo.lan.save(update_fields=["organization"])
    before = snapshot(item)

    refused = Client().post(paths["A-02"])

    assert refused.status_code == 403
    assert "không còn là người phụ trách" in refused.content.decode()
    assert snapshot(item) == before
    assert demo.lan.pk not in notifications.digest_recipient_ids()
    assert all(not items for items in notifications.digest_groups(demo.lan).values())
    assert all(not items for items in notifications.digest_groups(demo.lan.pk).values())


def test_the_confirmation_form_is_csrf_protected(digest):
    demo, paths, _delivery = digest
    client = Client(enforce_csrf_checks=True)
    before = snapshot(demo.items["A-02"])

    assert client.post(paths["A-02"]).status_code == 403  # no token: a cross-site form cannot do it
    assert snapshot(demo.items["A-02"]) == before

    client.get(paths["A-02"])
    response = client.post(paths["A-02"], {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 200
    assert HistoryEntry.objects.filter(recommendation=demo.items["A-02"], kind="check_in").count() == 1


def test_redeeming_twice_through_the_service_keeps_one_check_in(digest):
    demo, _paths, delivery = digest
    item = demo.items["A-02"]

    services.check_in_redeem(delivery=delivery, recommendation=item, actor=demo.lan)
    with pytest.raises(DomainError) as refused:
        services.check_in_redeem(delivery=delivery.pk, recommendation=item.pk, actor=demo.lan)

    assert refused.value.code == "check_in_used"
    assert HistoryEntry.objects.filter(recommendation=item, kind="check_in").count() == 1
    assert CheckInRedemption.objects.count() == 1


def test_a_link_to_an_escalation_or_another_persons_digest_is_refused(digest):
    demo, _paths, delivery = digest
    item = demo.items["A-02"]
    escalation = services.reminder_delivery_claim(recipient=demo.lan, period=PERIOD, kind="escalation")
    other_digest = services.reminder_delivery_claim(recipient=demo.focal, period=PERIOD, kind=DIGEST)
    before = snapshot(item)

    for delivery_id in (escalation.pk, other_digest.pk):
        token = notifications.check_in_token(
            delivery_id=delivery_id, recommendation_id=item.pk, user_id=demo.lan.pk
        )
        assert Client().post(f"/check-in/{token}/").status_code == 403
    missing = notifications.check_in_token(
        delivery_id=delivery.pk + 100, recommendation_id=item.pk, user_id=demo.lan.pk
    )
    assert Client().get(f"/check-in/{missing}/").status_code == 404
    assert snapshot(item) == before


def test_the_confirmation_page_is_in_the_owners_language_title_included(digest):
    demo, paths, _delivery = digest
    item = demo.items["A-03"]
    Recommendation.objects.filter(pk=item.pk).update(title_en="Cooperation on digital skills")
    demo.lan.preferred_language = "en"
    demo.lan.save(update_fields=["preferred_language"])

    page = Client().get(paths["A-03"]).content.decode()

    assert '<html lang="en">' in page
    assert "<dt>Title</dt><dd>Cooperation on digital skills</dd>" in page
    assert item.title not in page
    Recommendation.objects.filter(pk=item.pk).update(title_en="")
    assert f"<dd>{item.title}</dd>" in Client().get(paths["A-03"]).content.decode()
