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
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
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

# Limits on an upload, beside the settings IMPORT_MAX_BYTES (the upload), IMPORT_MAX_ROWS and
# IMPORT_MAX_UNCOMPRESSED_BYTES (see read_table). A table may have data in this many columns
# (the export has 18).
MAX_COLUMNS = 100
# An XLSX file: members in the archive (a workbook has about ten), how many times a member may be
# packed (XML in real files packs 2 to 30 times; members of less than _RATIO_FLOOR unpacked are
# not judged), and the XML elements openpyxl may have to build at once (a full row of 16,384
# cells with formulas is 49,152).
MAX_ARCHIVE_MEMBERS = 1000
MAX_PACKING_RATIO = 100
_RATIO_FLOOR = 1024 * 1024
MAX_XML_ELEMENTS = 65_536
# Elements whose children openpyxl reads one at a time (the document element is not judged).
_STREAMED_ELEMENTS = {"sheetData"}
_CHUNK = 64 * 1024
# What reading an XLSX file can raise on a broken file: zipfile, zlib and openpyxl's errors, and
# the XML parser's (a SyntaxError).
_XLSX_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    LookupError,  # KeyError, and IndexError for a workbook without a sheet
    OSError,
    ValueError,
    SyntaxError,
)


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
    """Read a CSV or XLSX upload into dicts keyed by the (lower-cased) header row.

    Within limits, so that a small upload cannot make the server unpack or hold far more than it
    (``IMPORT_MAX_BYTES``, the upload's own size, is checked by the caller): an XLSX file is
    refused before openpyxl opens it when ``_check_archive`` finds it a ZIP bomb; any table is
    refused past ``IMPORT_MAX_ROWS`` rows below the header, with data past ``MAX_COLUMNS``
    columns, or with more than ``IMPORT_MAX_UNCOMPRESSED_BYTES`` characters of text in its cells.
    Rows are read one at a time, and reading stops at the first limit passed.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.endswith(".csv"):
        rows = _csv_rows(content)
    else:
        raise TableError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    try:
        return _records(rows)
    finally:
        rows.close()


def _records(rows: Iterator[Sequence[Any]]) -> list[dict[str, Any]]:
    max_rows = settings.IMPORT_MAX_ROWS
    # Counted on the text kept, not on the file: the cells of a workbook can all repeat one long
    # shared string.
    text_limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    text_length = 0
    first = next(rows, None)
    if first is None:
        raise TableError(_("Tệp không có dữ liệu."))
    header = [str(h or "").strip().lower() for h in _within_columns(first)]
    if "code" not in header:
        raise TableError(_("Dòng tiêu đề phải có cột “code”."))
    table = []
    for line, raw in enumerate(rows, start=2):
        if line > max_rows + 1:
            raise TableError(
                _("Tệp có quá nhiều dòng (tối đa %(limit)s dòng dữ liệu).") % {"limit": max_rows}
            )
        row = _within_columns(raw)
        if not any(cell not in (None, "") for cell in row):
            continue
        cells = row + [None] * (len(header) - len(row))
        record = {col: _unescape(value) for col, value in zip(header, cells, strict=False) if col}
        text_length += sum(len(value) for value in record.values() if isinstance(value, str))
        if text_length > text_limit:
            raise TableError(
                _("Nội dung các ô của tệp quá dài (tối đa %(limit)s ký tự).") % {"limit": text_limit}
            )
        record[ROW_NUMBER] = line
        table.append(record)
    if not table:
        raise TableError(_("Tệp không có dữ liệu."))
    return table


def _within_columns(row: Sequence[Any]) -> list[Any]:
    """The row's first ``MAX_COLUMNS`` cells; refused if a cell past them holds a value."""
    if len(row) > MAX_COLUMNS:
        if not {None, ""}.issuperset(row[MAX_COLUMNS:]):
            raise TableError(
                _("Tệp có dữ liệu ở quá nhiều cột (tối đa %(limit)s cột).") % {"limit": MAX_COLUMNS}
            )
        row = row[:MAX_COLUMNS]
    return list(row)


