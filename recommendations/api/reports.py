"""Report endpoints: each is one database aggregation (see ``selectors`` "Reports"), as JSON, CSV
or XLSX. Reports are short (one row per organization, source, theme or week) and are not
paginated, except the overdue items: a list of items, as long as the catalogue is late (96,000 of
the benchmark's 1,000,000), paginated in JSON as the recommendations are, and whole in a
spreadsheet."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors
from ..models import Organization, Recommendation
from .filters import SafeModelChoiceFilter
from .pagination import TrackerPagination
from .schema import FORMAT_PARAMETER, error_responses
from .serializers import (
    OverdueSerializer,
    StatusByOrganizationSerializer,
    StatusBySourceSerializer,
    StatusByThemeSerializer,
    TimelinessByOrganizationSerializer,
    WeeklyStatusQuerySerializer,
    WeeklyStatusSerializer,
)
from .views import TrackerAPIView


class ReportView(TrackerAPIView):
    pagination_class: type[BasePagination] | None = None

    def rows(self) -> Any:
        """The report's rows; each report view names its selector here."""
        raise TypeError(f"{type(self).__name__} must define rows()")

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.rows(), many=True).data)


def _report_docs(
    serializer: Any,
    summary: str,
    description: str,
    example: dict[str, Any],
    *extra: OpenApiParameter,
    paginated: bool = False,
) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[*extra, FORMAT_PARAMETER],
        # A page past the last is a 404.
        responses={200: serializer(many=True), **error_responses(400, *([404] if paginated else []))},
        # One row: the schema generator puts it into a list, or into a page's results, itself.
        examples=[OpenApiExample("Row", value=example, response_only=True, status_codes=["200"])],
        tags=["reports"],
    )


_COUNTS_EXAMPLE = {
    "proposed": 3,
    "accepted": 2,
    "in_progress": 4,
    "blocked": 1,
    "implemented": 1,
    "verified": 0,
    "rejected": 1,
    "total": 12,
}


class StatusByOrganizationReport(ReportView):
    serializer_class = StatusByOrganizationSerializer
    export_name = "status-by-organization"

    @_report_docs(
        StatusByOrganizationSerializer,
        "Counts by status × owner organization",
        "One row per organization that owns at least one item.",
        {"organization_code": "MOFA", "organization_name": "Bộ Ngoại giao", **_COUNTS_EXAMPLE},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def rows(self) -> Any:
        return selectors.report_status_by_organization()


class StatusBySourceReport(ReportView):
    serializer_class = StatusBySourceSerializer
    export_name = "status-by-source"

    @_report_docs(
        StatusBySourceSerializer,
        "Counts by status × source document",
        "One row per source document that holds at least one item.",
        {"source_key": "004", "source_title": "Đòn bẩy ngoại giao công nghệ", **_COUNTS_EXAMPLE},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def rows(self) -> Any:
        return selectors.report_status_by_source()


class StatusByThemeReport(ReportView):
    serializer_class = StatusByThemeSerializer
    export_name = "status-by-theme"

    @_report_docs(
        StatusByThemeSerializer,
        "Counts by status × theme",
        "One row per theme, themes without items included. An item with several themes counts under "
        "each of them, so the totals add up to more than the number of items.",
        {"theme_slug": "kinh-te-so", "theme_name": "Kinh tế số", **_COUNTS_EXAMPLE},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def rows(self) -> Any:
        return selectors.report_status_by_theme()


class TimelinessByOrganizationReport(ReportView):
    serializer_class = TimelinessByOrganizationSerializer
    export_name = "timeliness-by-organization"

    @_report_docs(
        TimelinessByOrganizationSerializer,
        "Completion rate and timeliness per owner organization",
        "Per organization: items in all, rejected, done (implemented or verified) and the timeliness "
        "breakdown: done on time, done late, in progress within the due date, overdue. The completion "
        "rate is done / (total − rejected).",
        {
            "organization_code": "MOFA",
            "organization_name": "Bộ Ngoại giao",
            "total": 12,
            "rejected": 1,
            "done": 4,
            "done_on_time": 3,
            "done_late": 1,
            "in_time": 5,
            "overdue": 2,
            "completion_rate": 0.3636,
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def rows(self) -> Any:
        return selectors.report_timeliness_by_organization()


class OverdueFilter(filters.FilterSet):
    owner_organization = SafeModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="code", field_name="owner_organization"
    )

    class Meta:
        model = Recommendation
        fields: list[str] = []


class OverdueReport(ReportView):
    serializer_class = OverdueSerializer
    export_name = "overdue"
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = OverdueFilter
    pagination_class = TrackerPagination

    @_report_docs(
        OverdueSerializer,
        "Overdue items",
        "Open items past their due date, the longest overdue first. Paginated like the "
        "recommendations (`?page=2&page_size=100`, at most 500); a spreadsheet holds every row.",
        {
            "code": "MIC-02",
            "title": "Xây dựng nền tảng số phục vụ ngoại giao",
            "status": "in_progress",
            "progress": 30,
            "due_date": "2026-01-31",
            "days_overdue": 45,
            "owner_organization": {"code": "MIC", "name": "Bộ Thông tin và Truyền thông"},
            "owner": {"id": 7, "name": "Nguyễn Văn An", "email": None},
            "last_activity_at": "2026-02-10T08:00:00+07:00",
        },
        OpenApiParameter(
            "owner_organization",
            str,
            description="Only this owner organization's items (its code).",
            examples=[OpenApiExample("MOFA", value="MOFA")],
        ),
        paginated=True,
    )
    def get(self, request: Request) -> Response:
        rows = self.rows()
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(self.get_serializer(rows, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_queryset(self) -> QuerySet[Recommendation]:
        return selectors.report_overdue()

    def rows(self) -> QuerySet[Recommendation]:
        return self.filter_queryset(self.get_queryset())


class WeeklyStatusReport(ReportView):
    serializer_class = WeeklyStatusSerializer
    export_name = "progress-weekly"

    @_report_docs(
        WeeklyStatusSerializer,
        "Progress over time: the catalogue's status at the end of each week",
        "Counts by status as at the end of each week (Monday–Sunday, tracker time zone), derived from "
        "the history of status changes; the current week counts up to now. Items appear from the week "
        "their `created` history entry was written.",
        {"week_start": "2026-03-02", "week_end": "2026-03-08", **_COUNTS_EXAMPLE},
        OpenApiParameter(
            "weeks",
            {"type": "integer", "minimum": 1, "maximum": 104, "default": 12},
            description="How many weeks, 1–104 (default 12).",
            examples=[OpenApiExample("12 weeks", value=12)],
        ),
        OpenApiParameter(
            "until",
            OpenApiTypes.DATE,
            description="A day in the last week shown (default today).",
            examples=[OpenApiExample("End of March", value="2026-03-31")],
        ),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def rows(self) -> Any:
        query = WeeklyStatusQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.report_weekly_status(
            weeks=query.validated_data["weeks"],
            until=query.validated_data.get("until") or timezone.localdate(),
        )
