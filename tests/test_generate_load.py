"""The load generator: deterministic, the promised mix, and data the services would have written."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from recommendations import roles, services
from recommendations.models import Evidence, HistoryEntry, Recommendation, SourceDocument, User
from recommendations.search import evidence_search_text, history_search_text
from recommendations.workflow import DONE_STATUSES, OPEN_STATUSES, Status, find_transition
from tests.factories import OrganizationFactory, RecommendationFactory, SourceDocumentFactory, admin_user

pytestmark = pytest.mark.django_db

ITEMS, OWNERS, ORGANIZATIONS = 200, 7, 3


def generate(seed: int = 42, items: int = ITEMS, **options: object) -> str:
    out = StringIO()
    call_command(
        "generate_load",
        items=items,
        owners=OWNERS,
        organizations=ORGANIZATIONS,
        seed=seed,
        batch_size=64,
        stdout=out,
        **options,
    )
    return out.getvalue()


def snapshot() -> list[tuple[object, ...]]:
    """Every generated item with its history and evidence, in three queries."""
    history: dict[str, list[tuple[str, ...]]] = {}
    for code, *row in (
        HistoryEntry.objects.filter(recommendation__code__startswith="LOAD-")
        .order_by("recommendation__code", "created_at", "id")
        .values_list("recommendation__code", "kind", "from_status", "to_status", "search_text")
    ):
        history.setdefault(code, []).append(tuple(row))
    evidence: dict[str, list[tuple[str, ...]]] = {}
    for code, *row in (
        Evidence.objects.filter(recommendation__code__startswith="LOAD-")
        .order_by("recommendation__code", "submitted_at", "id")
        .values_list("recommendation__code", "kind", "note", "url", "search_text")
    ):
        evidence.setdefault(code, []).append(tuple(row))
    return [
        (*row, tuple(history.get(row[0], ())), tuple(evidence.get(row[0], ())))
        for row in Recommendation.objects.filter(code__startswith="LOAD-")
        .order_by("code")
        .values_list(
            "code", "status", "due_date", "priority", "progress", "version", "owner__username", "title"
        )
    ]


def test_same_seed_same_items_other_seed_other_items():
    output = generate()
    assert "200/200 items" in output
    first = snapshot()
    assert [row[0] for row in first] == [f"LOAD-{n:07d}" for n in range(1, ITEMS + 1)]

    with pytest.raises(CommandError, match="--replace"):
        generate()
    assert snapshot() == first

    generate(replace=True)
    assert snapshot() == first

    generate(seed=43, replace=True)
    other = snapshot()
    assert [row[1] for row in other] != [row[1] for row in first]
    assert Counter(row[1] for row in other) == Counter(row[1] for row in first)


def test_status_mix_due_dates_and_owners():
    generate()
    recs = list(Recommendation.objects.filter(code__startswith="LOAD-").select_related("owner"))
    assert Counter(r.status for r in recs) == {
        Status.PROPOSED: 60,  # 30%
        Status.IN_PROGRESS: 50,  # 25%
        Status.IMPLEMENTED: 30,  # 15%
        Status.VERIFIED: 40,  # 30% verified or rejected
        Status.REJECTED: 20,
    }
    today = timezone.localdate()
    offsets = [(r.due_date - today).days for r in recs]
    assert min(offsets) >= -30
    assert max(offsets) <= 90
    overdue = sum(1 for r in recs if r.status in OPEN_STATUSES and r.due_date < today)
    open_count = sum(1 for r in recs if r.status in OPEN_STATUSES)
    assert 0.05 < overdue / open_count < 0.3  # about a sixth

    owners = {u.username: u for u in User.objects.filter(username__startswith="load-owner-")}
    assert len(owners) == OWNERS
    assert all(set(u.groups.values_list("name", flat=True)) == {roles.OWNER} for u in owners.values())
    for rec in recs:
        number = int(rec.code.removeprefix("LOAD-"))
        assert rec.owner.username == f"load-owner-{(number - 1) % OWNERS + 1:04d}"  # round-robin
        assert rec.owner.organization_id == rec.owner_organization_id
        assert rec.owner_organization.code.startswith("LOAD-ORG-")
        assert rec.source_document.key == "LOAD"
        assert rec.search_text == services.search_text_for(rec)
    assert len({r.owner_organization_id for r in recs}) == ORGANIZATIONS


def test_done_items_have_evidence_and_completion_and_history_is_a_valid_chain():
    generate()
    admin = User.objects.get(username="load-admin")
    for rec in Recommendation.objects.filter(code__startswith="LOAD-"):
        evidence = list(rec.evidence.all())
        assert 1 <= len(evidence) <= 3
        assert all(
            e.withdrawn_at is None and e.kind in (Evidence.Kind.NOTE, Evidence.Kind.LINK) for e in evidence
        )
        assert all(e.submitted_by_id == rec.owner_id for e in evidence)
        if rec.status in DONE_STATUSES:
            assert rec.completed_at is not None
            assert rec.implemented_by_id == rec.owner_id
            assert rec.progress == 100
            assert all(e.submitted_at < rec.completed_at for e in evidence)
        else:
            assert rec.completed_at is None
            assert rec.implemented_by_id is None

        history = list(rec.history.order_by("created_at", "id"))
        assert 2 <= len(history) <= 5
        assert (history[0].kind, history[0].to_status) == (HistoryEntry.Kind.CREATED, Status.PROPOSED)
        current = Status.PROPOSED
        transitions = 0
        for entry in history[1:]:
            assert entry.created_at > history[0].created_at
            if entry.kind == HistoryEntry.Kind.CHECK_IN:
                assert rec.status in OPEN_STATUSES
                continue
            assert entry.kind == HistoryEntry.Kind.STATUS
            assert entry.from_status == current
            transition = find_transition(entry.from_status, entry.to_status)
            assert transition is not None
            assert entry.comment or not transition.requires_comment
            if entry.to_status == Status.IMPLEMENTED:
                assert entry.created_at == rec.completed_at
                assert entry.actor_id == rec.owner_id
            if entry.to_status == Status.VERIFIED:
                assert entry.actor_id == admin.pk != rec.implemented_by_id  # four eyes
            current = Status(entry.to_status)
            transitions += 1
        assert current == rec.status
        assert rec.version == 1 + transitions
        assert rec.last_activity_at >= max(h.created_at for h in history)


def test_history_and_evidence_are_searchable_as_the_services_would_have_left_them():
    generate()
    history = HistoryEntry.objects.filter(recommendation__code__startswith="LOAD-")
    for entry in history:
        assert entry.search_text == history_search_text(entry.comment)
    evidence = Evidence.objects.filter(recommendation__code__startswith="LOAD-")
    for row in evidence:
        assert row.search_text == evidence_search_text(
            note=row.note, original_filename=row.original_filename, url=row.url
        )
    # Both kinds of rows, with and without text to search.
    assert history.filter(search_text="").exists()
    assert history.filter(search_text="dung tien do, khong co thay doi.").exists()  # check-ins
    assert evidence.filter(search_text__startswith="https://example.org/load/load-").exists()
    assert evidence.filter(search_text="bao cao tien do quy gui van phong.").exists()


def test_generated_items_go_on_through_the_services():
    generate()
    admin = User.objects.get(username="load-admin")
    implemented = Recommendation.objects.filter(code__startswith="LOAD-", status=Status.IMPLEMENTED).first()
    assert implemented is not None
    verified = services.recommendation_transition(
        recommendation=implemented,
        actor=admin,
        to_status=Status.VERIFIED,
        expected_version=implemented.version,
    )
    assert verified.version == implemented.version + 1

    in_progress = Recommendation.objects.filter(code__startswith="LOAD-", status=Status.IN_PROGRESS).first()
    assert in_progress is not None
    assert in_progress.owner is not None
    services.recommendation_transition(
        recommendation=in_progress,
        actor=in_progress.owner,
        to_status=Status.BLOCKED,
        comment="Chờ ý kiến.",
        expected_version=in_progress.version,
    )


def test_replace_keeps_other_items_and_the_catalogue_prefix_is_untouched():
    other = RecommendationFactory(code="NQ52-01")
    generate()
    generate(replace=True)
    assert Recommendation.objects.filter(pk=other.pk).exists()
    assert Recommendation.objects.exclude(code__startswith="LOAD-").count() == 1


def real_item(code: str, source_document: SourceDocument | None = None) -> Recommendation:
    """An item an administrator created through the services, moved on once, with evidence."""
    admin = admin_user()
    rec = services.recommendation_create(
        actor=admin,
        code=code,
        title=f"Kiến nghị thật {code}",
        quote="Một kiến nghị thật, không phải dữ liệu tải thử.",
        source_document=source_document or SourceDocumentFactory(),
        owner_organization=OrganizationFactory(),
    )
    services.recommendation_transition(
        recommendation=rec, actor=admin, to_status=Status.ACCEPTED, expected_version=rec.version
    )
    services.evidence_add(recommendation=rec, actor=admin, kind=Evidence.Kind.NOTE, note=f"Bằng chứng {code}")
    return rec


def records(*recs: Recommendation) -> dict[str, tuple[object, ...]]:
    """What must survive of real items: the item, its history and its evidence, row by row."""
    return {
        rec.code: (
            Recommendation.objects.filter(pk=rec.pk).values_list("code", "status", "version").first(),
            tuple(
                HistoryEntry.objects.filter(recommendation_id=rec.pk).order_by("id").values_list("id", "kind")
            ),
            tuple(Evidence.objects.filter(recommendation_id=rec.pk).order_by("id").values_list("id", "note")),
        )
        for rec in recs
    }


def test_replace_never_touches_real_items_coded_load():
    # An administrator may code real items LOAD-… (the validator allows it), and LIKE 'LOAD-%'
    # ignores case on SQLite: --replace used to delete these, with their history and evidence.
    reals = [real_item("LOAD-2026"), real_item("load-plan")]
    before = records(*reals)
    assert all(len(history) == 3 and len(evidence) == 1 for _rec, history, evidence in before.values())

    # The reviewer's reproduction: nothing generated yet, so nothing to delete (and no "already exist").
    generate(items=0, replace=True)
    assert records(*reals) == before
    generate(items=0)
    assert records(*reals) == before

    generate()
    first = snapshot()
    output = generate(replace=True)  # generated items are still replaced...
    assert "Deleted 200 earlier generated LOAD- items." in output
    assert snapshot() == first
    assert records(*reals) == before  # ...and the real ones are left exactly as they were
    assert Recommendation.objects.filter(source_document__key="LOAD").count() == ITEMS


@pytest.mark.parametrize("code", ["LOAD-2026", "load-plan", "LOAD-000001X"])
def test_replace_refuses_when_the_generators_source_document_holds_a_real_item(code):
    generate()
    first = snapshot()
    real = real_item(code, source_document=SourceDocument.objects.get(key="LOAD"))
    before = records(real)

    with pytest.raises(CommandError, match=f"holds items it did not write: {code}\\. "):
        generate(replace=True)
    assert records(real) == before
    assert [row for row in snapshot() if row[0] != code] == first  # nothing deleted at all


def test_a_load_source_document_not_written_by_the_generator_is_refused():
    # Even an item coded exactly like a generated one is real if its LOAD source document is.
    source = SourceDocumentFactory(key="LOAD", file_name="ke_hoach_2026.docx")
    real = real_item("LOAD-0000007", source_document=source)
    before = records(real)

    for replace in (True, False):
        with pytest.raises(CommandError, match="source document LOAD was not created by generate_load"):
            generate(items=0, replace=replace)
    assert records(real) == before


def test_real_items_with_a_code_it_would_write_are_named_not_overwritten():
    real = real_item("LOAD-0000003")
    before = records(real)
    with pytest.raises(CommandError, match="already have codes it would write: LOAD-0000003\\. "):
        generate()
    assert records(real) == before
    assert not Recommendation.objects.filter(source_document__key="LOAD").exists()

    generate(items=2)  # LOAD-0000001 and LOAD-0000002 only: no conflict
    assert Recommendation.objects.filter(source_document__key="LOAD").count() == 2
    assert records(real) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only")
def test_copy_and_bulk_create_write_the_same_items():
    generate(method="copy")
    by_copy = snapshot()
    generate(method="bulk", replace=True)
    assert snapshot() == by_copy


def test_a_generated_owners_digest_costs_a_fixed_number_of_queries():
    # bench/ found one query per listed item (the owner, for the owner's name): 237 queries for a
    # 226-item digest. The count must not grow with the number of items.
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from recommendations import notifications

    generate()
    counts = {}
    for username in ("load-owner-0001", "load-owner-0002"):
        owner = User.objects.get(username=username)
        open_items = owner.owned_recommendations.filter(status__in=OPEN_STATUSES).count()
        with CaptureQueriesContext(db) as queries:
            result = notifications.deliver(kind="digest", recipient_id=owner.pk, period="2030-W01")
        assert result.outcome == notifications.Outcome.SENT
        assert result.item_count == open_items > 10
        counts[username] = len(queries)
    assert counts["load-owner-0001"] == counts["load-owner-0002"] < 15
