"""Loading the catalogue into the database: counts, provenance, owners, idempotency."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from recommendations import services
from recommendations.catalogue import read_catalogue
from recommendations.models import Citation, HistoryEntry, Organization, Recommendation, Theme, User
from recommendations.workflow import Status
from tests.factories import admin_user, owner_user
from tests.test_catalogue_provenance import EXPECTED_CODES, EXPECTED_COUNTS_PER_SOURCE

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("load_catalogue", verbosity=0)


def test_every_item_is_loaded_with_counts_per_document(loaded):
    assert sorted(Recommendation.objects.values_list("code", flat=True)) == sorted(EXPECTED_CODES)
    counts = Counter(Recommendation.objects.values_list("source_document__key", flat=True))
    assert dict(counts) == EXPECTED_COUNTS_PER_SOURCE


def test_items_start_proposed_owned_by_the_addressed_organization_with_a_created_row(loaded):
    assert set(Recommendation.objects.values_list("status", flat=True)) == {Status.PROPOSED}
    assert HistoryEntry.objects.filter(kind="created").count() == len(EXPECTED_CODES)
    nq = Recommendation.objects.get(code="NQ52-01")
    assert nq.owner_organization.code == "MOFA"
    assert nq.source_location == "Thứ nhất"
    mic = Recommendation.objects.get(code="MIC-01")
    assert (mic.proposer_organization.code, "Phan Tâm" in mic.proposer_person) == ("MIC", True)


def test_fields_match_the_catalogue_file(loaded):
    data = {row["code"]: row for row in read_catalogue()["recommendations"]}
    for rec in Recommendation.objects.prefetch_related("themes", "addressed_to", "related"):
        row = data[rec.code]
        assert rec.quote == row["quote"]
        assert rec.source_paragraph == row["paragraph"]
        assert sorted(t.slug for t in rec.themes.all()) == sorted(row["themes"])
        assert sorted(o.code for o in rec.addressed_to.all()) == sorted(row["addressed_to"])
        assert sorted(r.code for r in rec.related.all()) == sorted(row["related"])


def test_repeated_fpt_proposals_are_one_item_with_both_places(loaded):
    fpt = Recommendation.objects.get(code="FPT-01")
    assert Recommendation.objects.filter(code__startswith="FPT-").count() == 3
    places = list(Citation.objects.filter(recommendation=fpt).values_list("paragraph", flat=True))
    assert len(places) == 1 and places[0] != fpt.source_paragraph


def test_fpt_strategy_is_related_to_the_first_nq52_proposal(loaded):
    assert Recommendation.objects.get(code="FPT-01").related.filter(code="NQ52-01").exists()
    assert Recommendation.objects.get(code="NQ52-01").related.filter(code="FPT-01").exists()


def test_reloading_keeps_tracking_data_and_adds_nothing(loaded):
    rec = Recommendation.objects.get(code="NQ52-01")
    owner = owner_user(rec.owner_organization)
    services.recommendation_update(
        recommendation=rec, actor=owner, changes={"owner": owner, "due_date": None}
    )
    services.recommendation_transition(recommendation=rec, actor=owner, to_status=Status.ACCEPTED)
    history_before = HistoryEntry.objects.count()

    call_command("load_catalogue", verbosity=0)

    rec.refresh_from_db()
    assert (rec.status, rec.owner) == (Status.ACCEPTED, owner)
    assert Recommendation.objects.count() == len(EXPECTED_CODES)
    assert HistoryEntry.objects.count() == history_before


def test_loaddemo_gives_a_realistic_tracker(capsys):
    call_command("loaddemo")
    out = capsys.readouterr().out
    demo = User.objects.filter(email__endswith="@example.org").exclude(is_superuser=True)
    assert demo.count() == 9
    owned = Recommendation.objects.filter(owner__isnull=False)
    assert owned.count() == Recommendation.objects.count()
    assert all(r.owner.organization_id == r.owner_organization_id for r in owned.select_related("owner"))
    statuses = set(owned.values_list("status", flat=True))
    assert {
        Status.PROPOSED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.IMPLEMENTED,
        Status.VERIFIED,
        Status.BLOCKED,
    } <= statuses
    overdue = [r for r in owned if r.timeliness == "overdue"]
    assert overdue, "some demo items must be overdue"
    for rec in owned.filter(status__in=[Status.IMPLEMENTED, Status.VERIFIED]):
        assert rec.evidence.exists()
    for rec in owned.filter(status=Status.VERIFIED):
        verifier = rec.history.get(to_status=Status.VERIFIED).actor
        assert verifier != rec.implemented_by
    # The generated password is printed once and differs between runs (never a fixed one).
    assert "password (shown once)" in out
    call_command("loaddemo")
    assert "nothing changed" in capsys.readouterr().out


def test_reloading_keeps_what_staff_edited(loaded):
    """``make run`` loads the catalogue at every start: it must not undo the day's edits."""
    rec = Recommendation.objects.get(code="VTL-02")
    owner = owner_user(rec.owner_organization)
    theme = Theme.objects.exclude(recommendations=rec).first()
    services.recommendation_update(
        recommendation=rec,
        actor=owner,
        changes={"title": "Tên do cán bộ sửa", "title_en": "Edited by staff", "horizon": 2031},
        themes=[theme],
    )
    Organization.objects.filter(code="MOFA").update(name="Bộ Ngoại giao (tên đã sửa)")
    Theme.objects.filter(pk=theme.pk).update(name="Chủ đề đã sửa")
    history_before = HistoryEntry.objects.count()

    call_command("load_catalogue", verbosity=0)

    rec = Recommendation.objects.get(code="VTL-02")
    assert (rec.title, rec.title_en, rec.horizon, rec.version) == (
        "Tên do cán bộ sửa",
        "Edited by staff",
        2031,
        2,
    )
    assert list(rec.themes.all()) == [theme]
    assert Organization.objects.get(code="MOFA").name == "Bộ Ngoại giao (tên đã sửa)"
    assert Theme.objects.get(pk=theme.pk).name == "Chủ đề đã sửa"
    assert HistoryEntry.objects.count() == history_before