def _csv_rows(content: bytes) -> Generator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TableError(_("Tệp CSV phải được mã hoá UTF-8.")) from error
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as error:
        raise TableError(_("Không đọc được tệp CSV: %(error)s") % {"error": error}) from error


def _xlsx_rows(content: bytes) -> Generator[Sequence[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_archive(archive)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            if (sheet.max_column or 0) > MAX_COLUMNS:
                # A claimed range such as A1:XFD1048576 would pad every row to its width: each row
                # is then as wide as its own last cell.
                sheet.reset_dimensions()
            yield from sheet.iter_rows(values_only=True)
        finally:
            workbook.close()
    except TableError:
        raise
    except _XLSX_ERRORS as error:
        raise TableError(_("Không đọc được tệp XLSX: %(error)s") % {"error": error}) from error


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse an XLSX file that would unpack into far more than a table.

    Judged on the sizes the archive's directory declares, before anything is unpacked: reading a
    member never yields more than its declared size (``zipfile`` stops there, and a member whose
    data do not match its declared size and checksum fails to read), so openpyxl can then unpack
    no more than that. The XML is then read through once, a piece at a time (``_check_xml``).
    """
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise TableError(
            _("Tệp XLSX có quá nhiều thành phần (tối đa %(limit)s).") % {"limit": MAX_ARCHIVE_MEMBERS}
        )
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    if sum(member.file_size for member in members) > limit:
        raise TableError(
            _("Tệp XLSX khi giải nén quá lớn (tối đa %(limit)s).") % {"limit": filesizeformat(limit)}
        )
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > MAX_PACKING_RATIO * member.compress_size:
            raise TableError(
                _("Tệp XLSX bị nén bất thường (một thành phần nén hơn %(limit)s lần).")
                % {"limit": MAX_PACKING_RATIO}
            )
    for member in members:
        if not member.is_dir():
            with archive.open(member) as part:
                _check_xml(part)


def _check_xml(part: IO[bytes]) -> None:
    """Refuse XML that openpyxl would build into one huge object.

    openpyxl reads a sheet's rows and the shared strings one at a time, but builds each row, each
    string and each other part of the file whole: one row of millions of cells, in a file of a
    few megabytes, would take gigabytes. Below the document element and the sheet's
    ``sheetData``, an element may hold at most ``MAX_XML_ELEMENTS`` elements in all. Entity
    declarations (never in a real XLSX file) are refused. A member that is not XML (an image) is
    left to openpyxl, which reads it with the same parser (expat).
    """
    parser = expat.ParserCreate(namespace_separator="}")
    depth = count = 0
    # The depth of the outermost element being counted (0: none) and the count before it.
    item_depth = item_start = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, count, item_depth, item_start
        depth += 1
        count += 1
        if item_depth:
            if count - item_start > MAX_XML_ELEMENTS:
                raise TableError(
                    _("Tệp XLSX có một dòng hoặc một phần quá lớn (tối đa %(limit)s thẻ XML).")
                    % {"limit": MAX_XML_ELEMENTS}
                )
        elif depth > 1 and name.rpartition("}")[2] not in _STREAMED_ELEMENTS:
            item_depth, item_start = depth, count

    def end(name: str) -> None:
        nonlocal depth, item_depth
        if depth == item_depth:
            item_depth = 0
        depth -= 1

    def entity_declaration(*args: object) -> None:
        raise TableError(_("Tệp XLSX có khai báo thực thể XML, không được phép."))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = entity_declaration
    try:
        while chunk := part.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        return  # not XML, or broken: openpyxl refuses it if it reads it


def _unescape(value: Any) -> Any:
    # Undo escape_formula so that a file exported here imports back unchanged: strip one "'" when
    # it is followed by a character escape_formula escapes (a "'" alone, or before other text, is
    # not one that writing added, so it stays).
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(ESCAPED_PREFIXES):
        return value[1:]
    return value
