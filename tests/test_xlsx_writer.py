"""The XLSX writer of exports (``recommendations.xlsx``): every kind of cell read back by openpyxl
as written, a valid package, and files that the tracker itself accepts as evidence."""

from __future__ import annotations

import datetime
import decimal
import io
import xml.etree.ElementTree as ET
import zipfile
import zoneinfo

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from recommendations import services
from recommendations.models import Evidence
from recommendations.tabular import write_xlsx
from recommendations.xlsx import write_workbook
from tests.factories import OrganizationFactory, RecommendationFactory, owner_user


def read_back(content: bytes) -> tuple[str, list[list[object]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    return sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_text_is_kept_exactly_whatever_it_holds():
    texts = [
        "Ngoại giao số: “kỷ nguyên số” & <công nghệ> 'AI' \"5G\"",
        "  spaces kept at both ends  ",
        "two\nlines",
        "carriage\r\nreturn",
        "tab\there",
        "😀 outside the basic plane",
    ]
    _title, rows = read_back(write_workbook(["text"], [[text] for text in texts], title="t"))
    assert rows == [["text"], *([text] for text in texts)]


def test_characters_xml_cannot_hold_are_dropped_rather_than_breaking_the_file():
    _title, rows = read_back(write_workbook(["text"], [["a\x00b\x07c\x1fd\ufffee\ud800f"]], title="t"))
    assert rows == [["text"], ["abcdef"]]


def test_numbers_booleans_and_empty_cells():
    row = [0, -7, 12345678901234, 2.5, 1e-05, decimal.Decimal("33.33"), True, False, None, ""]
    _title, rows = read_back(write_workbook([f"c{i}" for i in range(len(row))], [row], title="t"))
    assert rows[1] == [0, -7, 12345678901234, 2.5, 1e-05, 33.33, True, False, None, None]
    assert [type(value) for value in rows[1][:6]] == [int, int, int, float, float, float]


def test_a_number_that_is_not_finite_is_written_as_text():
    _title, rows = read_back(write_workbook(["x", "y"], [[float("nan"), float("inf")]], title="t"))
    assert rows[1] == ["nan", "inf"]


def test_dates_and_times_are_dates_in_the_sheet():
    hanoi = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    row = [
        datetime.date(2026, 12, 31),
        datetime.datetime(2026, 3, 1, 8, 30, 15),
        datetime.datetime(2026, 3, 1, 1, 30, tzinfo=datetime.UTC),
    ]
    with timezone.override(hanoi):
        content = write_workbook(["due", "at", "aware"], [row], title="t")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    [cells] = list(workbook.active.iter_rows(min_row=2))
    assert [cell.value for cell in cells] == [
        datetime.datetime(2026, 12, 31),
        datetime.datetime(2026, 3, 1, 8, 30, 15),
        datetime.datetime(2026, 3, 1, 8, 30),  # 01:30 UTC is 08:30 in Hà Nội
    ]
    assert [cell.number_format for cell in cells] == [
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm:ss",
        "yyyy-mm-dd hh:mm:ss",
    ]


def test_rows_wider_than_26_columns_and_rows_read_once():
    header = [f"c{i}" for i in range(60)]
    rows = ([n * 100 + i for i in range(60)] for n in range(3))  # a generator: read once
    _title, read = read_back(write_workbook(header, rows, title="t"))
    assert read[0] == header
    assert read[1:] == [[n * 100 + i for i in range(60)] for n in range(3)]
    sheet = zipfile.ZipFile(io.BytesIO(write_workbook(header, [], title="t"))).read(
        "xl/worksheets/sheet1.xml"
    )
    assert b'<c r="BH1" t="inlineStr">' in sheet  # the 60th column


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("recommendations", "recommendations"),
        ("a very long title that no spreadsheet program accepts", "a very long title that no sprea"),
        ("2026/Q1: [draft]?*", "2026 Q1   draft"),
        ("Báo cáo & <tổng hợp>", "Báo cáo & <tổng hợp>"),
        ("''", "data"),
    ],
)
def test_the_sheet_is_named_within_the_formats_rules(title, expected):
    name, _rows = read_back(write_workbook(["a"], [], title=title))
    assert name == expected


def test_the_package_lists_its_parts_and_each_is_well_formed_xml():
    content = write_workbook(["a"], [["b"]], title="t")
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    assert names[0] == "[Content_Types].xml"  # where programs that sniff a file's type look
    assert set(names) == {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    }
    for name in names:
        ET.fromstring(archive.read(name))  # noqa: S314 - our own output; raises if not well-formed


def test_exports_escape_formulas_but_the_writer_itself_does_not():
    _title, rows = read_back(write_xlsx(["x"], [["=1+1"], ["-5 ngày"], ["ok"]]))
    assert rows == [["x"], ["'=1+1"], ["'-5 ngày"], ["ok"]]
    _title, rows = read_back(write_workbook(["x"], [["=1+1"]], title="t"))
    assert rows == [["x"], ["=1+1"]]  # text, not a formula: openpyxl would give the formula back


@pytest.mark.django_db
def test_an_exported_workbook_is_accepted_as_evidence(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org = OrganizationFactory(code="MOFA")
    rec = RecommendationFactory(code="X-1", owner_organization=org)
    content = write_xlsx(["code", "due"], [["X-1", datetime.date(2026, 12, 31)]], title="recommendations")
    evidence = services.evidence_add(
        recommendation=rec,
        actor=owner_user(org),
        kind="file",
        file=SimpleUploadedFile("bao-cao.xlsx", content),
    )
    assert Evidence.objects.get(pk=evidence.pk).content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
