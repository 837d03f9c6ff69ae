"""Reads that need care: lists with their joins done once, timeliness computed in SQL."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from django.contrib.auth.models import Group
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, CharField, Count, F, Field, Model, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import TruncWeek
from django.db.models.lookups import In
from django.utils import timezone
from rest_framework.authtoken.models import Token

from . import roles, rows
from .models import (
    Evidence,
    HistoryEntry,
    Organization,
    Recommendation,
    SourceDocument,
    Theme,
    User,
    compute_timeliness,
)
from .search import normalize_for_search
from .workflow import DONE_STATUSES, OPEN_STATUSES, Status, Timeliness


def _token_user_sql(connection: BaseDatabaseWrapper) -> str:
    def column(model: type[Model], name: str) -> str:
        return rows.column(connection, model, name)

    quote = connection.ops.quote_name
    groups: Any = User._meta.get_field("groups")
    user_columns = ", ".join(f"u.{column(User, field.name)}" for field in User._meta.concrete_fields)
    selected = f"{user_columns}, t.{column(Token, 'created')} AS token_created, g.{column(Group, 'name')}"
    return (
        f"SELECT {selected} AS group_name FROM {quote(Token._meta.db_table)} t"  # noqa: S608 - names only
        f" INNER JOIN {quote(User._meta.db_table)} u ON u.{column(User, 'id')} = t.{column(Token, 'user')}"
        f" LEFT JOIN {quote(groups.m2m_db_table())} ug"
        f" ON ug.{quote(groups.m2m_column_name())} = u.{column(User, 'id')}"
        f" LEFT JOIN {quote(Group._meta.db_table)} g"
        f" ON g.{column(Group, 'id')} = ug.{quote(groups.m2m_reverse_name())}"
        f" WHERE t.{column(Token, 'key')} = %s"
    )


def token_user(key: str) -> tuple[User, Token] | None:
    """The user of an API token, with their role groups, in one query; None for an unknown key.

    Every API request starts here. DRF's own lookup, the token with its user and then the groups
    for the role check, took two ORM queries whose building alone cost a third of the CPU time of
    the cheapest request (``bench/profile.py``). This one is written once per connection from the
    models' own columns (``rows``); its values are converted and the user built as the ORM would
    (Django's ``raw()`` did the same at twice the CPU time).
    """
    using = router.db_for_read(User)
    connection = connections[using]
    user_fields = User._meta.concrete_fields
    created = cast(Field, Token._meta.get_field("created"))
    query = rows.prepared(connection, "token_user", [*user_fields, created], _token_user_sql)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [key])
        # One row per group; one with no group name when the user has none.
        found = cursor.fetchall()
    if not found:
        return None
    values = query.convert(found[0], connection)
    user = rows.instance(User, using, user_fields, values)
    roles.remember_group_names(user, {row[-1] for row in found if row[-1] is not None})
    token = Token(key=key, user=user, created=values[len(user_fields)])
    token._state.adding, token._state.db = False, using
    return user, token


def timeliness_expression(today: datetime.date | None = None) -> Case:
    """SQL for ``models.compute_timeliness``: done on time / done late / in time / overdue."""
    today = today or timezone.localdate()
    done = Q(status__in=DONE_STATUSES)
    return Case(
        When(status=Status.REJECTED, then=Value(None)),
        When(
            done
            & (
                Q(due_date__isnull=True)
                | Q(completed_at__isnull=True)
                | Q(completed_at__date__lte=F("due_date"))
            ),
            then=Value(Timeliness.DONE_ON_TIME.value),
        ),
        When(done, then=Value(Timeliness.DONE_LATE.value)),
        When(Q(due_date__isnull=True) | Q(due_date__gte=today), then=Value(Timeliness.IN_TIME.value)),
        default=Value(Timeliness.OVERDUE.value),
        output_field=CharField(null=True),
    )


def timeliness_filter(value: str, today: datetime.date | None = None) -> Q:
    """The same rule as a WHERE clause, so that a filter can use the indexes."""
    today = today or timezone.localdate()
    done = Q(status__in=DONE_STATUSES)
    on_time = done & (
        Q(due_date__isnull=True) | Q(completed_at__isnull=True) | Q(completed_at__date__lte=F("due_date"))
    )
    if value == Timeliness.DONE_ON_TIME:
        return on_time
    if value == Timeliness.DONE_LATE:
        return done & ~on_time
    if value == Timeliness.IN_TIME:
        return Q(status__in=OPEN_STATUSES) & (Q(due_date__isnull=True) | Q(due_date__gte=today))
    if value == Timeliness.OVERDUE:
        return overdue_filter(today)
    raise ValueError(f"unknown timeliness {value!r}")


def overdue_filter(today: datetime.date | None = None) -> Q:
    return Q(status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate())


def recommendation_list(*, today: datetime.date | None = None) -> QuerySet[Recommendation]:
    """Recommendations with everything a list row shows, in a fixed number of queries."""
    return (
        Recommendation.objects.select_related(
            "owner_organization", "owner", "source_document", "proposer_organization"
        )
        .annotate(timeliness_value=timeliness_expression(today))
        .order_by("code")
    )


# What a list row shows (the API's ``RecommendationSerializer``), as columns. Rows are read as
# dicts: building a model instance and its four related ones for each row of a page cost more
# than the page's query itself (the benchmark's profile, README "Performance").
RECOMMENDATION_ROW_COLUMNS = (
    "id",
    "code",
    "title",
    "title_en",
    "status",
    "priority",
    "progress",
    "due_date",
    "completed_at",
    "version",
    "last_activity_at",
    "owner_organization__code",
    "owner_organization__name",
    "owner_id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "owner__email",
    "source_document__key",
    "source_document__title",
    "proposer_organization__code",
    "proposer_organization__name",
)
# Bound parameters per query when reading the themes of many rows (SQLite allows 32,766).
_THEME_BATCH = 5000


def recommendation_list_rows() -> QuerySet[Recommendation]:
    """All recommendations in list order, to be filtered, paged and read by ``recommendation_rows``
    (which joins what it needs; timeliness is then computed on the page's rows alone)."""
    return Recommendation.objects.order_by("code")


def recommendation_rows(queryset: QuerySet[Recommendation]) -> QuerySet[Any]:
    """``queryset`` (filtered and ordered) as list-row dicts, still lazy so that it can be
    counted and paged. Complete them with ``completed_rows``."""
    return queryset.values(*RECOMMENDATION_ROW_COLUMNS)


def completed_rows(
    rows: Iterable[dict[str, Any]], *, today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """The rows, each given ``theme_slugs`` (sorted; one query per 5,000 rows) and
    ``timeliness`` (``compute_timeliness``, the Python mirror of ``timeliness_expression``)."""
    rows = list(rows)
    today = today or timezone.localdate()
    slugs: dict[int, list[str]] = defaultdict(list)
    through = Recommendation.themes.through
    for start in range(0, len(rows), _THEME_BATCH):
        ids = [row["id"] for row in rows[start : start + _THEME_BATCH]]
        pairs = (
            through.objects.filter(recommendation_id__in=ids)
            .order_by("theme__slug")
            .values_list("recommendation_id", "theme__slug")
        )
        for recommendation_id, slug in pairs:
            slugs[recommendation_id].append(slug)
    for row in rows:
        row["theme_slugs"] = slugs.get(row["id"], [])
        row["timeliness"] = compute_timeliness(
            status=row["status"], due_date=row["due_date"], completed_at=row["completed_at"], today=today
        )
    return rows


class PagedRows:
    """``queryset`` (filtered and ordered) as a paginator sees it: counted without the joins of
    the rows, and a page sliced from it read as completed list rows, its ids chosen first in a
    subquery of the same query (the database skips ``OFFSET`` ids in an index, not joined rows)."""

    def __init__(self, queryset: QuerySet[Recommendation]) -> None:
        self._queryset = queryset

    @property
    def ordered(self) -> bool:
        return self._queryset.ordered

    def count(self) -> int:
        return self._queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        page_ids = self._queryset.values("pk")[page]
        # The filters are in the subquery already; the rows are only put in the same order.
        page_items = Recommendation.objects.filter(pk__in=page_ids).order_by(*self._queryset.query.order_by)
        return completed_rows(recommendation_rows(page_items))


def recommendation_detail(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """``queryset`` (from ``recommendation_list``) with everything the detail view shows."""
    return queryset.prefetch_related(
        Prefetch("themes", queryset=Theme.objects.order_by("slug")),
        Prefetch("addressed_to", queryset=Organization.objects.order_by("code")),
        "citations__source_document",
    )


def recommendation_search(queryset: QuerySet[Recommendation], query: str) -> QuerySet[Recommendation]:
    """Match every word of ``query`` with or without diacritics against code, titles and quote."""
    return folded_search(queryset, query)


_M = TypeVar("_M", bound=Model)


def folded_search(queryset: QuerySet[_M], term: str, *, or_item_code: bool = False) -> QuerySet[_M]:
    """The rows in which every word of ``term``, folded (``search.normalize_for_search``), is in the
    stored ``search_text`` column or, with ``or_item_code``, in the code of the row's
    ``recommendation`` (ignoring case).

    For tables too large to fold in Python; their services keep ``search_text`` up to date, and on
    PostgreSQL a trigram index serves the ``LIKE '%word%'``.
    """
    for word in normalize_for_search(term).split():
        match = Q(search_text__contains=word)
        if or_item_code:
            match |= Q(_InSubquery(F("recommendation_id"), _items_whose_code_contains(word)))
        queryset = queryset.filter(match)
    return queryset


def _items_whose_code_contains(word: str) -> QuerySet[Recommendation, Any]:
    # An item's folded code starts its own search_text (codes are ASCII letters, digits and
    # ._-, see ``recommendation_code_validator``), so the search_text condition never drops a
    # match: it only lets PostgreSQL find the candidates with the trigram index instead of reading
    # every item (37 ms instead of 320 ms for one code among 1,000,000 items).
    return (
        Recommendation.objects.filter(search_text__contains=word, code__icontains=word)
        .order_by()
        .values("pk")
    )


class _InSubquery(In):
    """``lhs IN (subquery)``, written ``lhs = ANY(ARRAY(subquery))`` on PostgreSQL.

    Under an OR, PostgreSQL tests ``IN (subquery)`` row by row over the whole table, and a join to
    the item's code would be just as bad (both over a second at 2,000,000 evidence rows). The
    array is computed once, first, and the OR becomes two index scans (trigram, foreign key):
    about 100 ms there."""

    def get_rhs_op(self, connection: BaseDatabaseWrapper, rhs: str) -> str:
        if connection.vendor == "postgresql":
            return f"= ANY(ARRAY{rhs})"
        return super().get_rhs_op(connection, rhs)


def evidence_search(queryset: QuerySet[Evidence], term: str) -> QuerySet[Evidence]:
    """Evidence whose note, file name or link, or item code, holds each word of ``term``."""
    return folded_search(queryset, term, or_item_code=True)


def history_search(queryset: QuerySet[HistoryEntry], term: str) -> QuerySet[HistoryEntry]:
    """History rows whose comment or item code holds each word of ``term``."""
    return folded_search(queryset, term, or_item_code=True)


def folded_search_in_python(queryset: QuerySet[_M], term: str, fields: Sequence[str]) -> QuerySet[_M]:
    """The rows in which every word of ``term`` is in one of ``fields``, with or without diacritics,
    both sides folded in Python: for small tables (a few thousand rows at most) that have no
    ``search_text`` column. One query reads the fields of every row of ``queryset``."""
    words = normalize_for_search(term).split()
    if not words:
        return queryset
    matching = []
    for pk, *values in queryset.order_by().values_list("pk", *fields):
        # Joined with spaces, which no word contains: a word never matches across two fields.
        text = normalize_for_search(" ".join(str(v) for v in values if v is not None))
        if all(word in text for word in words):
            matching.append(pk)
    return queryset.filter(pk__in=matching)


def recommendation_history(recommendation: Recommendation) -> QuerySet[HistoryEntry]:
    return recommendation.history.select_related("actor").order_by("created_at", "id")


# --- Reports ---
# Every report is one aggregate query (two for the weekly progress): rows are grouped and counted
# by the database, never loaded and counted in Python.


def _status_counts(counted: str = "pk", prefix: str = "") -> dict[str, Any]:
    """``COUNT(…) FILTER (WHERE status = …)`` for every status, plus the total."""
    counts: dict[str, Any] = {
        status.value: Count(counted, filter=Q(**{f"{prefix}status": status.value})) for status in Status
    }
    counts["total"] = Count(counted)
    return counts


def _status_pivot(group_field: str) -> dict[int, dict[str, int]]:
    """Counts by status for each value of ``group_field``, from one GROUP BY on the
    recommendation table alone (an index-only scan on ``(group_field, status)``).

    Joining the names first would make the database carry them through the whole aggregation:
    at 1,000,000 items that was eight times slower than grouping by ids and naming the few
    groups afterwards.
    """
    pivot: dict[int, dict[str, int]] = {}
    # COUNT(*), not COUNT(id): the id is not in the index, and reading it turns the index-only
    # scan into a scan of the whole table (670 ms instead of 104 ms at 1,000,000 items).
    grouped = Recommendation.objects.order_by().values_list(group_field, "status").annotate(n=Count("*"))
    for group_id, status, count in grouped:
        row = pivot.setdefault(group_id, dict.fromkeys([*Status.values, "total"], 0))
        row[status] = count
        row["total"] += count
    return pivot


def report_status_by_organization() -> list[dict[str, Any]]:
    """One row per owner organization that owns at least one item: counts by status, total."""
    pivot = _status_pivot("owner_organization_id")
    names = Organization.objects.filter(pk__in=pivot).order_by("code").values_list("pk", "code", "name")
    return [{"organization_code": code, "organization_name": name, **pivot[pk]} for pk, code, name in names]


def report_status_by_source() -> list[dict[str, Any]]:
    """One row per source document that holds at least one item: counts by status, total."""
    pivot = _status_pivot("source_document_id")
    names = SourceDocument.objects.filter(pk__in=pivot).order_by("key").values_list("pk", "key", "title")
    return [{"source_key": key, "source_title": title, **pivot[pk]} for pk, key, title in names]


def report_status_by_theme() -> QuerySet[Theme, Any]:
    """One row per theme, including themes with no item yet: counts by status, total.

    An item with several themes counts once under each of them.
    """
    return (
        Theme.objects.values(theme_slug=F("slug"), theme_name=F("name"))
        .annotate(**_status_counts("recommendations", "recommendations__"))
        .order_by("theme_slug")
    )


def report_timeliness_by_organization(*, today: datetime.date | None = None) -> QuerySet[Recommendation, Any]:
    """Per owner organization: total, rejected, done, and the four timeliness classes."""
    today = today or timezone.localdate()
    return (
        Recommendation.objects.values(
            organization_code=F("owner_organization__code"),
            organization_name=F("owner_organization__name"),
        )
        .annotate(
            total=Count("pk"),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            done=Count("pk", filter=Q(status__in=DONE_STATUSES)),
            **{value: Count("pk", filter=timeliness_filter(value, today)) for value in Timeliness.values},
        )
        .order_by("organization_code")
    )


def report_overdue(*, today: datetime.date | None = None) -> QuerySet[Recommendation]:
    """Open items past their due date, the longest overdue first."""
    return recommendation_list(today=today).filter(overdue_filter(today)).order_by("due_date", "code")


def _status_deltas() -> dict[str, Any]:
    """Net change of the number of items in each status carried by a set of history rows.

    A ``created`` row puts an item into its first status; a ``status`` row moves one item out of
    ``from_status`` and into ``to_status``.
    """
    return {
        status.value: Count("pk", filter=Q(to_status=status.value))
        - Count("pk", filter=Q(kind=HistoryEntry.Kind.STATUS, from_status=status.value))
        for status in Status
    }


def report_weekly_status(*, weeks: int, until: datetime.date) -> list[dict[str, Any]]:
    """Status of the whole catalogue at the end of each of ``weeks`` weeks ending with ``until``'s.

    Derived from history (``created`` and ``status`` rows), so it shows the past as it was. Weeks
    run Monday to Sunday in the tracker's time zone; the current week counts up to now. Two
    queries: the net changes before the first week, and the net changes grouped by week; the
    running total over those (at most ``weeks``) grouped rows is then summed up here.
    """
    tz = timezone.get_current_timezone()
    last_monday = until - datetime.timedelta(days=until.weekday())
    first_monday = last_monday - datetime.timedelta(weeks=weeks - 1)
    start = datetime.datetime.combine(first_monday, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last_monday + datetime.timedelta(weeks=1), datetime.time.min, tzinfo=tz)
    rows = HistoryEntry.objects.filter(kind__in=[HistoryEntry.Kind.CREATED, HistoryEntry.Kind.STATUS])
    running: dict[str, int] = {
        status: int(value or 0)
        for status, value in rows.filter(created_at__lt=start).aggregate(**_status_deltas()).items()
    }
    weekly: QuerySet[HistoryEntry, Any] = (
        rows.filter(created_at__gte=start, created_at__lt=end)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week")
        .annotate(**_status_deltas())
        .order_by("week")
    )
    by_week = {
        timezone.localtime(row["week"], tz).date(): {status: int(row[status]) for status in Status.values}
        for row in weekly
    }
    report = []
    for index in range(weeks):
        monday = first_monday + datetime.timedelta(weeks=index)
        for status, delta in by_week.get(monday, {}).items():
            running[status] += delta
        report.append(
            {
                "week_start": monday,
                "week_end": monday + datetime.timedelta(days=6),
                **running,
                "total": sum(running.values()),
            }
        )
    return report