def test_a_corrected_quote_in_the_file_is_refreshed_with_a_history_row(loaded):
    catalogue = read_catalogue()
    row = next(r for r in catalogue["recommendations"] if r["code"] == "MIC-01")
    old_quote = row["quote"]
    row["quote"] = old_quote + " (đã đối chiếu lại)"
    row["addressed_to"] = [*row["addressed_to"], "MOFA"]

    result = services.catalogue_load(catalogue)

    assert (result.created, result.updated) == ([], ["MIC-01"])
    rec = Recommendation.objects.get(code="MIC-01")
    assert rec.quote == old_quote + " (đã đối chiếu lại)"
    assert "MOFA" in rec.addressed_to.values_list("code", flat=True)
    assert rec.version == 2
    entry = rec.history.get(kind=HistoryEntry.Kind.UPDATED)
    assert entry.actor is None
    assert entry.changes["quote"] == [old_quote, rec.quote]
    assert sorted(entry.changes["addressed_to"][1]) == sorted(row["addressed_to"])
    # A second load with the same file changes nothing more.
    assert services.catalogue_load(catalogue).updated == []
    assert Recommendation.objects.get(code="MIC-01").version == 2


def test_loaddemo_on_a_tracker_in_use_leaves_items_already_moved_on(capsys):
    services.catalogue_load(read_catalogue())
    rec = Recommendation.objects.get(code="FPT-01")
    administrator = admin_user()
    for target in (Status.ACCEPTED, Status.IN_PROGRESS):
        services.recommendation_transition(recommendation=rec, actor=administrator, to_status=target)
    services.evidence_add(recommendation=rec, actor=administrator, kind="note", note="báo cáo")
    services.recommendation_transition(recommendation=rec, actor=administrator, to_status=Status.IMPLEMENTED)
    rec.refresh_from_db()
    before = (rec.status, rec.owner_id, rec.due_date, rec.version)
    call_command("loaddemo")
    assert "Demo loaded" in capsys.readouterr().out
    rec.refresh_from_db()
    assert (rec.status, rec.owner_id, rec.due_date, rec.version) == before
    assert Recommendation.objects.filter(owner__isnull=False).count() == Recommendation.objects.count() - 1
