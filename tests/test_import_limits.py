"""Reading an import (``recommendations.tabular.read_table``) within limits: an XLSX file that
unpacks into far more than its upload (a ZIP bomb) is refused from its archive's directory before
anything is unpacked, and any table past the row, column or text limits is refused, read a row at
a time; a normal file still reads."""

from __future__ import annotations

import csv
import datetime
import io
import random
import string
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from recommendations import tabular
from recommendations.models import HistoryEntry, Recommendation
from recommendations.tabular import EXPORT_COLUMNS, TableError, read_table, write_csv, write_xlsx
from tests.factories import OrganizationFactory, RecommendationFactory, owner_user

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _vietnamese():
    # The messages are compared in the site's language, whatever an earlier test left active.
    with translation.override("vi"):
        yield


def workbook(sheet: bytes, shared_strings: bytes | None = None) -> bytes:
    """A valid XLSX file (the exporter's) whose sheet's XML is ``sheet``, with a shared-string
    table when given."""
    base = zipfile.ZipFile(io.BytesIO(write_xlsx(["code"], [["x"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in base.namelist():
            data = base.read(name)
            if name == SHEET:
                data = sheet
            elif name == "[Content_Types].xml" and shared_strings is not None:
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            archive.writestr(name, data)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def sheet_xml(*rows: bytes, head: bytes = b"") -> bytes:
    body = b"".join(b'<row r="%d">%s</row>' % (number, cells) for number, cells in enumerate(rows, start=1))
    return b'<worksheet xmlns="%s">%s<sheetData>%s</sheetData></worksheet>' % (MAIN.encode(), head, body)


def text_cell(text: bytes) -> bytes:
    return b'<c t="inlineStr"><is><t>%s</t></is></c>' % text


def shared_cell(index: int) -> bytes:
    return b'<c t="s"><v>%d</v></c>' % index


def shared_strings_xml(*texts: bytes) -> bytes:
    items = b"".join(b"<si><t>%s</t></si>" % text for text in texts)
    return b'<sst xmlns="%s">%s</sst>' % (MAIN.encode(), items)


def bomb() -> bytes:
    """The reviewer's file, scaled down: a table whose one cell is a shared string of 8 MB of "A",
    an upload of a few kilobytes."""
    return workbook(
        sheet_xml(text_cell(b"code") + text_cell(b"title"), text_cell(b"NQ52-01") + shared_cell(0)),
        shared_strings_xml(b"A" * (8 * MB)),
    )


def peak_memory_of_reading(content: bytes, filename: str = "import.xlsx") -> tuple[TableError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(TableError) as caught:
            read_table(content, filename)
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- ZIP bombs --------------------------------------------------------------------------------


def test_xlsx_that_unpacks_past_the_limit_is_refused_without_unpacking_it(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = MB
    content = bomb()
    assert len(content) < 64 * 1024
    error, peak = peak_memory_of_reading(content)
    assert str(error) == "Tệp XLSX khi giải nén quá lớn (tối đa 1,0\xa0MB)."
    assert peak < MB  # the 8 MB string is never built


def test_xlsx_member_packed_absurdly_is_refused_within_the_size_limit(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 20 * MB
    content = workbook(
        sheet_xml(text_cell(b"code") + text_cell(b"title"), text_cell(b"NQ52-01") + shared_cell(0)),
        shared_strings_xml(b"A" * (3 * MB)),
    )
    error, peak = peak_memory_of_reading(content)
    assert str(error) == "Tệp XLSX bị nén bất thường (một thành phần nén hơn 100 lần)."
    assert peak < MB


def test_xlsx_with_too_many_members_is_refused():
    base = workbook(sheet_xml(text_cell(b"code"), text_cell(b"NQ52-01")))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        for number in range(1001):
            archive.writestr(f"docProps/extra{number}.xml", b"")
    with pytest.raises(TableError, match=r"^Tệp XLSX có quá nhiều thành phần \(tối đa 1000\)\.$"):
        read_table(out.getvalue(), "import.xlsx")


def test_xlsx_member_larger_than_it_declares_is_read_no_further_than_declared(settings):
    """The checks trust the sizes the archive declares: a member whose real data are larger fails
    to read at its declared size, however far its data would unpack."""
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = MB
    sheet = sheet_xml(text_cell(b"code"), text_cell(b"A" * (4 * MB)), head=b'<dimension ref="A1:A2"/>')
    content = bytearray(workbook(sheet))
    declared = 100_000  # under the limit; the real XML is 4 MB
    info = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(SHEET)
    assert info.file_size > MB
    central = content.index(b"PK\x01\x02")  # the directory's entries; find the sheet's
    while content[central + 46 : central + 46 + len(SHEET)] != SHEET.encode():
        central = content.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", content, central + 24, declared)
    struct.pack_into("<I", content, info.header_offset + 22, declared)
    assert zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(SHEET).file_size == declared

    error, peak = peak_memory_of_reading(bytes(content))
    assert str(error).startswith("Không đọc được tệp XLSX:")
    assert peak < MB


def test_xlsx_row_of_too_many_cells_is_refused_before_openpyxl_builds_it():
    # 40,000 cells, 80,000 XML elements, in 600 kB of XML: openpyxl builds a row whole.
    content = workbook(sheet_xml(text_cell(b"code"), b"<c><v>1</v></c>" * 40_000))
    with pytest.raises(TableError) as caught:
        read_table(content, "import.xlsx")
    assert str(caught.value) == "Tệp XLSX có một dòng hoặc một phần quá lớn (tối đa 65536 thẻ XML)."


def test_xlsx_entity_declarations_are_refused():
    sheet = sheet_xml(text_cell(b"code"), text_cell(b"&a;&a;"))
    sheet = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaa">]>' + sheet
    with pytest.raises(TableError, match="khai báo thực thể XML"):
        read_table(workbook(sheet), "import.xlsx")


def test_cells_repeating_one_long_shared_string_count_against_the_text_limit(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 100_000
    long_text = "".join(random.Random(0).choices(string.ascii_letters, k=5_000)).encode()
    rows = [shared_cell(0)] + [shared_cell(1)] * 100  # 500,000 characters from a 5,000 one
    content = workbook(sheet_xml(*rows), shared_strings_xml(b"code", long_text))
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist()) < 100_000
    with pytest.raises(TableError) as caught:
        read_table(content, "import.xlsx")
    assert str(caught.value) == "Nội dung các ô của tệp quá dài (tối đa 100000 ký tự)."


# --- rows and columns -------------------------------------------------------------------------


def test_csv_past_the_row_limit_is_refused_and_at_it_is_read(settings):
    settings.IMPORT_MAX_ROWS = 5
    header = [["code", "title"]]
    assert len(read_table(csv_bytes(header + [[f"C-{i}", "t"] for i in range(5)]), "import.csv")) == 5
    with pytest.raises(TableError) as caught:
        read_table(csv_bytes(header + [[f"C-{i}", "t"] for i in range(6)]), "import.csv")
    assert str(caught.value) == "Tệp có quá nhiều dòng (tối đa 5 dòng dữ liệu)."


def test_xlsx_past_the_row_limit_is_refused_and_at_it_is_read(settings):
    settings.IMPORT_MAX_ROWS = 5
    assert len(read_table(write_xlsx(["code"], [[f"C-{i}"] for i in range(5)]), "import.xlsx")) == 5
    with pytest.raises(TableError) as caught:
        read_table(write_xlsx(["code"], [[f"C-{i}"] for i in range(6)]), "import.xlsx")
    assert str(caught.value) == "Tệp có quá nhiều dòng (tối đa 5 dòng dữ liệu)."


def test_rows_are_read_lazily_so_a_far_row_number_stops_at_the_limit():
    # openpyxl fills the rows a sheet skips: one cell in row 100,000 is 100,000 rows.
    sheet = sheet_xml(text_cell(b"code")).replace(
        b"</sheetData>", b'<row r="100000">' + text_cell(b"NQ52-01") + b"</row></sheetData>"
    )
    with pytest.raises(TableError, match=r"^Tệp có quá nhiều dòng \(tối đa 10000 dòng dữ liệu\)\.$"):
        read_table(workbook(sheet), "import.xlsx")


def test_data_past_the_column_limit_is_refused_and_empty_cells_past_it_are_not():
    limit = tabular.MAX_COLUMNS
    wide = [["code", *[f"c{i}" for i in range(limit)]], ["NQ52-01", *["v"] * limit]]
    message = f"Tệp có dữ liệu ở quá nhiều cột (tối đa {limit} cột)."
    with pytest.raises(TableError) as caught:
        read_table(csv_bytes(wide), "import.csv")
    assert str(caught.value) == message
    with pytest.raises(TableError) as caught:
        read_table(write_xlsx(wide[0], wide[1:]), "import.xlsx")
    assert str(caught.value) == message
    padded = [["code", "title", *[""] * limit], ["NQ52-01", "t", *[""] * limit]]
    assert read_table(csv_bytes(padded), "import.csv") == [{"code": "NQ52-01", "title": "t", "_row": 2}]


def test_xlsx_claiming_the_whole_sheet_as_its_range_reads_its_own_cells():
    sheet = sheet_xml(
        text_cell(b"code") + text_cell(b"title"),
        text_cell(b"NQ52-01") + text_cell(b"t"),
        head=b'<dimension ref="A1:XFD1048576"/>',
    )
    assert read_table(workbook(sheet), "import.xlsx") == [{"code": "NQ52-01", "title": "t", "_row": 2}]


def test_csv_field_past_the_csv_modules_limit_is_a_table_error():
    with pytest.raises(TableError, match=r"^Không đọc được tệp CSV: "):
        read_table(csv_bytes([["code", "quote"], ["NQ52-01", "x" * 200_000]]), "import.csv")


# --- normal files -----------------------------------------------------------------------------


@pytest.mark.parametrize("writer, filename", [(write_csv, "export.csv"), (write_xlsx, "export.xlsx")])
def test_a_normal_export_still_reads(writer, filename):
    row = ["NQ52-01", "Chiến lược", "", "proposed", 1, "MOFA", "lan", datetime.date(2027, 3, 31)]
    row += ["", 30, "high", "short", "nhan-luc", "002", "tr. 12", "", "", "=SUM(A1)"]
    rows = [row, ["NQ52-02", "Kiến nghị", *[""] * (len(EXPORT_COLUMNS) - 2)]]
    table = read_table(writer(EXPORT_COLUMNS, rows), filename)
    assert [(r["code"], r["title"], r["_row"]) for r in table] == [
        ("NQ52-01", "Chiến lược", 2),
        ("NQ52-02", "Kiến nghị", 3),
    ]
    assert table[0]["quote"] == "=SUM(A1)"  # escaped by the writer, unescaped by the reader
    assert table[0]["due_date"] in ("2027-03-31", datetime.datetime(2027, 3, 31))


# --- through the admin ------------------------------------------------------------------------


def state() -> tuple[list[tuple], int]:
    return list(Recommendation.objects.values_list("code", "title", "version")), HistoryEntry.objects.count()


@pytest.mark.django_db
def test_owner_importing_a_zip_bomb_sees_the_limit_and_nothing_changes(client, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = MB
    mofa = OrganizationFactory(code="MOFA")
    RecommendationFactory(code="NQ52-01", title="Chiến lược", owner_organization=mofa, due_date=None)
    client.force_login(owner_user(mofa))
    before = state()

    response = client.post(
        reverse("admin:recommendations_recommendation_import"),
        {"file": SimpleUploadedFile("import.xlsx", bomb())},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Tệp XLSX khi giải nén quá lớn (tối đa 1,0\xa0MB)."]
    assert "Tệp XLSX khi giải nén quá lớn (tối đa 1,0\xa0MB)." in response.content.decode()
    assert state() == before


@pytest.mark.django_db
def test_an_upload_past_the_import_size_limit_is_refused_with_the_limit_in_kb(client, settings):
    settings.IMPORT_MAX_BYTES = 1024
    mofa = OrganizationFactory(code="MOFA")
    RecommendationFactory(code="NQ52-01", title="Chiến lược", owner_organization=mofa, due_date=None)
    client.force_login(owner_user(mofa))
    before = state()
    content = ("code,title\n" + "NQ52-01,Chiến lược mới\n" * 100).encode()
    assert len(content) > 1024

    response = client.post(
        reverse("admin:recommendations_recommendation_import"),
        {"file": SimpleUploadedFile("import.csv", content)},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Tệp quá lớn (tối đa 1,0\xa0KB)."]
    assert state() == before
