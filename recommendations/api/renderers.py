"""CSV and XLSX renderers: every list and report can be downloaded as a spreadsheet.

The columns come from the view's serializer, so an empty result still has its header row and the
order is the same as in JSON. Nested objects become dotted columns (``owner.name``), lists are
joined with "; ", and any text cell that a spreadsheet could take for a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from ..tabular import write_csv, write_xlsx

TABULAR_FORMATS = frozenset({"csv", "xlsx"})
LIST_SEPARATOR = "; "


def export_columns(serializer: serializers.BaseSerializer[Any]) -> list[str]:
    """Column names for ``serializer``'s output: nested serializers flattened with dots."""
    single = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
    if not isinstance(single, serializers.Serializer):
        raise TypeError(f"cannot export {serializer!r}: its rows have no named fields")
    columns: list[str] = []
    for name, field in single.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.Serializer):
            columns += [f"{name}.{column}" for column in export_columns(field)]
        else:
            columns.append(name)
    return columns


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


def export_rows(data: Any, columns: list[str]) -> Iterable[list[Any]]:
    if isinstance(data, Mapping):
        data = data.get("results", [data])
    for row in data:
        yield [export_cell(export_value(row, column)) for column in columns]


class _TabularRenderer(BaseRenderer):
    def header_and_rows(
        self, data: Any, renderer_context: Mapping[str, Any] | None
    ) -> tuple[list[str], Iterable[list[Any]]]:
        context = renderer_context or {}
        view = context.get("view")
        response = context.get("response")
        if view is not None and response is not None:
            name = getattr(view, "export_name", "export")
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.format}"'
        if view is None:
            raise RuntimeError("tabular renderers need the view: its serializer names the columns")
        columns = export_columns(view.get_serializer())
        return columns, export_rows(data, columns)


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
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return write_xlsx(*self.header_and_rows(data, renderer_context), title="export")
