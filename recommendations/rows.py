"""Reads whose SQL is written once per connection instead of being built by the ORM on each call.

For the reads on the hottest paths: the token's user, which every API request makes
(``selectors.token_user``), and the locked item of a transition (``services._lock_for_transition``).
Building those queries through the ORM cost more CPU than running them (``bench/profile.py``).
The SQL is written from the models' own tables and columns; the values are converted as the ORM
converts them (dates are text on SQLite), and instances are built by ``Model.from_db``, as the
ORM builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import Col


def column(connection: BaseDatabaseWrapper, model: type[Model], name: str) -> str:
    """The quoted column of ``model``'s field ``name``."""
    return connection.ops.quote_name(cast(str, cast(Field, model._meta.get_field(name)).column))


@dataclass(frozen=True)
class Query:
    sql: str
    # For each selected column that needs one, its place in the row and the ORM's conversions.
    conversions: tuple[tuple[int, Col, tuple[Callable[..., Any], ...]], ...]

    def convert(self, row: Sequence[Any], connection: BaseDatabaseWrapper) -> list[Any]:
        values = list(row)
        for index, expression, converters in self.conversions:
            for converter in converters:
                values[index] = converter(values[index], expression, connection)
        return values


_QUERIES: WeakKeyDictionary[BaseDatabaseWrapper, dict[str, Query]] = WeakKeyDictionary()


def prepared(
    connection: BaseDatabaseWrapper,
    name: str,
    selected: Sequence[Field[Any, Any]],
    sql: Callable[[BaseDatabaseWrapper], str],
) -> Query:
    """The query called ``name`` on this connection, whose SQL (``sql(connection)``) selects the
    columns of the fields ``selected``, in that order (then possibly more, not converted).
    Worked out on first use; a connection serves one thread, so its queries need no lock."""
    queries = _QUERIES.get(connection)
    if queries is None:
        queries = _QUERIES[connection] = {}
    query = queries.get(name)
    if query is None:
        conversions = []
        for index, field in enumerate(selected):
            expression = Col(field.model._meta.db_table, field)
            converters = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
            if converters:
                conversions.append((index, expression, tuple(converters)))
        query = queries[name] = Query(sql(connection), tuple(conversions))
    return query


_M = TypeVar("_M", bound=Model)


def instance(model: type[_M], using: str, fields: Sequence[Field[Any, Any]], values: Sequence[Any]) -> _M:
    """An instance of ``model`` read from the database with the converted ``values`` of ``fields``
    (the others deferred), as a queryset would have built it. ``fields`` come in the model's
    order, as ``Model.from_db`` takes them."""
    return model.from_db(using, [field.attname for field in fields], list(values[: len(fields)]))
