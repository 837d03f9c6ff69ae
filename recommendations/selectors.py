"""Reads that need care: lists with their joins done once, timeliness computed in SQL."""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.utils import timezone

from .models import HistoryEntry, Recommendation
from .search import normalize_for_search
from .workflow import DONE_STATUSES, OPEN_STATUSES, Status, Timeliness


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


def recommendation_search(queryset: QuerySet[Recommendation], query: str) -> QuerySet[Recommendation]:
    """Match every word of ``query`` with or without diacritics against code, titles and quote."""
    for word in normalize_for_search(query).split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def recommendation_history(recommendation: Recommendation) -> QuerySet[HistoryEntry]:
    return recommendation.history.select_related("actor").order_by("created_at", "id")
