"""CSV and XLSX renderers: every list and report can be downloaded as a spreadsheet.

The columns come from the view's serializer, so an empty result still has its header row and the
order is the same as in JSON. Nested objects become dotted columns (``owner.name``), lists are
joined with "; ", and any text cell that a spreadsheet could take for a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an apostrophe.

The renderers receive the JSON form of the data, so dates and datetimes arrive as ISO 8601 text.
CSV writes that text as it is; XLSX turns the values of the columns whose serializer field is a
``DateField`` or ``DateTimeField`` (nested ones too) back into ``date`` and ``datetime`` objects,
which the writer stores as real dates (a datetime in the current time zone, as JSON shows it).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rest_framework import ISO_8601, serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.settings import api_settings

from ..tabular import write_csv, write_xlsx

TABULAR_FORMATS = frozenset({"csv", "xlsx"})
LIST_SEPARATOR = "; "


def export_fields(
    serializer: serializers.BaseSerializer[Any],
) -> list[tuple[str, serializers.Field[Any, Any, Any, Any]]]:
    """The columns of ``serializer``'s output, each with the field that writes it: nested
    serializers flattened with dots."""
    single = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
    if not isinstance(single, serializers.Serializer):
        raise TypeError(f"cannot export {serializer!r}: its rows have no named fields")
    columns: list[tuple[str, serializers.Field[Any, Any, Any, Any]]] = []
    for name, field in single.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.Serializer):
            columns += [(f"{name}.{column}", inner) for column, inner in export_fields(field)]
        else:
            columns.append((name, field))
    return columns


def export_columns(serializer: serializers.BaseSerializer[Any]) -> list[str]:
    """Column names for ``serializer``'s output: nested serializers flattened with dots."""
    return [name for name, _field in export_fields(serializer)]


def _from_iso(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A cell reader: ``parse`` for ISO text, anything else (None, unparsable text) left as it is."""

    def read(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse(value)
            except ValueError:
                pass
        return value

    return read


_iso_date = _from_iso(datetime.date.fromisoformat)
_iso_datetime = _from_iso(datetime.datetime.fromisoformat)


def date_parser(field: serializers.Field[Any, Any, Any, Any]) -> Callable[[Any], Any] | None:
    """For a ``DateTimeField`` or ``DateField`` that writes ISO 8601 (DRF's default), the function
    that reads its JSON text back into a ``datetime`` or ``date``; ``None`` for other fields.

    A field with another output format writes text that is left as it is; one with
    ``format=None`` writes the objects themselves, which need nothing."""
    if isinstance(field, serializers.DateTimeField):
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        parse = _iso_datetime
    elif isinstance(field, serializers.DateField):
        output_format = getattr(field, "format", api_settings.DATE_FORMAT)
        parse = _iso_date
    else:
        return None
    if isinstance(output_format, str) and output_format.lower() == ISO_8601:
        return parse
    return None


def export_value(row: Mapping[str, Any], column: str) -> Any:
    """The value of a dotted ``column`` in a JSON-like ``row``; a missing parent gives ``None``."""
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def export_cell(value: Any) -> Any:
    """One cell: numbers and booleans stay as they are, lists and objects become text.

    The writers in ``tabular`` escape text that a spreadsheet could run as a formula."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        text = LIST_SEPARATOR.join("" if item is None else str(item) for item in value)
    elif isinstance(value, Mapping):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text


def export_rows(
    data: Any, columns: list[str], parsers: Sequence[Callable[[Any], Any] | None] = ()
) -> Iterable[list[Any]]:
    """The cells of each row of ``data``; ``parsers`` (one per column, or ``None``) turn the
    cells of some columns from text into other values, such as dates."""
    if isinstance(data, Mapping):
        data = data.get("results", [data])
    parsed = [(index, parse) for index, parse in enumerate(parsers) if parse is not None]
    for row in data:
        cells = [export_cell(export_value(row, column)) for column in columns]
        for index, parse in parsed:
            cells[index] = parse(cells[index])
        yield cells


class _TabularRenderer(BaseRenderer):
    # Whether the values of date and datetime columns are written as dates, not as their text.
    dates_as_dates = False

    def header_and_rows(
        self, data: Any, renderer_context: Mapping[str, Any] | None
    ) -> tuple[list[str], Iterable[list[Any]]]:
        context = renderer_context or {}
        view = context.get("view")
        response = context.get("response")
        if view is not None and response is not None:
            name = view.export_filename() if hasattr(view, "export_filename") else "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        if view is None:
            raise RuntimeError("tabular renderers need the view: its serializer names the columns")
        fields = export_fields(view.get_serializer())
        columns = [name for name, _field in fields]
        parsers = [date_parser(field) for _name, field in fields] if self.dates_as_dates else []
        return columns, export_rows(data, columns, parsers)


class CSVRenderer(_TabularRenderer):
    """UTF-8 CSV with a byte-order mark, so that spreadsheet programs read Vietnamese correctly."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return write_csv(*self.header_and_rows(data, renderer_context))


class XLSXRenderer(_TabularRenderer):
    """XLSX with dates as dates (a datetime in the current time zone) and numbers as numbers."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"
    dates_as_dates = True

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return write_xlsx(*self.header_and_rows(data, renderer_context), title="export")
