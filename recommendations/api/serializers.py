"""Shapes of the API's input and output. Input serializers only check the form of a request;
every rule about the content is the service's (``recommendations.services``)."""

from __future__ import annotations

import copy
import datetime
from typing import Any, TypeVar

from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import roles
from ..models import (
    Citation,
    Evidence,
    HistoryEntry,
    Organization,
    Recommendation,
    SourceDocument,
    Theme,
    User,
    person_name,
    recommendation_code_validator,
)
from ..workflow import TRANSITIONS, Status, Timeliness
from .permissions import may_see_email

# Codes appear in URLs (/api/v1/recommendations/{code}/), so new ones must be URL-safe.
# Dates far outside the tracker's life would only overflow date arithmetic.
REPORT_FIRST_DAY = datetime.date(1970, 1, 1)
REPORT_LAST_DAY = datetime.date(9000, 12, 31)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    detail = serializers.CharField(help_text="Message for a person (in the request's language).")
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `stale_version`.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field, popped by DRF
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Errors by field (invalid input only).",
    )
    current_version = serializers.IntegerField(
        required=False, help_text="The current version (409 stale_version only)."
    )
    wait = serializers.IntegerField(required=False, help_text="Seconds to wait (429 only).")


_M = TypeVar("_M", bound=Model)
TIMELINESS_HELP = "Derived: done_on_time, done_late, in_time, overdue; null for rejected items."


class ModelSerializer(serializers.ModelSerializer[_M]):
    """DRF's ModelSerializer, with its fields built from the model once per class.

    DRF rebuilds them for every serializer instance (once per request, and once per row when
    nested): it inspects each model field, its validators and choices. Profiled, that was a
    sixth of a cheap request. What it builds depends on the class alone (what depends on the
    viewer is decided when a row is written), so each instance gets a copy of the fields built
    the first time, copied the way DRF copies declared fields (from their arguments).
    """

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


class InputSerializer(serializers.Serializer):
    """A request body. A field the endpoint does not take is an error that names it, not dropped
    in silence: a client that sends ``status`` in a PATCH, or misspells ``due_date``, would
    otherwise get a 200 and believe it changed something."""

    # Fields other endpoints own, with where to go instead.
    field_hints: dict[str, Any] = {}
    # Sent by the browsable API's HTML forms.
    ignored_fields = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data: Any) -> Any:
        unknown = {}
        if hasattr(data, "keys"):
            for name in sorted(set(data.keys()) - set(self.fields) - self.ignored_fields):
                unknown[str(name)] = [self.field_hints.get(name, _("Trường này không được nhận ở đây."))]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **unknown}) from error
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


# --- References -------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    """A user as others see them: the e-mail only for administrators and the user themself."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username

    def get_email(self, user: User) -> str | None:
        request = self.context.get("request")
        if request is not None and may_see_email(request.user, user.pk):
            return user.email or None
        return None


class OrganizationRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SourceRefSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class OrganizationSerializer(ModelSerializer[Organization]):
    parent: Any = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = ["code", "name", "name_en", "kind", "parent"]


class SourceDocumentSerializer(ModelSerializer[SourceDocument]):
    class Meta:
        model = SourceDocument
        fields = ["key", "title", "authors", "outlet", "published_on", "language", "file_name"]


class ThemeSerializer(ModelSerializer[Theme]):
    class Meta:
        model = Theme
        fields = ["slug", "name", "name_en"]


# --- Recommendations ----------------------------------------------------------------------------


class RecommendationSerializer(ModelSerializer[Recommendation]):
    """A row of the list; ``version`` is what ``If-Match`` or the ``version`` field must carry."""

    timeliness = serializers.ChoiceField(
        source="timeliness_value",
        choices=Timeliness.choices,
        read_only=True,
        allow_null=True,
        help_text=TIMELINESS_HELP,
    )
    owner_organization = OrganizationRefSerializer(read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    source = SourceRefSerializer(source="source_document", read_only=True)  # type: ignore[assignment]  # a declared field, popped by DRF's metaclass
    proposer_organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    themes: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "code",
            "title",
            "title_en",
            "status",
            "timeliness",
            "priority",
            "progress",
            "due_date",
            "completed_at",
            "owner_organization",
            "owner",
            "source",
            "proposer_organization",
            "themes",
            "version",
            "last_activity_at",
        ]
        read_only_fields = fields


