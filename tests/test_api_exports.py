"""CSV and XLSX: every list and report downloads as a spreadsheet holding the same rows as JSON,
with formula-like text neutralised."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zoneinfo
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from recommendations import services
from recommendations.models import Recommendation
from tests.factories import OrganizationFactory, RecommendationFactory, ThemeFactory, admin_user, owner_user
from tests.test_api_common import client_for

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The serializers' DateField and DateTimeField columns (by their last dotted part): in XLSX they
# are real dates, datetimes in the local time zone (Excel has none); in CSV, JSON's ISO text.
DATE_COLUMNS = frozenset({"due_date", "published_on", "week_start", "week_end"})
DATETIME_COLUMNS = frozenset(
    {"completed_at", "last_activity_at", "submitted_at", "withdrawn_at", "created_at"}
)
LOCAL_ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org = OrganizationFactory(code="MOFA", name="Bộ Ngoại giao")
    owner = owner_user(org, first_name="An", last_name="Nguyễn")
    rec = RecommendationFactory(
        code="X-1",
        title='=HYPERLINK("http://evil.example","bấm")',
        title_en="+1 cell",
        owner_organization=org,
        owner=owner,
        status="accepted",
    )
    rec.themes.set([ThemeFactory(slug="kinh-te-so"), ThemeFactory(slug="chien-luoc")])
    RecommendationFactory(code="X-2", title="@SUM(A1:A2)", title_en="-2", owner=None, due_date=TODAY - DAY)
    RecommendationFactory(code="X-3", title="Bình thường\tcó tab\x01", title_en="")
    services.evidence_add(recommendation=rec, actor=owner, kind="note", note="=1+1")
    services.evidence_add(
        recommendation=rec, actor=owner, kind="file", file=SimpleUploadedFile("a.txt", b"ok")
    )
    services.recommendation_update(recommendation=rec, actor=owner, changes={"progress": 30}, comment="-cmd")
    return rec


# Every list and report, with its download's name (files saved side by side say what they hold).
FILE_NAMES = {
    "/api/v1/recommendations/?ordering=code": "recommendations",
    "/api/v1/recommendations/X-1/history/": "history-X-1",
    "/api/v1/recommendations/X-1/evidence/": "evidence-X-1",
    "/api/v1/organizations/": "organizations",
    "/api/v1/sources/": "sources",
    "/api/v1/themes/": "themes",
    "/api/v1/reports/status-by-organization/": "status-by-organization",
    "/api/v1/reports/status-by-source/": "status-by-source",
    "/api/v1/reports/status-by-theme/": "status-by-theme",
    "/api/v1/reports/timeliness-by-organization/": "timeliness-by-organization",
    "/api/v1/reports/overdue/": "overdue",
    "/api/v1/reports/progress-weekly/?weeks=3": "progress-weekly",
}
ENDPOINTS = list(FILE_NAMES)


def _dig(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    if isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def expected_csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _text(value)


class _Moment:
    """A datetime read back from XLSX: openpyxl rounds the stored serial to the millisecond."""

    def __init__(self, value: datetime.datetime) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, datetime.datetime) or other.tzinfo is not None:
            return False
        return abs(other - self.value) <= datetime.timedelta(microseconds=500)

    def __repr__(self) -> str:
        return f"about {self.value!r}"


def expected_xlsx_cell(column: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    name = column.rsplit(".", 1)[-1]
    if name in DATE_COLUMNS:
        return datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time())
    if name in DATETIME_COLUMNS:
        moment = datetime.datetime.fromisoformat(value)
        assert moment.tzinfo is not None, (column, value)
        return _Moment(moment.astimezone(LOCAL_ZONE).replace(tzinfo=None))
    # Control characters cannot be stored in XLSX; an empty text is an empty cell.
    return _text(value).replace("\x01", "") or None


def _columns_cover_json(header: list[str], row: dict[str, Any]) -> None:
    for key, value in row.items():
        nested = any(column.startswith(f"{key}.") for column in header)
        if isinstance(value, dict) and key != "changes":
            assert nested, key
        else:
            assert key in header or (value is None and nested), key


def _json_rows(client, url: str) -> list[dict[str, Any]]:
    body = client.get(url).json()
    return body["results"] if isinstance(body, dict) else body


@pytest.mark.parametrize("url", ENDPOINTS)
def test_csv_and_xlsx_hold_the_same_rows_as_json(data, url):
    client = client_for(admin_user())
    rows = _json_rows(client, url)
    assert rows, "every endpoint has rows in this data set"
    joiner = "&" if "?" in url else "?"

    csv_response = client.get(f"{url}{joiner}format=csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == f'attachment; filename="{FILE_NAMES[url]}.csv"'
    assert csv_response.content.startswith("\ufeff".encode())
    header, *table = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    _columns_cover_json(header, rows[0])
    assert table == [[expected_csv_cell(_dig(row, column)) for column in header] for row in rows]

    xlsx_response = client.get(f"{url}{joiner}format=xlsx")
    assert xlsx_response.status_code == 200
    assert (
        xlsx_response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx_response["Content-Disposition"] == f'attachment; filename="{FILE_NAMES[url]}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    xlsx_header, *xlsx_table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert xlsx_header == header
    assert xlsx_table == [
        [expected_xlsx_cell(column, _dig(row, column)) for column in header] for row in rows
    ]


def _xlsx_sheet(client, url: str) -> tuple[list[str], list[list[Any]]]:
    response = client.get(url)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows())
    return [cell.value for cell in header], rows


def _local(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)


def test_xlsx_dates_and_datetimes_are_real_dates(data):
    """The renderers get JSON's ISO text; XLSX writes date and datetime columns as dates with a
    date format, datetimes as the local time (Asia/Ho_Chi_Minh), while CSV keeps the text."""
    client = client_for(admin_user())
    records = {rec.code: rec for rec in Recommendation.objects.all()}

    header, rows = _xlsx_sheet(client, "/api/v1/recommendations/?ordering=code&format=xlsx")
    assert len(rows) == 3
    for row in rows:
        rec = records[row[header.index("code")].value]
        due, activity = row[header.index("due_date")], row[header.index("last_activity_at")]
        assert due.is_date and due.number_format == "yyyy-mm-dd", due.value
        assert due.value.date() == rec.due_date
        assert activity.is_date and activity.number_format == "yyyy-mm-dd hh:mm:ss", activity.value
        assert activity.value.tzinfo is None
        assert abs(activity.value - _local(rec.last_activity_at)) <= datetime.timedelta(microseconds=500)

    header, rows = _xlsx_sheet(client, "/api/v1/reports/overdue/?format=xlsx")
    assert [row[header.index("code")].value for row in rows] == ["X-2"]
    due = rows[0][header.index("due_date")]
    assert due.is_date and due.value == datetime.datetime.combine(TODAY - DAY, datetime.time())
    assert rows[0][header.index("last_activity_at")].is_date

    weeks = client.get("/api/v1/reports/progress-weekly/?weeks=3").json()
    header, rows = _xlsx_sheet(client, "/api/v1/reports/progress-weekly/?weeks=3&format=xlsx")
    assert len(rows) == len(weeks) == 3
    for row, week in zip(rows, weeks, strict=True):
        start, end = row[header.index("week_start")], row[header.index("week_end")]
        assert start.is_date and end.is_date
        assert start.value.date() == datetime.date.fromisoformat(week["week_start"])
        assert start.value.weekday() == 0 and end.value - start.value == 6 * DAY

    # CSV keeps JSON's ISO text.
    text = client.get("/api/v1/reports/overdue/?format=csv").content.decode("utf-8-sig")
    csv_header, csv_row = list(csv.reader(io.StringIO(text)))
    assert csv_row[csv_header.index("due_date")] == (TODAY - DAY).isoformat()


def test_formula_like_text_is_neutralised_and_never_a_formula(data):
    client = client_for(admin_user())
    text = client.get("/api/v1/recommendations/?format=csv").content.decode("utf-8-sig")
    header, *table = list(csv.reader(io.StringIO(text)))
    titles = {row[header.index("code")]: row[header.index("title")] for row in table}
    assert titles["X-1"] == '\'=HYPERLINK("http://evil.example","bấm")'
    assert titles["X-2"] == "'@SUM(A1:A2)"
    english = {row[header.index("code")]: row[header.index("title_en")] for row in table}
    assert (english["X-1"], english["X-2"]) == ("'+1 cell", "'-2")
    # Numbers are numbers, not text to escape: progress 30, version 2.
    assert table[0][header.index("progress")] == "30"

    response = client.get("/api/v1/recommendations/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
    title_cells = [row[header.index("title")] for row in sheet.iter_rows(min_row=2)]
    assert title_cells[0].value == '\'=HYPERLINK("http://evil.example","bấm")'
    assert title_cells[0].data_type == "s"


def test_spreadsheets_hold_every_matching_row_not_one_page(data):
    client = client_for(admin_user())
    text = client.get("/api/v1/recommendations/?page_size=1&format=csv").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 3
    filtered = client.get("/api/v1/recommendations/?status=accepted&format=csv").content.decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(filtered))] == ["code", "X-1"]


def test_an_empty_export_still_has_its_header():
    client = client_for(admin_user())
    text = client.get("/api/v1/reports/overdue/?format=csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        [
            "code",
            "title",
            "status",
            "progress",
            "due_date",
            "days_overdue",
            "owner_organization.code",
            "owner_organization.name",
            "owner.id",
            "owner.name",
            "owner.email",
            "last_activity_at",
        ]
    ]


def test_errors_stay_json_when_a_spreadsheet_was_asked_for():
    client = client_for(admin_user())
    response = client.get("/api/v1/recommendations/?format=csv&status=nope")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["status"]
    assert client_for(None).get("/api/v1/reports/overdue/?format=xlsx")["Content-Type"] == "application/json"


def test_accept_header_selects_csv_too(data):
    response = client_for(admin_user()).get("/api/v1/themes/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_detail_and_unknown_formats_are_not_spreadsheets(data):
    """406 naming the formats the endpoint has (DRF's own answer was a 404, as if nothing were there)."""
    client = client_for(admin_user())
    detail = client.get("/api/v1/recommendations/X-1/?format=csv")
    assert (detail.status_code, detail["Content-Type"]) == (406, "application/json")
    assert detail.json()["code"] == "not_acceptable"
    offered = detail.json()["detail"].removeprefix("Không có định dạng “csv” ở đây; các định dạng có: ")
    assert "json" in offered.rstrip(".").split(", ") and "csv" not in offered
    listing = client.get("/api/v1/recommendations/?format=pdf")
    assert listing.status_code == 406
    offered = listing.json()["detail"].removeprefix("Không có định dạng “pdf” ở đây; các định dạng có: ")
    assert {"json", "csv", "xlsx"} <= set(offered.rstrip(".").split(", "))
