"""History as staff read it in the admin: each change labelled, old → new, never raw JSON."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from recommendations import services
from recommendations.history import change_lines
from recommendations.models import HistoryEntry
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    ThemeFactory,
    admin_user,
    owner_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def updated():
    """An item whose title, due date, priority, progress, owner and themes were changed."""
    mofa = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")
    rec = RecommendationFactory(
        code="NQ52-02", owner_organization=mofa, due_date=datetime.date(2026, 12, 31), priority="medium"
    )
    rec.themes.set([ThemeFactory(slug="an-ninh-mang", name="An ninh mạng")])
    owner = owner_user(mofa, first_name="Lan", last_name="Nguyễn")
    services.recommendation_update(
        recommendation=rec,
        actor=owner,
        changes={
            "title": "Tiêu đề mới",
            "due_date": datetime.date(2027, 6, 30),
            "priority": "high",
            "progress": 40,
            "owner": owner,
        },
        themes=[ThemeFactory(slug="chuyen-doi-so", name="Chuyển đổi số")],
        comment="điều chỉnh kế hoạch",
    )
    return rec, rec.history.get(kind=HistoryEntry.Kind.UPDATED), owner


def test_an_update_reads_as_labelled_old_and_new_values(updated):
    rec, entry, owner = updated
    lines = {line.label: line.text for line in change_lines(entry)}
    assert lines["Hạn hoàn thành"] == "31-12-2026 → 30-06-2027"
    assert lines["Mức ưu tiên"] == f"{rec._meta.get_field('priority').flatchoices[1][1]} → Cao"
    assert lines["Tiến độ (%)"] == "0% → 40%"
    assert lines["Người phụ trách"] == f"— → {owner}"
    assert lines["Tiêu đề"].endswith("→ Tiêu đề mới")
    assert lines["Chủ đề"] == "thêm chuyen-doi-so; bỏ an-ninh-mang"


def test_labels_and_dates_follow_the_readers_language(updated):
    _rec, entry, _owner = updated
    with translation.override("en"):
        lines = {line.label: line.text for line in change_lines(entry)}
    # Day-first in English too (tracker/formats/en), as the dates are typed.
    assert lines["Due date"] == "31/12/2026 → 30/06/2027"
    assert lines["Priority"].endswith("→ High")
    assert lines["Theme"] == "added chuyen-doi-so; removed an-ninh-mang"


def test_evidence_rows_name_the_evidence_and_its_kind():
    rec = RecommendationFactory(code="MIC-01")
    owner = owner_user(rec.owner_organization)
    evidence = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="Đã họp")
    services.evidence_withdraw(evidence=evidence.pk, actor=owner, reason="nhầm")
    added, withdrawn = (
        change_lines(rec.history.get(kind=kind))
        for kind in (HistoryEntry.Kind.EVIDENCE_ADDED, HistoryEntry.Kind.EVIDENCE_WITHDRAWN)
    )
    assert [(line.label, line.text) for line in added] == [("Minh chứng", f"#{evidence.pk} (Ghi chú)")]
    assert [(line.label, line.text) for line in withdrawn] == [("Minh chứng", f"#{evidence.pk}")]


def test_a_field_no_longer_on_the_model_keeps_its_recorded_name():
    rec = RecommendationFactory(code="MIC-02")
    entry = HistoryEntry.objects.create(
        recommendation=rec, kind=HistoryEntry.Kind.UPDATED, changes={"retired_field": ["a", None]}
    )
    assert [(line.label, line.text) for line in change_lines(entry)] == [("retired_field", "a → —")]


def test_the_change_page_and_the_history_page_show_the_lines_not_json(client, updated):
    rec, entry, _owner = updated
    client.force_login(admin_user())
    for url in (
        reverse("admin:recommendations_recommendation_change", args=[rec.pk]),
        reverse("admin:recommendations_historyentry_change", args=[entry.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<strong>Hạn hoàn thành</strong>: 31-12-2026 → 30-06-2027" in html, url
        assert "&quot;due_date&quot;" not in html and '"due_date":' not in html, url