class RecommendationRowSerializer(RecommendationSerializer):
    """The list's rows, from ``selectors.recommendation_rows`` + ``completed_rows`` (dicts, not
    model instances): the fields and output of ``RecommendationSerializer`` (a test holds them
    equal), built in one pass; DRF's field-by-field walk cost three times the page's queries
    (README "Performance")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per response (one child serializer writes every row of a list).
        self._zone: datetime.tzinfo | None = None
        self._email_answers: dict[int, bool] = {}

    def to_representation(self, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        owner_id = row["owner_id"]
        owner = None
        if owner_id is not None:
            full_name = person_name(row["owner__first_name"], row["owner__last_name"])
            owner = {
                "id": owner_id,
                "name": full_name or row["owner__username"],
                "email": (row["owner__email"] or None) if self._sees_email_of(owner_id) else None,
            }
        proposer_code = row["proposer_organization__code"]
        due_date = row["due_date"]
        return {
            "code": row["code"],
            "title": row["title"],
            "title_en": row["title_en"],
            "status": row["status"],
            "timeliness": row["timeliness"],
            "priority": row["priority"],
            "progress": row["progress"],
            "due_date": None if due_date is None else due_date.isoformat(),
            "completed_at": self._datetime(row["completed_at"]),
            "owner_organization": {
                "code": row["owner_organization__code"],
                "name": row["owner_organization__name"],
            },
            "owner": owner,
            "source": {"key": row["source_document__key"], "title": row["source_document__title"]},
            "proposer_organization": None
            if proposer_code is None
            else {"code": proposer_code, "name": row["proposer_organization__name"]},
            "themes": row["theme_slugs"],
            "version": row["version"],
            "last_activity_at": self._datetime(row["last_activity_at"]),
        }

    def _datetime(self, value: datetime.datetime | None) -> str | None:
        """As DRF's ``DateTimeField`` writes it: in the current time zone, ISO 8601, UTC as Z."""
        if value is None:
            return None
        zone = self._zone
        if zone is None:
            zone = self._zone = timezone.get_current_timezone()
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def _sees_email_of(self, person_id: int) -> bool:
        answers = self._email_answers
        if person_id not in answers:
            request = self.context.get("request")
            answers[person_id] = request is not None and may_see_email(request.user, person_id)
        return answers[person_id]


class CitationSerializer(ModelSerializer[Citation]):
    source: Any = serializers.SlugRelatedField(source="source_document", slug_field="key", read_only=True)

    class Meta:
        model = Citation
        fields = ["source", "location", "paragraph", "quote"]


class AllowedTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field, popped by DRF's metaclass
    requires_comment = serializers.BooleanField(read_only=True)


def allowed_transitions(status: str) -> list[dict[str, Any]]:
    return [
        {"to_status": t.target.value, "label": str(t.label), "requires_comment": t.requires_comment}
        for t in TRANSITIONS
        if t.source == status
    ]


class RecommendationDetailSerializer(RecommendationSerializer):
    addressed_to: Any = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Statuses the workflow allows from the current one (whether you may is another matter)."
    )

    class Meta(RecommendationSerializer.Meta):
        fields = [
            *RecommendationSerializer.Meta.fields,
            "quote",
            "source_location",
            "source_paragraph",
            "proposer_person",
            "addressed_to",
            "horizon",
            "decision_note",
            "citations",
            "allowed_transitions",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, recommendation: Recommendation) -> list[dict[str, Any]]:
        return allowed_transitions(recommendation.status)


