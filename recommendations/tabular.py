"""CSV and XLSX for recommendations: reading uploaded tables and writing exports.

Writing escapes cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR), so an
exported quote can never execute in the reader's spreadsheet. Text that already starts with "'"
is escaped as well, so that reading can strip exactly the "'" that writing added.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .models import Recommendation
from .xlsx import write_workbook

EXPORT_COLUMNS = (
    "code",
    "title",
    "title_en",
    "status",
    "version",
    "owner_organization",
    "owner",
    "due_date",
    "timeliness",
    "progress",
    "priority",
    "horizon",
    "themes",
    "source",
    "location",
    "proposer_person",
    "proposer_organization",
    "quote",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What escape_formula puts a "'" before: a formula character, or a "'" (else "'-" written as is
# would read back as "-").
ESCAPED_PREFIXES = (*FORMULA_PREFIXES, "'")
# Key under which read_table keeps each row's line number in the file, for error messages.
ROW_NUMBER = "_row"


class TableError(ValueError):
    """The uploaded file cannot be read as a table."""


def escape_formula(value: Any) -> Any:
    """Put a "'" before text that starts with a formula character or with "'"; ``_unescape``
    undoes it."""
    if isinstance(value, str) and value.startswith(ESCAPED_PREFIXES):
        return "'" + value
    return value


def recommendation_export_rows(queryset: QuerySet[Recommendation]) -> Iterator[list[Any]]:
    """Rows for ``EXPORT_COLUMNS``; ``queryset`` should come from ``selectors.recommendation_list``."""
    for rec in queryset.prefetch_related("themes"):
        timeliness = getattr(rec, "timeliness_value", None) or rec.timeliness
        yield [
            rec.code,
            rec.title,
            rec.title_en,
            rec.status,
            rec.version,
            rec.owner_organization.code,
            rec.owner.username if rec.owner else "",
            rec.due_date,
            timeliness or "",
            rec.progress,
            rec.priority,
            rec.horizon,
            ";".join(sorted(t.slug for t in rec.themes.all())),
            rec.source_document.key,
            rec.source_location,
            rec.proposer_person,
            rec.proposer_organization.code if rec.proposer_organization else "",
            rec.quote,
        ]


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so that spreadsheet programs read Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else escape_formula(_cell_text(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "data") -> bytes:
    # Text is stored as text, never as a formula (the writer never writes formulas, but a
    # spreadsheet program re-evaluates an edited cell).
    return write_workbook(header, ([escape_formula(value) for value in row] for row in rows), title=title)


def _cell_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def read_table(content: bytes, filename: str) -> list[dict[str, Any]]:
    """Read a CSV or XLSX upload into dicts keyed by the (lower-cased) header row."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise TableError(_("Không đọc được tệp XLSX: %(error)s") % {"error": error}) from error
        sheet = workbook.worksheets[0]
        raw_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise TableError(_("Tệp CSV phải được mã hoá UTF-8.")) from error
        raw_rows = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        raise TableError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    if not raw_rows:
        raise TableError(_("Tệp không có dữ liệu."))
    header = [str(h or "").strip().lower() for h in raw_rows[0]]
    if "code" not in header:
        raise TableError(_("Dòng tiêu đề phải có cột “code”."))
    table = []
    for line, row in enumerate(raw_rows[1:], start=2):
        if not any(cell not in (None, "") for cell in row):
            continue
        cells = row + [None] * (len(header) - len(row))
        record = {col: _unescape(value) for col, value in zip(header, cells, strict=False) if col}
        record[ROW_NUMBER] = line
        table.append(record)
    if not table:
        raise TableError(_("Tệp không có dữ liệu."))
    return table


def _unescape(value: Any) -> Any:
    # Undo escape_formula so that a file exported here imports back unchanged: strip one "'" when
    # it is followed by a character escape_formula escapes (a "'" alone, or before other text, is
    # not one that writing added, so it stays).
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(ESCAPED_PREFIXES):
        return value[1:]
    return value
