"""History rows as people read them: each change named by its field's label, old → new.

``HistoryEntry.changes`` keeps what the services recorded — field names and ``[old, new]``
values, dates in ISO form, choices by their stored value — because the API and the exports hand
it on to programs. Staff reading an item's history in the admin see this instead.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .models import Evidence, HistoryEntry, Recommendation

EMPTY = "—"


@dataclass(frozen=True)
class ChangeLine:
    label: str
    text: str


def _field(name: str) -> Any:
    try:
        return Recommendation._meta.get_field(name)
    except FieldDoesNotExist:
        return None  # a field since removed: its recorded name and values are all there is


def _value_text(field: Any, value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if field is None:
        return str(value)
    choices = dict(getattr(field, "flatchoices", None) or ())
    if value in choices:
        return str(choices[value])
    if field.get_internal_type() == "DateField" and isinstance(value, str):
        try:
            return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if field.name == "progress":
        return f"{value}%"
    return str(value)


def _keys_text(old: Iterable[str], new: Iterable[str]) -> str:
    """A many-to-many change (themes by slug, addressees by code) as what was added and removed."""
    old_keys, new_keys = set(old), set(new)
    parts = []
    if added := sorted(new_keys - old_keys):
        parts.append(_("thêm %(keys)s") % {"keys": ", ".join(added)})
    if removed := sorted(old_keys - new_keys):
        parts.append(_("bỏ %(keys)s") % {"keys": ", ".join(removed)})
    return "; ".join(parts) or EMPTY


def change_lines(entry: HistoryEntry) -> list[ChangeLine]:
    """What ``entry`` changed, one line per field, in the reader's language."""
    changes = entry.changes or {}
    if entry.kind in (HistoryEntry.Kind.EVIDENCE_ADDED, HistoryEntry.Kind.EVIDENCE_WITHDRAWN):
        kind = changes.get("kind")
        text = f"#{changes.get('evidence_id', '?')}"
        if kind in Evidence.Kind.values:
            text += f" ({Evidence.Kind(kind).label})"
        return [ChangeLine(str(capfirst(Evidence._meta.verbose_name)), text)]
    lines = []
    for name, pair in changes.items():
        field = _field(name)
        label = str(capfirst(field.verbose_name)) if field is not None else name
        if not (isinstance(pair, list) and len(pair) == 2):
            text = str(pair)
        elif isinstance(pair[0], list) or isinstance(pair[1], list):
            text = _keys_text(pair[0] or [], pair[1] or [])
        else:
            text = " → ".join(_value_text(field, value) for value in pair)
        lines.append(ChangeLine(label, text))
    return lines