class _CodeRelatedField(serializers.SlugRelatedField[Any]):
    """An object by its code; a value with a NUL character (which PostgreSQL cannot even
    compare) is simply not a code."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def _slug(model: Any, field: str, **kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return _CodeRelatedField(slug_field=field, queryset=model.objects.all(), **kwargs)


class RecommendationCreateSerializer(InputSerializer):
    code = serializers.CharField(
        max_length=32,
        validators=[recommendation_code_validator],
    )
    title = serializers.CharField(max_length=255)
    title_en = serializers.CharField(max_length=255, required=False, allow_blank=True)
    quote = serializers.CharField()
    source = _slug(SourceDocument, "key", help_text="Source document key.")  # type: ignore[assignment]  # a declared field, popped by DRF's metaclass
    source_location = serializers.CharField(max_length=128, required=False, allow_blank=True)
    source_paragraph = serializers.IntegerField(
        min_value=0, max_value=2147483647, required=False, allow_null=True
    )
    proposer_person = serializers.CharField(max_length=255, required=False, allow_blank=True)
    proposer_organization = _slug(Organization, "code", required=False, allow_null=True)
    addressed_to = _slug(Organization, "code", many=True, required=False)
    themes = _slug(Theme, "slug", many=True, required=False)
    owner_organization = _slug(Organization, "code")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Recommendation.Priority.choices, required=False)
    horizon = serializers.IntegerField(min_value=0, max_value=32767, required=False, allow_null=True)
    decision_note = serializers.CharField(required=False, allow_blank=True)


class RecommendationUpdateSerializer(InputSerializer):
    """Fields absent from the request are left as they are."""

    field_hints = {
        "status": _('Trạng thái chỉ thay đổi qua /transition/ (POST {"to_status": …}).'),
    }

    title = serializers.CharField(max_length=255, required=False)
    title_en = serializers.CharField(max_length=255, required=False, allow_blank=True)
    owner_organization = _slug(Organization, "code", required=False, help_text="Administrators only.")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Recommendation.Priority.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    horizon = serializers.IntegerField(min_value=0, max_value=32767, required=False, allow_null=True)
    themes = _slug(Theme, "slug", many=True, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read; an alternative to the If-Match header."
    )


class TransitionSerializer(InputSerializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when rejecting, blocking or reopening.",
    )
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read; an alternative to the If-Match header."
    )


class TransitionResultSerializer(serializers.Serializer):
    """A transition's answer: the item's workflow state after it, as the item's GET shows it.
    The rest of the item did not change; GET it when it is needed."""

    code = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    timeliness = serializers.ChoiceField(
        choices=Timeliness.choices,
        read_only=True,
        allow_null=True,
        help_text=TIMELINESS_HELP,
    )
    progress = serializers.IntegerField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text="Also in the ETag header.")
    last_activity_at = serializers.DateTimeField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Statuses the workflow allows from the new one (whether you may is another matter)."
    )

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, recommendation: Recommendation) -> list[dict[str, Any]]:
        return allowed_transitions(recommendation.status)


# --- Evidence and history -----------------------------------------------------------------------


class EvidenceSerializer(ModelSerializer[Evidence]):
    submitted_by = PersonSerializer(read_only=True)
    withdrawn = serializers.BooleanField(source="is_withdrawn", read_only=True)
    url = serializers.CharField(read_only=True, help_text="The link (kind=link); empty for other kinds.")
    download_url = serializers.SerializerMethodField(
        help_text="Download link for file evidence (authorised view); null otherwise, and for a "
        "withdrawn file unless the caller is an administrator."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "note",
            "url",
            "original_filename",
            "content_type",
            "size",
            "download_url",
            "submitted_by",
            "submitted_at",
            "withdrawn",
            "withdrawn_at",
            "withdrawal_reason",
        ]
        read_only_fields = fields

    def get_download_url(self, evidence: Evidence) -> str | None:
        if evidence.kind != Evidence.Kind.FILE or not evidence.file:
            return None
        request = self.context.get("request")
        if request is not None and not roles.can_download_evidence_file(request.user, evidence):
            return None
        path = reverse(
            "api:evidence-file",
            kwargs={"code": evidence.recommendation.code, "pk": evidence.pk},
        )
        return request.build_absolute_uri(path) if request is not None else path


class EvidenceCreateSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    url = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    file = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="For kind=file, sent as multipart/form-data; the type is checked by content.",
    )


class EvidenceWithdrawSerializer(InputSerializer):
    reason = serializers.CharField(help_text="Why the evidence is withdrawn (required).")


class _StatusOrNullField(serializers.ChoiceField):
    """A status, or null where the history row has none (the model stores "")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Status.choices, read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value or None


