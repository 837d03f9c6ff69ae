"""The admin's edges: hand-edited URLs, refusals of the bulk action, withdrawing twice, a status
change that races another user's, and deleting a theme that items still use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recommendations import services
from recommendations.models import Evidence, HistoryEntry, Recommendation, ReminderDelivery, Theme
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    ThemeFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)
from tests.test_admin import listed_versions

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:recommendations_recommendation_changelist")
EVIDENCE_LIST = reverse("admin:recommendations_evidence_changelist")
THEME_LIST = reverse("admin:recommendations_theme_changelist")

# Words that would betray a raw field name in a message.
RAW_FIELD_NAMES = ("to_status", "version:", "withdrawal_reason", "Withdrawal_reason")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def superuser():
    return UserFactory(is_superuser=True, organization=None)


@pytest.fixture
def mofa():
    return OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")


@pytest.fixture
def items(mofa):
    return {
        code: RecommendationFactory(code=code, owner_organization=mofa)
        for code in ("FPT-01", "NQ52-01", "NQ52-02")
    }


# --- 1. Hand-edited URLs ----------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["abc", "1abc", "-1", "1.0", "abc/def"])
def test_a_non_numeric_id_in_the_admins_own_views_is_a_404(client, items, bad_id):
    client.force_login(admin_user())
    assert client.get(f"{EVIDENCE_LIST}{bad_id}/download/").status_code == 404
    assert client.get(f"{EVIDENCE_LIST}{bad_id}/withdraw/").status_code == 404
    assert client.post(f"{EVIDENCE_LIST}{bad_id}/withdraw/", {"reason": "x"}).status_code == 404
    assert client.get(f"{CHANGELIST}{bad_id}/transition/").status_code == 404
    response = client.post(f"{CHANGELIST}{bad_id}/transition/", {"to_status": "accepted", "version": 1})
    assert response.status_code == 404
    assert set(Recommendation.objects.values_list("status", "version")) == {(Status.PROPOSED, 1)}


def test_a_numeric_id_of_nothing_is_still_a_404_and_real_ids_still_work(client, items):
    client.force_login(admin_user())
    assert client.get(f"{EVIDENCE_LIST}999999/download/").status_code == 404
    assert client.get(f"{EVIDENCE_LIST}999999/withdraw/").status_code == 404
    assert client.post(f"{CHANGELIST}999999/transition/", {"to_status": "accepted"}).status_code == 404
    rec = items["FPT-01"]
    url = reverse("admin:recommendations_recommendation_transition", args=[rec.pk])
    assert url == f"{CHANGELIST}{rec.pk}/transition/"
    assert client.post(url, {"to_status": "accepted", "version": 1}).status_code == 302
    rec.refresh_from_db()
    assert rec.status == Status.ACCEPTED


# --- 2. The bulk action names the item of each refusal -----------------------------------------


def test_each_refusal_of_the_bulk_action_names_its_item(client, items):
    client.force_login(admin_user())
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": [r.pk for r in items.values()],
            "to_status": "rejected",
            "comment": "",
            "apply": "1",
            **listed_versions(items.values()),
        },
        follow=True,
    )
    reason = "Chuyển sang “Không chấp nhận” cần ghi rõ lý do trong phần ghi chú."
    assert messages_of(response) == [f"FPT-01: {reason}", f"NQ52-01: {reason}", f"NQ52-02: {reason}"]
    assert set(Recommendation.objects.values_list("status", "version")) == {(Status.PROPOSED, 1)}
    assert not HistoryEntry.objects.exists()


def test_the_bulk_action_reports_successes_and_named_refusals_together(client, items, mofa):
    mic = OrganizationFactory(code="MIC", name="Bộ Thông tin và Truyền thông")
    other = RecommendationFactory(code="MIC-03", owner_organization=mic)
    client.force_login(owner_user(mofa))
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": [items["FPT-01"].pk, other.pk],
            "to_status": "accepted",
            "comment": "",
            "apply": "1",
            **listed_versions([items["FPT-01"], other]),
        },
        follow=True,
    )
    assert messages_of(response) == [
        "Đã chuyển trạng thái 1 kiến nghị: FPT-01.",
        "MIC-03: Bạn không có quyền thay đổi kiến nghị MIC-03: nó do Bộ Thông tin và Truyền thông chủ trì.",
    ]
    other.refresh_from_db()
    assert (other.status, other.version) == (Status.PROPOSED, 1)


# --- 3. Withdrawing evidence twice ---------------------------------------------------------------


def test_withdrawing_withdrawn_evidence_says_so_without_a_field_name(client, items, mofa):
    user = owner_user(mofa)
    rec = items["FPT-01"]
    evidence = services.evidence_add(recommendation=rec, actor=user, kind="link", url="https://mofa.gov.vn/x")
    withdraw = reverse("admin:recommendations_evidence_withdraw", args=[evidence.pk])
    client.force_login(user)
    page = client.get(withdraw)  # the page opened before someone else withdrew it
    assert page.status_code == 200
    services.evidence_withdraw(evidence=evidence, actor=admin_user(), reason="Nhầm đường dẫn")

    response = client.post(withdraw, {"reason": "Trùng"}, follow=True)

    assert messages_of(response) == ["Minh chứng này đã được rút trước đó."]
    evidence.refresh_from_db()
    assert evidence.withdrawal_reason == "Nhầm đường dẫn"
    assert rec.history.filter(kind=HistoryEntry.Kind.EVIDENCE_WITHDRAWN).count() == 1


# --- 4. A status change that races another user's -------------------------------------------------


@pytest.fixture
def race(client, items, mofa):
    """Lan opens FPT-01 (accepted, version 2); then Minh moves it to in progress (version 3)."""
    minh, lan = owner_user(mofa, username="minh"), owner_user(mofa, username="lan")
    rec = items["FPT-01"]
    services.recommendation_transition(recommendation=rec, actor=minh, to_status=Status.ACCEPTED)
    client.force_login(lan)
    page = client.get(reverse("admin:recommendations_recommendation_change", args=[rec.pk]))
    form = page.context["transition_form"]
    assert form.initial["version"] == 2
    assert "in_progress" in [value for value, _label in form.fields["to_status"].choices]
    services.recommendation_transition(recommendation=rec, actor=minh, to_status=Status.IN_PROGRESS)
    return rec, reverse("admin:recommendations_recommendation_transition", args=[rec.pk])


def assert_unchanged_since_minh(rec: Recommendation) -> None:
    rec.refresh_from_db()
    assert (rec.status, rec.version, rec.history.count()) == (Status.IN_PROGRESS, 3, 2)


def assert_says_reload(messages: list[str]) -> None:
    assert len(messages) == 1, messages
    assert "tải lại" in messages[0], messages
    for raw in (*RAW_FIELD_NAMES, "in_progress", "lựa chọn hợp lệ"):
        assert raw not in messages[0], messages


def test_a_target_no_longer_offered_on_a_stale_page_says_someone_else_changed_the_item(client, race):
    rec, url = race
    response = client.post(url, {"to_status": "in_progress", "comment": "", "version": "2"}, follow=True)
    messages = messages_of(response)
    assert_says_reload(messages)
    assert "đã được người khác cập nhật" in messages[0]
    assert_unchanged_since_minh(rec)


def test_a_target_still_offered_on_a_stale_page_is_refused_the_same_way(client, race):
    rec, url = race
    response = client.post(url, {"to_status": "blocked", "comment": "chờ", "version": "2"}, follow=True)
    messages = messages_of(response)
    assert_says_reload(messages)
    assert "đã được người khác cập nhật" in messages[0]
    assert_unchanged_since_minh(rec)


@pytest.mark.parametrize("version", [None, "", "hai"])
def test_a_transition_without_a_usable_version_asks_to_reload(client, race, version):
    rec, url = race
    data = {"to_status": "blocked", "comment": "chờ"}
    if version is not None:
        data["version"] = version
    response = client.post(url, data, follow=True)
    assert_says_reload(messages_of(response))
    assert_unchanged_since_minh(rec)


def test_a_status_outside_the_workflow_is_refused_without_field_names(client, race):
    rec, url = race
    for data in ({"to_status": "bogus", "version": "3"}, {"version": "3"}):
        messages = messages_of(client.post(url, data, follow=True))
        assert len(messages) == 1, messages
        for raw in (*RAW_FIELD_NAMES, "bogus"):
            assert raw not in messages[0], messages
    assert_unchanged_since_minh(rec)


def test_a_target_not_offered_on_a_current_page_is_refused_by_the_workflow(client, race):
    rec, url = race
    response = client.post(url, {"to_status": "verified", "version": "3"}, follow=True)
    assert messages_of(response) == [
        "Không thể chuyển FPT-01 từ “Đang thực hiện” sang “Đã xác minh”. "
        "Từ “Đang thực hiện” chỉ có thể chuyển sang: Vướng mắc, Đã thực hiện."
    ]
    assert_unchanged_since_minh(rec)


# --- 5. Deleting a theme -------------------------------------------------------------------------


@pytest.fixture
def themes(items):
    used = ThemeFactory(slug="an-ninh-mang", name="An ninh mạng")
    once = ThemeFactory(slug="kinh-te-so", name="Kinh tế số")
    unused = ThemeFactory(slug="chua-dung", name="Chưa dùng")
    items["FPT-01"].themes.add(used, once)
    items["NQ52-01"].themes.add(used)
    return used, once, unused


def theme_rows() -> list[tuple[str, str]]:
    return sorted(Recommendation.themes.through.objects.values_list("recommendation__code", "theme__slug"))


ROWS = [("FPT-01", "an-ninh-mang"), ("FPT-01", "kinh-te-so"), ("NQ52-01", "an-ninh-mang")]


def test_a_theme_in_use_cannot_be_deleted_from_its_page(client, themes):
    used, _once, _unused = themes
    client.force_login(superuser())
    change = reverse("admin:recommendations_theme_change", args=[used.pk])
    delete = reverse("admin:recommendations_theme_delete", args=[used.pk])
    assert delete not in client.get(change).content.decode()  # no "delete" link on its page

    for response in (client.get(delete, follow=True), client.post(delete, {"post": "yes"}, follow=True)):
        assert response.redirect_chain[-1][0] == change
        assert messages_of(response) == [
            "Không thể xoá chủ đề “An ninh mạng”: 2 kiến nghị đang dùng chủ đề này. Hãy bỏ chủ đề "
            "khỏi các kiến nghị đó trước (mỗi thay đổi được ghi vào lịch sử của kiến nghị)."
        ]
    assert Theme.objects.filter(pk=used.pk).exists()
    assert theme_rows() == ROWS
    assert set(Recommendation.objects.values_list("version", flat=True)) == {1}


def test_the_bulk_delete_refuses_if_any_selected_theme_is_in_use(client, themes):
    used, once, unused = themes
    client.force_login(superuser())
    selected = [used.pk, once.pk, unused.pk]
    for data in (
        {"action": "delete_selected", "_selected_action": selected},
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    ):
        response = client.post(THEME_LIST, data, follow=True)
        assert response.redirect_chain == [] or response.redirect_chain[-1][0] == THEME_LIST
        assert messages_of(response) == [
            "Không thể xoá chủ đề “An ninh mạng”: 2 kiến nghị đang dùng chủ đề này. Hãy bỏ chủ đề "
            "khỏi các kiến nghị đó trước (mỗi thay đổi được ghi vào lịch sử của kiến nghị).",
            "Không thể xoá chủ đề “Kinh tế số”: 1 kiến nghị đang dùng chủ đề này. Hãy bỏ chủ đề "
            "khỏi các kiến nghị đó trước (mỗi thay đổi được ghi vào lịch sử của kiến nghị).",
            "Chưa xoá chủ đề nào.",
        ]
    assert Theme.objects.count() == 3
    assert theme_rows() == ROWS


def test_an_unused_theme_can_still_be_deleted(client, themes):
    _used, _once, unused = themes
    client.force_login(superuser())
    delete = reverse("admin:recommendations_theme_delete", args=[unused.pk])
    confirm = client.get(delete)
    assert confirm.status_code == 200
    assert "Recommendation_themes" not in confirm.content.decode()
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Theme.objects.filter(pk=unused.pk).exists()
    assert theme_rows() == ROWS


def test_unused_themes_can_be_deleted_in_bulk(client, themes):
    _used, _once, unused = themes
    spare = ThemeFactory(slug="du-phong", name="Dự phòng")
    client.force_login(superuser())
    offered = client.get(THEME_LIST).context["action_form"].fields["action"].choices
    assert ("delete_selected", "Xóa các chủ đề đã chọn") in offered  # Django's own label
    data = {"action": "delete_selected", "_selected_action": [unused.pk, spare.pk]}
    confirm = client.post(THEME_LIST, data)
    assert confirm.status_code == 200 and "Chưa dùng" in confirm.content.decode()
    client.post(THEME_LIST, {**data, "post": "yes"})
    assert sorted(Theme.objects.values_list("slug", flat=True)) == ["an-ninh-mang", "kinh-te-so"]
    assert theme_rows() == ROWS


def test_evidence_list_is_unaffected(client, items):
    # The catch-all for bad ids must not shadow the evidence admin's own pages.
    client.force_login(admin_user())
    assert client.get(EVIDENCE_LIST).status_code == 200
    assert not Evidence.objects.exists()


def test_the_administrator_role_deletes_unused_themes_but_not_those_in_use(client, themes):
    # The role's group has no delete permission in this app (migration 0002), but themes are
    # reference data the administrators keep: an unused one takes nothing with it.
    used, _once, unused = themes
    client.force_login(admin_user())
    assert (
        client.post(
            reverse("admin:recommendations_theme_delete", args=[unused.pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    assert not Theme.objects.filter(pk=unused.pk).exists()
    refused = client.post(
        reverse("admin:recommendations_theme_delete", args=[used.pk]), {"post": "yes"}, follow=True
    )
    assert [m for m in messages_of(refused) if m.startswith("Không thể xoá chủ đề “An ninh mạng”")]
    assert theme_rows() == ROWS


def test_owners_and_readers_cannot_delete_themes(client, themes):
    _used, _once, unused = themes
    for user in (owner_user(), reader_user()):
        client.force_login(user)
        assert client.get(reverse("admin:recommendations_theme_delete", args=[unused.pk])).status_code == 403
        assert client.get(THEME_LIST).context["action_form"] is None  # no action: nothing to delete with
    assert Theme.objects.filter(pk=unused.pk).exists()


def test_refusals_shown_by_the_admin_never_carry_python_field_names():
    from django.core.exceptions import ValidationError

    from recommendations.admin import _describe

    error = ValidationError({"title": "Quá dài.", "evidence": "Thiếu.", "__all__": "Không lưu được."})
    assert _describe(error, Recommendation) == "Tiêu đề: Quá dài.; Thiếu.; Không lưu được."
    assert _describe(ValidationError({"withdrawal_reason": "Đã rút."})) == "Đã rút."


@pytest.mark.parametrize(("role", "allowed"), [("reader", False), ("owner", False), ("administrator", True)])
def test_only_administrators_see_the_reminder_delivery_log(client, role, allowed):
    """It names every recipient and searches by email address, which others may not look up."""
    recipient = owner_user(email="private.address@example.org")
    delivery = ReminderDelivery.objects.create(
        recipient=recipient, period="2026-W48", kind=ReminderDelivery.Kind.DIGEST
    )
    user = {"reader": reader_user, "owner": owner_user, "administrator": admin_user}[role]()
    client.force_login(user)
    changelist = reverse("admin:recommendations_reminderdelivery_changelist")
    search = client.get(changelist, {"q": "private.address@example.org"})
    detail = client.get(reverse("admin:recommendations_reminderdelivery_change", args=[delivery.pk]))
    index = client.get(reverse("admin:index"))
    assert (search.status_code, detail.status_code) == ((200, 200) if allowed else (403, 403))
    if allowed:
        assert search.context["cl"].result_count == 1
    assert (changelist in index.content.decode()) == allowed
