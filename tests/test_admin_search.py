"""Search in every admin list matches with or without Vietnamese diacritics: through the stored,
folded ``search_text`` of evidence and history (kept by the services, backfilled by migration
0006, written by ``generate_load``), and by folding in Python for the small reference tables."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from recommendations import selectors, services
from recommendations.models import Evidence, HistoryEntry, Organization, User
from recommendations.workflow import Status
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    UserFactory,
    admin_user,
    owner_user,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BACKFILL = importlib.import_module("recommendations.migrations.0006_search_text_evidence_history")


def changelist(model_name: str) -> str:
    return reverse(f"admin:recommendations_{model_name}_changelist")


def searched(client, model_name: str, query: str) -> list[Any]:
    response = client.get(changelist(model_name), {"q": query})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def mofa():
    return OrganizationFactory(code="MOFA", name="Bộ Ngoại giao", name_en="Ministry of Foreign Affairs")


@pytest.fixture
def staff(client):
    user = admin_user()
    client.force_login(user)
    return user


@pytest.fixture
def items(mofa):
    """Two items, each with evidence and history written by the services."""
    owner = owner_user(mofa)
    nq52 = RecommendationFactory(code="NQ52-01", owner_organization=mofa, owner=owner)
    fpt = RecommendationFactory(code="FPT-01", owner_organization=mofa, owner=owner)
    return {"owner": owner, "NQ52-01": nq52, "FPT-01": fpt}


@pytest.fixture
def evidence(items, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner, nq52, fpt = items["owner"], items["NQ52-01"], items["FPT-01"]
    return {
        "note": services.evidence_add(
            recommendation=nq52, actor=owner, kind="note", note="Đã gửi BÁO CÁO tổng kết quý"
        ),
        "link": services.evidence_add(
            recommendation=nq52, actor=owner, kind="link", url="https://mofa.gov.vn/de-an-so"
        ),
        "file": services.evidence_add(
            recommendation=fpt,
            actor=owner,
            kind="file",
            file=SimpleUploadedFile("Biên bản họp Đoàn công tác.pdf", PDF),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bao cao", ["note"]),
        ("báo cáo", ["note"]),
        ("BÁO CÁO TỔNG KẾT", ["note"]),
        ("bien ban doan", ["file"]),
        ("Biên Bản ĐOÀN", ["file"]),
        ("de-an", ["link"]),
        ("nq52", ["link", "note"]),  # the item's code
        ("NQ52-01 bao cao", ["note"]),  # a word of the code and words of the note
        ("fpt-01 bao cao", []),  # every word must match: the file is no report
        ("bao cao nam", []),
        ("khong co gi", []),
    ],
)
def test_evidence_search(client, staff, evidence, query, expected):
    names = {row.pk: name for name, row in evidence.items()}
    assert sorted(names[row.pk] for row in searched(client, "evidence", query)) == expected


@pytest.fixture
def history(items, staff):
    nq52, fpt = items["NQ52-01"], items["FPT-01"]
    for rec in (nq52, fpt):
        services.recommendation_transition(recommendation=rec, actor=staff, to_status=Status.ACCEPTED)
    services.recommendation_transition(
        recommendation=nq52, actor=staff, to_status=Status.BLOCKED, comment="Chờ ý kiến thống nhất của Bộ"
    )
    services.recommendation_transition(
        recommendation=fpt, actor=staff, to_status=Status.REJECTED, comment="Không phù hợp với chức năng"
    )
    return {
        (entry.recommendation.code, entry.to_status): entry
        for entry in HistoryEntry.objects.select_related("recommendation")
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cho y kien", [("NQ52-01", "blocked")]),
        ("Chờ ý kiến", [("NQ52-01", "blocked")]),
        ("CHỜ Ý KIẾN THỐNG NHẤT", [("NQ52-01", "blocked")]),
        ("khong phu hop", [("FPT-01", "rejected")]),
        ("fpt", [("FPT-01", "accepted"), ("FPT-01", "rejected")]),  # the item's code; no created row yet
        ("nq52 cho", [("NQ52-01", "blocked")]),
        ("nq52 phu hop", []),  # every word must match
        ("cho y kien nam", []),
        ("khong co gi", []),
    ],
)
def test_history_search(client, history, query, expected):
    rows = searched(client, "historyentry", query)
    assert sorted((row.recommendation.code, row.to_status) for row in rows) == expected


# --- Small tables, folded in Python ---


@pytest.fixture
def reference_rows(mofa):
    """Rows of the four small tables, each of which one search below should find."""
    return {
        "organization": {
            "MOFA": mofa,
            "MIC": OrganizationFactory(
                code="MIC", name="Bộ Thông tin và Truyền thông", name_en="Ministry of Information"
            ),
        },
        "sourcedocument": {
            "002": SourceDocumentFactory(
                key="002", title="Báo cáo chiến lược ngoại giao số", authors="Nguyễn Văn Đức"
            ),
            "004": SourceDocumentFactory(key="004", title="Hội thảo kinh tế số", authors="Trần Thị Hà"),
        },
        "theme": {
            "an-ninh-mang": ThemeFactory(slug="an-ninh-mang", name="An ninh mạng", name_en="Cybersecurity"),
            "kinh-te-so": ThemeFactory(slug="kinh-te-so", name="Kinh tế số", name_en="Digital economy"),
        },
        "user": {
            "lan.tran": UserFactory(
                username="lan.tran", first_name="Thị Lan", last_name="Trần", email="lan@mofa.gov.vn"
            ),
            "duc.le": UserFactory(
                username="duc.le", first_name="Đức", last_name="Lê", email="duc@mic.gov.vn"
            ),
        },
    }


# The field that names a row of each small table in the assertions.
KEY_FIELDS = {"organization": "code", "sourcedocument": "key", "theme": "slug", "user": "username"}


@pytest.mark.parametrize(
    ("model_name", "query", "expected"),
    [
        ("organization", "bo ngoai giao", ["MOFA"]),
        ("organization", "Bộ Ngoại Giao", ["MOFA"]),
        ("organization", "BỘ", ["MIC", "MOFA"]),  # Vietnamese capitals folded on every database
        ("organization", "ministry foreign", ["MOFA"]),  # the English name
        ("organization", "mofa ngoai", ["MOFA"]),  # words from two fields of one row
        ("organization", "ngoai truyen", []),  # each word is in a different row
        ("organization", "bo tai chinh", []),
        ("sourcedocument", "bao cao chien luoc", ["002"]),
        ("sourcedocument", "Báo cáo", ["002"]),
        ("sourcedocument", "duc", ["002"]),  # đ folds to d
        ("sourcedocument", "ĐỨC", ["002"]),
        ("sourcedocument", "so", ["002", "004"]),
        ("sourcedocument", "004 kinh te", ["004"]),
        ("sourcedocument", "kinh te duc", []),
        ("theme", "an ninh mang", ["an-ninh-mang"]),
        ("theme", "An Ninh MẠNG", ["an-ninh-mang"]),
        ("theme", "kinh-te", ["kinh-te-so"]),
        ("theme", "cyber", ["an-ninh-mang"]),
        ("theme", "mang kinh", []),
        ("user", "tran thi lan", ["lan.tran"]),
        ("user", "Trần Thị Lan", ["lan.tran"]),
        ("user", "đức", ["duc.le"]),
        ("user", "le duc mic.gov", ["duc.le"]),
        ("user", "lan duc", []),
    ],
)
def test_small_table_search(client, staff, reference_rows, model_name, query, expected):
    rows = searched(client, model_name, query)
    assert sorted(getattr(row, KEY_FIELDS[model_name]) for row in rows) == expected


def test_every_searchable_list_says_it_matches_without_diacritics(client, staff, reference_rows):
    for model_name in ("recommendation", "evidence", "historyentry", *reference_rows):
        response = client.get(changelist(model_name))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="q"' in html, model_name  # the search box is shown
        assert "có dấu hay không dấu đều được" in html, model_name


def test_autocomplete_of_organizations_and_people_matches_without_diacritics(client, staff, reference_rows):
    def autocomplete(field_name: str, term: str) -> list[str]:
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "recommendations",
                "model_name": "organization",
                "field_name": field_name,
                "term": term,
            },
        )
        assert response.status_code == 200
        return sorted(result["text"] for result in response.json()["results"])

    assert autocomplete("parent", "bo thong tin") == ["Bộ Thông tin và Truyền thông"]
    assert autocomplete("parent", "Bộ Thông Tin") == ["Bộ Thông tin và Truyền thông"]
    assert autocomplete("parent", "bo") == ["Bộ Ngoại giao", "Bộ Thông tin và Truyền thông"]
    assert autocomplete("parent", "bo tai chinh") == []
    assert autocomplete("focal_person", "tran lan") == ["Trần Thị Lan"]
    assert autocomplete("focal_person", "ĐỨC LÊ") == ["Lê Đức"]


@pytest.mark.parametrize("model_name", ["evidence", "historyentry", "organization", "user"])
def test_search_runs_a_fixed_number_of_queries(
    client, staff, items, model_name, django_assert_max_num_queries
):
    owner, rec = items["owner"], items["NQ52-01"]

    def add_rows(count: int) -> None:
        for n in range(count):
            if model_name == "evidence":
                services.evidence_add(recommendation=rec, actor=owner, kind="note", note=f"Báo cáo số {n}")
            elif model_name == "historyentry":
                services.recommendation_check_in(recommendation=rec, actor=owner, comment=f"Báo cáo số {n}")
            elif model_name == "organization":
                OrganizationFactory(name=f"Ban báo cáo số {n}")
            else:
                UserFactory(first_name="Báo", last_name=f"Cáo {n}")

    add_rows(2)
    client.get(changelist(model_name), {"q": "bao cao"})
    with django_assert_max_num_queries(30) as few:
        assert len(searched(client, model_name, "bao cao")) == 2
    add_rows(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(searched(client, model_name, "bao cao")) == 32


# --- How the stored column is kept ---


def test_services_fold_what_new_evidence_and_history_rows_say(items, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner, rec = items["owner"], items["NQ52-01"]
    note = services.evidence_add(recommendation=rec, actor=owner, kind="note", note="  Đã gửi BÁO CÁO quý  ")
    link = services.evidence_add(
        recommendation=rec, actor=owner, kind="link", url="https://mofa.gov.vn/Đề-Án"
    )
    file = services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("Biên bản họp.pdf", PDF)
    )
    assert [
        e.search_text for e in Evidence.objects.filter(pk__in=[note.pk, link.pk, file.pk]).order_by("pk")
    ] == [
        "da gui bao cao quy",
        "https://mofa.gov.vn/de-an",
        "bien ban hop.pdf",
    ]

    services.recommendation_transition(recommendation=rec, actor=owner, to_status=Status.ACCEPTED)
    services.recommendation_transition(
        recommendation=rec, actor=owner, to_status=Status.BLOCKED, comment="Chờ ý kiến Đoàn công tác"
    )
    rows = HistoryEntry.objects.filter(recommendation=rec).order_by("created_at", "id")
    assert [(row.kind, row.to_status, row.search_text) for row in rows] == [
        ("evidence_added", "", ""),
        ("evidence_added", "", ""),
        ("evidence_added", "", ""),
        ("status", "accepted", ""),  # no comment: what bench.py's raw insert writes too
        ("status", "blocked", "cho y kien doan cong tac"),
    ]


def test_migration_backfills_rows_with_an_empty_search_text(items, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    owner, rec = items["owner"], items["NQ52-01"]
    services.evidence_add(recommendation=rec, actor=owner, kind="note", note="Báo cáo quý")
    services.evidence_add(recommendation=rec, actor=owner, kind="link", url="https://mofa.gov.vn/Đề-Án")
    services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("Biên bản.pdf", PDF)
    )
    services.recommendation_transition(recommendation=rec, actor=owner, to_status=Status.ACCEPTED)
    services.recommendation_transition(
        recommendation=rec, actor=owner, to_status=Status.BLOCKED, comment="Chờ ý kiến"
    )
    services.recommendation_check_in(recommendation=rec, actor=owner, comment="Đúng tiến độ")
    expected_evidence = dict(Evidence.objects.values_list("pk", "search_text"))
    expected_history = dict(HistoryEntry.objects.values_list("pk", "search_text"))
    assert sorted(expected_evidence.values()) == ["bao cao quy", "bien ban.pdf", "https://mofa.gov.vn/de-an"]
    assert sorted(expected_history.values()) == ["", "", "", "", "cho y kien", "dung tien do"]

    # As the rows were before the migration; one row was already filled and is left as it is.
    Evidence.objects.update(search_text="")
    HistoryEntry.objects.update(search_text="")
    kept = HistoryEntry.objects.filter(comment="Chờ ý kiến").get()
    HistoryEntry.objects.filter(pk=kept.pk).update(search_text="already filled")
    expected_history[kept.pk] = "already filled"
    monkeypatch.setattr(BACKFILL, "BATCH", 2)  # several batches, one of them without a change

    BACKFILL.backfill_search_text(apps, SimpleNamespace(connection=connection))

    assert dict(Evidence.objects.values_list("pk", "search_text")) == expected_evidence
    assert dict(HistoryEntry.objects.values_list("pk", "search_text")) == expected_history


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL only")
def test_trigram_indexes_exist_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (%s, %s, %s)",
            ["rec_search_trgm_idx", "evidence_search_trgm_idx", "hist_search_trgm_idx"],
        )
        indexes = dict(cursor.fetchall())
    assert sorted(indexes) == ["evidence_search_trgm_idx", "hist_search_trgm_idx", "rec_search_trgm_idx"]
    assert all("gin (search_text gin_trgm_ops)" in definition for definition in indexes.values())


def test_folding_in_python_takes_one_query_and_an_empty_term_keeps_every_row(
    reference_rows, django_assert_num_queries
):
    organizations = Organization.objects.all()
    with django_assert_num_queries(2):  # the fields of every row, then the matching rows
        found = list(selectors.folded_search_in_python(organizations, "BỘ NGOẠI", ("code", "name")))
    assert found == [reference_rows["organization"]["MOFA"]]
    with django_assert_num_queries(0):
        unchanged = selectors.folded_search_in_python(User.objects.all(), "  ", ("username",))
    assert unchanged.count() == User.objects.count() == 2


@pytest.mark.parametrize("model", [Evidence, HistoryEntry])
def test_rows_inserted_without_search_text_get_an_empty_one(items, settings, tmp_path, model):
    """A server still running the code from before migration 0006 inserts rows without the
    column while a deploy migrates: the database's default keeps those inserts working."""
    settings.MEDIA_ROOT = tmp_path
    services.evidence_add(recommendation=items["NQ52-01"], actor=items["owner"], kind="note", note="Báo cáo")
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in model._meta.concrete_fields
        if field.name not in ("id", "search_text")
    )
    source = model.objects.order_by("pk").last()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = %s",  # noqa: S608 - names only
            [source.pk],
        )
    inserted = model.objects.order_by("pk").last()
    assert inserted.pk != source.pk
    assert inserted.search_text == ""
