"""The admin's bulk status change: its confirmation page offers only reachable statuses, with
none chosen in advance."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from recommendations.models import HistoryEntry, Recommendation
from recommendations.workflow import Status, allowed_targets
from tests.factories import RecommendationFactory, admin_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:recommendations_recommendation_changelist")


def status_options(html: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select name="to_status"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, html
    return [
        (value, "selected" in attributes)
        for attributes, value in (
            (m[0], m[1]) for m in re.findall(r'<option([^>]*value="([^"]*)"[^>]*)>', select[1])
        )
    ]


def test_the_confirmation_page_offers_what_the_selected_items_may_move_to_and_chooses_nothing(client):
    proposed = RecommendationFactory(code="B-1", status=Status.PROPOSED)
    in_progress = RecommendationFactory(code="B-2", status=Status.IN_PROGRESS)
    client.force_login(admin_user())
    page = client.post(
        CHANGELIST, {"action": "transition_selected", "_selected_action": [proposed.pk, in_progress.pk]}
    )
    assert page.status_code == 200
    options = status_options(page.content.decode())
    reachable = set(allowed_targets(Status.PROPOSED)) | set(allowed_targets(Status.IN_PROGRESS))
    assert [value for value, _selected in options] == ["", *(s.value for s in Status if s in reachable)]
    # "Mới đề xuất" is reachable from neither: it is not offered, let alone preselected.
    assert Status.PROPOSED.value not in {value for value, _selected in options}
    assert [value for value, selected in options if selected] in ([], [""])


def test_applying_without_a_status_changes_nothing_and_says_what_is_missing(client):
    item = RecommendationFactory(code="B-3", status=Status.PROPOSED)
    client.force_login(admin_user())
    history_before = HistoryEntry.objects.count()
    page = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": [item.pk],
            f"version_{item.pk}": str(item.version),
            "to_status": "",
            "comment": "Đã rà soát",
            "apply": "1",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hãy chọn trạng thái muốn chuyển sang." in html
    assert "Đã rà soát" in html  # the comment typed is kept
    assert Recommendation.objects.get(pk=item.pk).status == Status.PROPOSED
    assert HistoryEntry.objects.count() == history_before


def test_a_status_not_offered_on_the_page_is_still_judged_item_by_item(client):
    item = RecommendationFactory(code="B-4", status=Status.PROPOSED)
    client.force_login(admin_user())
    response = client.post(
        CHANGELIST,
        {
            "action": "transition_selected",
            "_selected_action": [item.pk],
            f"version_{item.pk}": str(item.version),
            "to_status": Status.VERIFIED.value,
            "comment": "",
            "apply": "1",
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("B-4:") and "Không thể chuyển" in m for m in messages), messages
    assert Recommendation.objects.get(pk=item.pk).status == Status.PROPOSED