class HistoryEntrySerializer(ModelSerializer[HistoryEntry]):
    actor = PersonSerializer(read_only=True, allow_null=True)
    from_status = _StatusOrNullField(help_text="For status changes: the status before.")
    to_status = _StatusOrNullField(help_text="For creation and status changes: the status after.")

    class Meta:
        model = HistoryEntry
        fields = ["id", "kind", "from_status", "to_status", "comment", "changes", "actor", "created_at"]
        read_only_fields = fields


# --- Reports ------------------------------------------------------------------------------------


class StatusCountsSerializer(serializers.Serializer):
    """Number of items in each status (``workflow.Status``), and in all."""

    proposed = serializers.IntegerField(read_only=True)
    accepted = serializers.IntegerField(read_only=True)
    in_progress = serializers.IntegerField(read_only=True)
    blocked = serializers.IntegerField(read_only=True)
    implemented = serializers.IntegerField(read_only=True)
    verified = serializers.IntegerField(read_only=True)
    rejected = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)


class _OrganizationLabel(serializers.Serializer):
    organization_code = serializers.CharField(read_only=True)
    organization_name = serializers.CharField(read_only=True)


class _SourceLabel(serializers.Serializer):
    source_key = serializers.CharField(read_only=True)
    source_title = serializers.CharField(read_only=True)


class _ThemeLabel(serializers.Serializer):
    theme_slug = serializers.CharField(read_only=True)
    theme_name = serializers.CharField(read_only=True)


class _WeekLabel(serializers.Serializer):
    week_start = serializers.DateField(read_only=True, help_text="Monday")
    week_end = serializers.DateField(read_only=True, help_text="Sunday; counts as at the end of this day")


# The label columns come first: serializer fields follow the order of the base classes.
class StatusByOrganizationSerializer(_OrganizationLabel, StatusCountsSerializer):
    pass


class StatusBySourceSerializer(_SourceLabel, StatusCountsSerializer):
    pass


class StatusByThemeSerializer(_ThemeLabel, StatusCountsSerializer):
    pass


class WeeklyStatusSerializer(_WeekLabel, StatusCountsSerializer):
    pass


class TimelinessByOrganizationSerializer(_OrganizationLabel):
    total = serializers.IntegerField(read_only=True)
    rejected = serializers.IntegerField(read_only=True)
    done = serializers.IntegerField(read_only=True, help_text="implemented + verified")
    done_on_time = serializers.IntegerField(read_only=True)
    done_late = serializers.IntegerField(read_only=True)
    in_time = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)
    completion_rate = serializers.SerializerMethodField(
        help_text="done / (total − rejected), 0–1 rounded to 4 places; null when nothing counts."
    )

    def get_completion_rate(self, row: dict[str, Any]) -> float | None:
        # Arithmetic on one aggregated row; the counting itself is done by the database.
        counted = row["total"] - row["rejected"]
        return round(row["done"] / counted, 4) if counted else None


class OverdueSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    progress = serializers.IntegerField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    days_overdue = serializers.SerializerMethodField()
    owner_organization = OrganizationRefSerializer(read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    last_activity_at = serializers.DateTimeField(read_only=True)

    def get_days_overdue(self, recommendation: Recommendation) -> int:
        assert recommendation.due_date is not None  # noqa: S101 - the overdue filter ensures it
        return (timezone.localdate() - recommendation.due_date).days


class WeeklyStatusQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, max_value=104, default=12, help_text="Number of weeks.")
    until = serializers.DateField(
        required=False, help_text="A day in the last week of the report; default today."
    )

    def validate_until(self, value: datetime.date) -> datetime.date:
        if not REPORT_FIRST_DAY <= value <= REPORT_LAST_DAY:
            raise serializers.ValidationError(
                _("Ngày phải nằm trong khoảng %(first)s – %(last)s.")
                % {"first": REPORT_FIRST_DAY.isoformat(), "last": REPORT_LAST_DAY.isoformat()}
            )
        return value
