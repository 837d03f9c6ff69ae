"""An item's "History" page in the admin: the tracker's own history (``HistoryEntry``: transitions,
check-ins, updates, evidence, whoever made them and however), not Django's ``LogEntry`` list, for
whoever may see the item, in a fixed number of queries, in Vietnamese by default."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from recommendations import roles, services
from recommendations.models import Evidence, HistoryEntry, Recommendation
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    UserFactory,
    admin_user,
    owner_user,
    reader_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_groups():
    # Transactional tests elsewhere flush the groups the migrations made.
    for name in roles.ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


def history_url(rec: Recommendation | int) -> str:
    return reverse("admin:recommendations_recommendation_history", args=[getattr(rec, "pk", rec)])


def cells(html: str) -> list[list[str]]:
    """The history table's rows, each as the text of its cells (tags dropped, spaces collapsed)."""
    body = re.search(r'<div id="change-history".*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert body, "a history table"
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.DOTALL)
    ]


@pytest.fixture
def mofa():
    return OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")


@pytest.fixture
def lan(mofa):
    return owner_user(mofa, first_name="Lan", last_name="Nguyễn Thị")


@pytest.fixture
def worked_on(mofa, lan):
    """An item moved through the workflow, checked in, updated and given evidence by its owner."""
    rec = RecommendationFactory(code="NQ52-01", owner_organization=mofa)
    services.recommendation_transition(
        recommendation=rec, actor=lan, to_status=Status.ACCEPTED, comment="đã giao cho Vụ Thông tin"
    )
    services.recommendation_check_in(recommendation=rec, actor=lan, comment="vẫn đúng kế hoạch")
    services.recommendation_update(recommendation=rec, actor=lan, changes={"progress": 40})
    services.evidence_add(
        recommendation=rec, actor=lan, kind=Evidence.Kind.LINK, url="https://mofa.gov.vn/bao-cao"
    )
    return rec


def test_the_history_page_lists_the_items_own_history_oldest_first(client, worked_on):
    client.force_login(admin_user())
    response = client.get(history_url(worked_on))
    assert response.status_code == 200
    assert "admin/recommendations/recommendation/object_history.html" in [t.name for t in response.templates]
    entries = list(worked_on.history.order_by("created_at", "id"))
    assert [entry.pk for entry, _lines in response.context["rows"]] == [entry.pk for entry in entries]
    times = [date_format(timezone.localtime(entry.created_at), "DATETIME_FORMAT") for entry in entries]
    with translation.override("vi"):
        evidence_label = str(Evidence.Kind.LINK.label)
    assert cells(response.content.decode()) == [
        [
            times[0],
            "Chuyển trạng thái",
            "Mới đề xuất → Đã tiếp nhận",
            "Nguyễn Thị Lan",
            "đã giao cho Vụ Thông tin",
            "—",
        ],
        [times[1], "Xác nhận đúng tiến độ", "—", "Nguyễn Thị Lan", "vẫn đúng kế hoạch", "—"],
        [times[2], "Cập nhật thông tin", "—", "Nguyễn Thị Lan", "—", "Tiến độ (%) : 0% → 40%"],
        [
            times[3],
            "Thêm minh chứng",
            "—",
            "Nguyễn Thị Lan",
            "—",
            f"Minh chứng : #{Evidence.objects.get().pk} ({evidence_label})",
        ],
    ]


def test_the_page_keeps_djangos_title_and_breadcrumbs(client, worked_on):
    client.force_login(admin_user())
    html = client.get(history_url(worked_on)).content.decode()
    assert f"<h1>Lịch sử thay đổi: {worked_on}</h1>" in html
    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.DOTALL).group(1)
    assert reverse("admin:index") in breadcrumbs
    assert reverse("admin:recommendations_recommendation_changelist") in breadcrumbs
    assert reverse("admin:recommendations_recommendation_change", args=[worked_on.pk]) in breadcrumbs
    assert "4 mục" in html  # the count under the table, as on Django's page


def test_the_change_pages_history_button_opens_it(client, worked_on):
    client.force_login(admin_user())
    change = client.get(reverse("admin:recommendations_recommendation_change", args=[worked_on.pk]))
    assert f'href="{history_url(worked_on)}"' in change.content.decode()


def test_the_history_button_and_breadcrumb_read_lich_su_not_djangos_ban_ghi_nho(client, worked_on):
    client.force_login(admin_user())
    change = client.get(reverse("admin:recommendations_recommendation_change", args=[worked_on.pk]))
    button = re.search(r'<a href="[^"]*" class="historylink">(.*?)</a>', change.content.decode())
    assert button is not None and button.group(1) == "Lịch sử"
    html = client.get(history_url(worked_on)).content.decode()
    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.DOTALL).group(1)
    assert "Lịch sử" in breadcrumbs and "Bản ghi nhớ" not in html


