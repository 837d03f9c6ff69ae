"""CSV and XLSX import/export in the admin: a bad row imports nothing and says where."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from recommendations import services
from recommendations.models import HistoryEntry, Recommendation
from recommendations.tabular import EXPORT_COLUMNS, _unescape, escape_formula
from tests.factories import (
    OrganizationFactory,
    RecommendationFactory,
    SourceDocumentFactory,
    ThemeFactory,
    admin_user,
    owner_user,
    reader_user,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:recommendations_recommendation_import")
CHANGELIST = reverse("admin:recommendations_recommendation_changelist")


@pytest.fixture
def setup():
    mofa = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")
    OrganizationFactory(code="MIC", name="Bộ Thông tin và Truyền thông")
    SourceDocumentFactory(key="002")
    ThemeFactory(slug="nhan-luc", name="Nhân lực")
    owner = owner_user(mofa, username="lan")
    rec = RecommendationFactory(code="NQ52-01", title="Chiến lược", owner_organization=mofa, due_date=None)
    return {"mofa": mofa, "owner": owner, "rec": rec}


def csv_upload(rows: list[list[str]], name: str = "import.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), "text/csv")


def xlsx_upload(rows: list[list[object]]) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("import.xlsx", buffer.getvalue())


def state() -> tuple[list[tuple], int]:
    rows = Recommendation.objects.order_by("code").values_list(
        "code", "title", "owner_id", "due_date", "version"
    )
    return list(rows), HistoryEntry.objects.count()


def test_good_csv_updates_and_creates_through_the_services(client, setup):
    client.force_login(admin_user())
    upload = csv_upload(
        [
            [
                "code",
                "title",
                "owner_organization",
                "owner",
                "due_date",
                "themes",
                "source",
                "quote",
                "priority",
            ],
            ["NQ52-01", "Chiến lược (mới)", "MOFA", "lan", "2027-03-31", "nhan-luc", "", "", "high"],
            ["NEW-01", "Kiến nghị mới", "MIC", "", "", "", "002", "Trích dẫn", "low"],
        ]
    )
    response = client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 302
    rec = Recommendation.objects.get(code="NQ52-01")
    assert (rec.title, rec.owner, str(rec.due_date), rec.priority) == (
        "Chiến lược (mới)",
        setup["owner"],
        "2027-03-31",
        "high",
    )
    assert list(rec.themes.values_list("slug", flat=True)) == ["nhan-luc"]
    assert rec.history.filter(kind="updated").count() == 1
    new = Recommendation.objects.get(code="NEW-01")
    assert (new.owner_organization.code, new.status, new.priority) == ("MIC", "proposed", "low")


@pytest.mark.parametrize("typed", ["2027-03-31", "31/03/2027", "31-03-2027", "31.03.2027"])
def test_a_due_date_reads_as_iso_or_day_first(client, setup, typed):
    # A CSV saved by a spreadsheet with Vietnamese settings writes dates day first.
    client.force_login(admin_user())
    upload = csv_upload([["code", "title", "due_date"], ["NQ52-01", "Chiến lược", typed]])
    response = client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 302
    assert Recommendation.objects.get(code="NQ52-01").due_date == datetime.date(2027, 3, 31)


@pytest.mark.parametrize(
    ("bad_row", "column", "fragment"),
    [
        (["NQ52-01", "x", "MOFA", "lan", "03/31/2027", "", "", ""], "due_date", "DD/MM/YYYY"),
        (["NQ52-01", "x", "NOPE", "", "", "", "", ""], "owner_organization", "NOPE"),
        (["NQ52-01", "x", "MOFA", "ghost", "", "", "", ""], "owner", "ghost"),
        (["NQ52-01", "x", "MOFA", "", "", "khong-co", "", ""], "themes", "khong-co"),
        (["NQ52-01", "", "MOFA", "", "", "", "", ""], "title", ""),
        (["NEW-02", "Mới", "MOFA", "", "", "", "", ""], ("source", "quote"), ""),
        (["NQ52-01", "x", "MOFA", "", "", "", "", "verified"], "status", "quy trình"),
    ],
)
def test_one_bad_row_imports_nothing_and_names_row_and_column(client, setup, bad_row, column, fragment):
    client.force_login(admin_user())
    before = state()
    # The good row would create OK-01 if it were applied: it must not be.
    upload = csv_upload(
        [
            [
                "code",
                "title",
                "owner_organization",
                "owner",
                "due_date",
                "themes",
                "source",
                "status",
                "quote",
            ],
            ["OK-01", "Dòng tốt", "MOFA", "", "", "", "002", "", "Trích dẫn"],
            [*bad_row, ""],
        ]
    )
    response = client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    errors = response.context["result"].errors
    columns = column if isinstance(column, tuple) else (column,)
    assert [(row, col) for row, col, _msg in errors] == [(3, col) for col in columns]
    assert fragment in errors[0][2]
    assert state() == before
    assert not Recommendation.objects.filter(code="OK-01").exists()


def test_bad_xlsx_row_imports_nothing(client, setup):
    client.force_login(admin_user())
    before = state()
    upload = xlsx_upload(
        [
            ["code", "title", "progress"],
            ["NQ52-01", "Tiêu đề mới", 50],
            ["NQ52-01", "Lặp lại", 60],
        ]
    )
    response = client.post(IMPORT_URL, {"file": upload})
    errors = response.context["result"].errors
    assert [(row, col) for row, col, _msg in errors] == [(3, "code")]
    assert state() == before


def test_xlsx_progress_over_100_is_refused(client, setup):
    client.force_login(admin_user())
    before = state()
    response = client.post(IMPORT_URL, {"file": xlsx_upload([["code", "progress"], ["NQ52-01", 150]])})
    assert [(r, c) for r, c, _m in response.context["result"].errors] == [(2, "progress")]
    assert state() == before


def test_owner_import_of_another_organizations_item_is_refused(client, setup):
    other_org_owner = owner_user(OrganizationFactory(code="MIC"))
    client.force_login(other_org_owner)
    before = state()
    response = client.post(IMPORT_URL, {"file": csv_upload([["code", "title"], ["NQ52-01", "Chiếm quyền"]])})
    errors = response.context["result"].errors
    assert len(errors) == 1 and errors[0][0] == 2 and "không có quyền" in errors[0][2]
    assert state() == before


def test_a_row_read_before_someone_elses_change_is_refused_not_applied_over_it(client, setup):
    """Lan exports, Minh edits NQ52-01, Lan imports her old file: Minh's change must survive."""
    rec = setup["rec"]
    lan = setup["owner"]
    minh = owner_user(setup["mofa"], username="minh")
    client.force_login(lan)
    exported = list(
        csv.reader(io.StringIO(_export(client, "export_csv", [rec.pk]).content.decode("utf-8-sig")))
    )
    header, row = exported[0], exported[1]
    assert row[header.index("version")] == "1"
    services.recommendation_update(recommendation=rec, actor=minh, changes={"title": "Minh đã sửa"})
    before = state()

    row[header.index("progress")] = "30"  # Lan's own edit, on a row read at version 1
    response = client.post(IMPORT_URL, {"file": csv_upload([header, row])})

    errors = response.context["result"].errors
    assert [(r, c) for r, c, _m in errors] == [(2, "version")]
    assert "phiên bản hiện tại 2" in errors[0][2]
    assert state() == before
    assert Recommendation.objects.get(pk=rec.pk).title == "Minh đã sửa"
    # Read again (version 2), her edit applies and keeps Minh's title.
    row[header.index("version")] = "2"
    row[header.index("title")] = "Minh đã sửa"
    assert client.post(IMPORT_URL, {"file": csv_upload([header, row])}).status_code == 302
    rec.refresh_from_db()
    assert (rec.title, rec.progress, rec.version) == ("Minh đã sửa", 30, 3)


