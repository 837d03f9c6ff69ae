"""Query-string filters of the recommendation list (and the overdue report).

Unknown values (a status, an organization code, a malformed date) are refused with 400 and the
field's error, never silently ignored.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django_filters import fields as filter_fields
from django_filters import rest_framework as filters

from .. import selectors
from ..models import Organization, Recommendation, SourceDocument, Theme, User
from ..workflow import Status, Timeliness

ORDERING_FIELDS = (
    ("code", "code"),
    ("title", "title"),
    ("status", "status"),
    ("priority", "priority"),
    ("progress", "progress"),
    ("due_date", "due_date"),
    ("last_activity_at", "last_activity_at"),
    ("created_at", "created_at"),
    ("owner_organization__code", "owner_organization"),
)
ORDERING_VALUES = [value for _field, name in ORDERING_FIELDS for value in (name, f"-{name}")]
TRUE_FALSE = (("true", "true"), ("false", "false"))


class _SafeModelChoiceField(filter_fields.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        # A NUL character cannot be in any code, and PostgreSQL refuses it in a query.
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeModelChoiceFilter(filters.ModelChoiceFilter):
    """An object by its code; an unknown code is a field error, not an empty result."""

    field_class = _SafeModelChoiceField


class _BoundedDateTimeField(filter_fields.IsoDateTimeField):
    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        # Years 1 and 9999 cannot be moved between time zones without overflowing.
        if cleaned is not None and not 1900 <= cleaned.year <= 9000:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return cleaned


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = _BoundedDateTimeField


class StableOrderingFilter(filters.OrderingFilter):
    """The requested ordering, then the code, so that pages never overlap or skip an item.

    Empty values (an item without a due date) come last in both directions, on every database.
    """

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if not value:
            return qs
        ordering = []
        for param in value:
            field = self.get_ordering_value(param)
            descending = field.startswith("-")
            expression = F(field.lstrip("-"))
            ordering.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, "code")


class RecommendationFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Status.choices, method="filter_status")
    timeliness = filters.ChoiceFilter(choices=Timeliness.choices, method="filter_timeliness")
    owner_organization = SafeModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="code", field_name="owner_organization"
    )
    owner = SafeModelChoiceFilter(queryset=User.objects.all(), field_name="owner")
    source = SafeModelChoiceFilter(
        queryset=SourceDocument.objects.all(), to_field_name="key", field_name="source_document"
    )
    theme = SafeModelChoiceFilter(queryset=Theme.objects.all(), to_field_name="slug", field_name="themes")
    proposer_organization = SafeModelChoiceFilter(
        queryset=Organization.objects.all(), to_field_name="code", field_name="proposer_organization"
    )
    overdue = filters.ChoiceFilter(choices=TRUE_FALSE, method="filter_overdue")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    updated_since = BoundedIsoDateTimeFilter(field_name="last_activity_at", lookup_expr="gte")
    search = filters.CharFilter(method="filter_search")
    ordering = StableOrderingFilter(fields=ORDERING_FIELDS)

    class Meta:
        model = Recommendation
        fields: list[str] = []

    # django-filter builds a new form class, and a field for each filter, on every request; the
    # fields are the same every time (their querysets are lazy, their texts translated when
    # shown), so the class is built once.
    _form_class: type[Any] | None = None

    def get_form_class(self) -> type[Any]:
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class  # type: ignore[return-value]

    def filter_status(self, queryset: QuerySet[Recommendation], name: str, value: list[str]) -> Any:
        # One ``IN``, which PostgreSQL matches against the (owner, status) index as a whole;
        # django-filter's default ORs one condition per status, each estimated on its own. A
        # column of the item itself: no join, so no duplicates to remove with DISTINCT.
        return queryset.filter(status__in=value) if value else queryset

    def filter_timeliness(self, queryset: QuerySet[Recommendation], name: str, value: str) -> Any:
        return queryset.filter(selectors.timeliness_filter(value))

    def filter_overdue(self, queryset: QuerySet[Recommendation], name: str, value: str) -> Any:
        overdue = selectors.overdue_filter()
        return queryset.filter(overdue) if value == "true" else queryset.exclude(overdue)

    def filter_search(self, queryset: QuerySet[Recommendation], name: str, value: str) -> Any:
        return selectors.recommendation_search(queryset, value)