def test_an_item_without_history_says_so_in_vietnamese(client):
    client.force_login(admin_user())
    html = client.get(history_url(RecommendationFactory())).content.decode()
    assert "Kiến nghị này chưa có lịch sử." in html
    assert "<tbody>" not in html


def test_the_page_is_in_vietnamese_by_default(client, worked_on):
    client.force_login(admin_user())  # no language chosen: the default, Vietnamese
    html = client.get(history_url(worked_on)).content.decode()
    thead = re.search(r'<div id="change-history".*?<thead>(.*?)</thead>', html, re.DOTALL).group(1)
    headings = re.findall(r'<th scope="col">(.*?)</th>', thead)
    assert headings == ["Thời điểm", "Loại", "Trạng thái", "Người thực hiện", "Ghi chú", "Thay đổi"]
    for english in ("Change history", "Date/time", "Action", "entries", "Status change", "Proposed"):
        assert english not in html


def test_in_english_djangos_words_and_the_labels_are_english(client, worked_on):
    client.force_login(admin_user(preferred_language="en"))
    html = client.get(history_url(worked_on)).content.decode()
    assert f"<h1>Change history: {worked_on}</h1>" in html
    assert "Proposed → Accepted" in html
    assert "4 entries" in html


def test_a_reader_may_open_it(client, worked_on):
    client.force_login(reader_user())
    response = client.get(history_url(worked_on))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 4


def test_an_owner_of_another_organization_may_open_it(client, worked_on):
    client.force_login(owner_user(OrganizationFactory(code="MIC")))
    assert client.get(history_url(worked_on)).status_code == 200


def test_staff_without_a_role_are_refused(client, worked_on):
    client.force_login(UserFactory())  # staff, but in no role group and without permissions
    response = client.get(history_url(worked_on))
    assert response.status_code == 403
    assert "đã giao cho Vụ Thông tin" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, worked_on):
    url = history_url(worked_on)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_an_unknown_item_is_answered_as_django_answers_it(client):
    # Django's history (and change) view: back to the admin's index, with a message, as for an item
    # that does not exist on its change page.
    client.force_login(admin_user())
    missing = client.get(history_url(999999))
    assert (missing.status_code, missing["Location"]) == (302, reverse("admin:index"))
    change = client.get(reverse("admin:recommendations_recommendation_change", args=[999999]))
    assert change["Location"] == missing["Location"]


def test_the_link_opens_the_history_list_filtered_to_this_item(client, worked_on, mofa):
    other = RecommendationFactory(code="MIC-03", owner_organization=mofa)
    services.recommendation_check_in(recommendation=other, actor=admin_user(), comment="khác")
    client.force_login(reader_user())
    html = client.get(history_url(worked_on)).content.decode()
    link = re.search(r'<a href="([^"]+)" id="history-list-link">', html)
    assert link
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    assert sorted(entry.pk for entry in listed.context["cl"].result_list) == sorted(
        worked_on.history.values_list("pk", flat=True)
    )


def check_ins(rec: Recommendation, actor, count: int) -> None:
    for n in range(count):
        services.recommendation_check_in(recommendation=rec, actor=actor, comment=f"lần {n}")


def queries_for(client, rec: Recommendation) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(history_url(rec))
    assert response.status_code == 200
    assert len(response.context["rows"]) == rec.history.count()  # every row shown, with its actor
    return len(captured)


def test_the_page_costs_the_same_queries_for_3_or_30_entries(client, mofa):
    actors = [owner_user(mofa, first_name=f"Người {n}") for n in range(3)]
    short, long = (RecommendationFactory(owner_organization=mofa) for _ in range(2))
    check_ins(short, actors[0], 3)
    for n in range(30):
        check_ins(long, actors[n % 3], 1)  # several people: each row's actor comes with the row
    client.force_login(reader_user())
    queries_for(client, short)  # the session and the user, read once like on any first page
    few, many = queries_for(client, short), queries_for(client, long)
    assert many == few
    assert few <= 10


def test_a_long_history_is_paged_like_djangos(client, mofa):
    rec = RecommendationFactory(owner_organization=mofa)
    start = timezone.now() - datetime.timedelta(days=200)
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            recommendation=rec,
            kind=HistoryEntry.Kind.CHECK_IN,
            comment=f"tuần {n}",
            created_at=start + datetime.timedelta(days=n),
        )
        for n in range(101)
    )
    client.force_login(reader_user())
    first = client.get(history_url(rec))
    assert [entry.comment for entry, _lines in first.context["rows"]][:2] == ["tuần 0", "tuần 1"]
    assert len(first.context["rows"]) == 100
    assert "101 mục" in first.content.decode()
    second = client.get(history_url(rec), {"p": 2})
    assert [entry.comment for entry, _lines in second.context["rows"]] == ["tuần 100"]