def test_an_owners_untouched_export_of_every_organization_imports_back(client, setup):
    RecommendationFactory(code="MIC-01", owner_organization=OrganizationFactory(code="MIC2"), due_date=None)
    client.force_login(setup["owner"])
    ids = list(Recommendation.objects.values_list("pk", flat=True))
    exported = _export(client, "export_csv", ids).content
    before = state()
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("export.csv", exported, "text/csv")})
    assert response.status_code == 302
    assert state() == before


def test_unreadable_file_is_refused_with_a_form_error(client, setup):
    client.force_login(admin_user())
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")})
    assert "Không đọc được tệp XLSX" in response.content.decode()
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.txt", b"code\nA")})
    assert ".csv" in response.content.decode()


def test_reader_cannot_import(client, setup):

    client.force_login(reader_user())
    assert (
        client.post(IMPORT_URL, {"file": csv_upload([["code", "title"], ["NQ52-01", "x"]])}).status_code
        == 403
    )
    assert Recommendation.objects.get(code="NQ52-01").title == "Chiến lược"


def _export(client, action: str, ids: list[int]):
    return client.post(CHANGELIST, {"action": action, "_selected_action": ids})


def test_csv_export_holds_the_selected_rows_and_escapes_formulas(client, setup):
    rec = setup["rec"]
    Recommendation.objects.filter(pk=rec.pk).update(title='=HYPERLINK("http://evil")')
    client.force_login(admin_user())
    response = _export(client, "export_csv", [rec.pk])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(EXPORT_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["NQ52-01"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'


def test_xlsx_export_round_trips_through_import(client, setup):
    client.force_login(admin_user())
    response = _export(client, "export_xlsx", [setup["rec"].pk])
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert rows[1][0] == "NQ52-01" and rows[1][EXPORT_COLUMNS.index("status")] == "proposed"
    # Re-importing an untouched export changes nothing.
    before = state()
    reimport = client.post(IMPORT_URL, {"file": SimpleUploadedFile("export.xlsx", response.content)})
    assert reimport.status_code == 302
    assert state() == before


def test_escape_formula():
    assert [escape_formula(v) for v in ["=1+1", "+x", "-2", "@a", "plain", 5]] == [
        "'=1+1",
        "'+x",
        "'-2",
        "'@a",
        "plain",
        5,
    ]


# Text that already starts with "'" is escaped too, so that reading strips exactly the "'" that
# writing added: without it, "'-' là ký hiệu tạm" came back as "-' là ký hiệu tạm".
APOSTROPHE_VALUES = ["'", "'=", "''", "'-' là ký hiệu tạm", "=1+1", "-", "Chiến lược"]


def test_escape_and_unescape_are_inverse():
    assert [escape_formula(v) for v in ["'", "'=", "''", "'a", "a'"]] == ["''", "''=", "'''", "''a", "a'"]
    for value in [*APOSTROPHE_VALUES, "'a", "'''", "'\t", "\t", "\r", "@a", "+1", "", 5, None]:
        assert _unescape(escape_formula(value)) == value
    # A "'" that writing never adds (not before a formula character or "'") is kept.
    assert [_unescape(v) for v in ["'", "'a", "a'=", "'=x", "''x"]] == ["'", "'a", "a'=", "=x", "'x"]


@pytest.mark.parametrize(
    ("action", "filename"), [("export_csv", "export.csv"), ("export_xlsx", "export.xlsx")]
)
@pytest.mark.parametrize("title", APOSTROPHE_VALUES)
def test_an_untouched_export_imports_back_unchanged_whatever_the_title_starts_with(
    client, setup, action, filename, title
):
    rec = setup["rec"]
    Recommendation.objects.filter(pk=rec.pk).update(title=title)
    client.force_login(admin_user())
    exported = _export(client, action, [rec.pk]).content
    before = state()
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(filename, exported)}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Đã nhập: 0 kiến nghị mới, 0 cập nhật, 1 không đổi."
    ]
    assert state() == before
    rec.refresh_from_db()
    assert (rec.title, rec.version) == (title, 1)


@pytest.mark.parametrize(("role", "linked"), [("administrator", True), ("owner", True), ("reader", False)])
def test_the_list_links_to_the_import_page_for_those_who_may_change_items(client, setup, role, linked):
    user = {"administrator": admin_user, "owner": lambda: setup["owner"], "reader": reader_user}[role]()
    client.force_login(user)
    page = client.get(CHANGELIST).content.decode()
    assert (f'href="{IMPORT_URL}"' in page) is linked
