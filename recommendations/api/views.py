"""Views: validate the request → call one service or selector → serialize.

No business rule lives here: transitions, updates and evidence go through ``services``; who may
do what is ``roles``. A 404 or 403 comes before anything about the body: the views check those
rules first, or, for a transition, let the service check them on the row it locks, and check them
themselves only when the body is refused.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from .. import roles, selectors, services
from ..downloads import evidence_file_response
from ..middleware import preferred_language
from ..models import Evidence, Organization, Recommendation, SourceDocument, Theme, User
from .authentication import TrackerTokenAuthentication
from .filters import RecommendationFilter
from .pagination import TrackerPagination
from .permissions import IsTrackerMember
from .renderers import TABULAR_FORMATS, CSVRenderer, XLSXRenderer
from .schema import (
    ETAG_HEADER,
    FORMAT_PARAMETER,
    IF_MATCH_PARAMETER,
    INVALID_EXAMPLE,
    RECOMMENDATION_FILTERS,
    STALE_VERSION_EXAMPLE,
    error_responses,
    evidence_file_responses,
)
from .serializers import (
    EvidenceCreateSerializer,
    EvidenceSerializer,
    EvidenceWithdrawSerializer,
    HistoryEntrySerializer,
    OrganizationSerializer,
    RecommendationCreateSerializer,
    RecommendationDetailSerializer,
    RecommendationRowSerializer,
    RecommendationSerializer,
    RecommendationUpdateSerializer,
    SourceDocumentSerializer,
    ThemeSerializer,
    TransitionResultSerializer,
    TransitionSerializer,
)

# Multipart framing around an uploaded file; a body larger than the file limit plus this is
# refused before it is read.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
_ALLOWED_EXTENSIONS = ", ".join(
    sorted({e for exts in settings.EVIDENCE_ALLOWED_TYPES.values() for e in exts})
)
_IF_MATCH = re.compile(r'^(?:W/)?"([0-9]+)"$')


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = gettext_lazy("Tệp gửi lên vượt quá giới hạn dung lượng cho phép.")


# --- Shared behaviour ---------------------------------------------------------------------------


class TrackerAPIView(GenericAPIView[Any]):
    """Authentication, the role check, CSV/XLSX on GET where ``export_name`` is set, and errors
    always rendered as JSON."""

    # Token first, so that an anonymous request gets 401 with ``WWW-Authenticate: Token``
    # (DRF answers 403 when the first class offers no challenge, as sessions do not).
    authentication_classes = [TrackerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsTrackerMember]
    # The file name of CSV/XLSX downloads; empty: no spreadsheet formats.
    export_name = ""
    # On viewsets, the actions that offer spreadsheets.
    tabular_actions: frozenset[str] = frozenset()

    # Throttling comes before the refusals: DRF checks it after authentication and permissions,
    # so anonymous clients (and token guessers) would otherwise never be slowed down.
    def perform_authentication(self, request: Request) -> None:
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed:
            self.check_throttles(request)
            raise
        # A token's user is known only now, after the middleware chose the language.
        language = preferred_language(request._request, request.user)
        translation.activate(language)
        request._request.LANGUAGE_CODE = language

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF negotiates the format first, so an unknown ``?format=`` was a 406 to anonymous clients
        # (who should get 401) and in the default language to a token user who reads English.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)
        self.perform_authentication(request)
        self.check_permissions(request)
        self.check_throttles(request)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)

    def check_permissions(self, request: Request) -> None:
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        if getattr(request, "_tracker_throttles_checked", False):
            return
        request._tracker_throttles_checked = True  # type: ignore[attr-defined]
        super().check_throttles(request)

    def export_filename(self) -> str:
        """The name of a CSV/XLSX download, without its extension."""
        return self.export_name

    def exports_tables(self) -> bool:
        if not self.export_name:
            return False
        view_action = getattr(self, "action", None)
        if view_action is not None:
            return view_action in self.tabular_actions
        return self.request is not None and self.request.method in ("GET", "HEAD")

    def get_renderers(self) -> list[BaseRenderer]:
        renderers: list[BaseRenderer] = [JSONRenderer(), BrowsableAPIRenderer()]
        if self.exports_tables():
            renderers += [CSVRenderer(), XLSXRenderer()]
        return renderers

    def is_tabular(self) -> bool:
        return getattr(getattr(self.request, "accepted_renderer", None), "format", None) in TABULAR_FORMATS

    def paginate_queryset(self, queryset: Any) -> Any:
        # A spreadsheet holds every matching row, not one page.
        if self.is_tabular():
            return None
        return super().paginate_queryset(queryset)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(request, "accepted_renderer", None) is None:
            # Refused before the format was negotiated (see ``initial``): any offered one, as DRF does.
            request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
                request, force=True
            )
        renderer = request.accepted_renderer
        if response.status_code >= 400 and getattr(renderer, "format", None) in TABULAR_FORMATS:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def actor(self) -> User:
        """The signed-in user (the permission classes have already refused anyone else)."""
        user = self.request.user
        if not isinstance(user, User):
            raise exceptions.NotAuthenticated()
        return user


class TrackerViewSet(viewsets.ViewSetMixin, TrackerAPIView):
    pass


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """File downloads answer with the file's own type whatever the client accepts."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


def _reject_nul(value: str) -> str:
    # PostgreSQL refuses NUL characters in text; such a code cannot exist, so it is not found.
    if "\x00" in value:
        raise Http404
    return value


def recommendation_or_404(request: Request, view: Any, code: str) -> Recommendation:
    recommendation = get_object_or_404(
        Recommendation.objects.select_related("owner_organization"), code=_reject_nul(code)
    )
    view.check_object_permissions(request, recommendation)
    return recommendation


def expected_version(request: Request, body_version: int | None) -> int | None:
    """The version the client read: from ``If-Match`` or the ``version`` field (they must agree)."""
    header = request.headers.get("If-Match")
    header_version = None
    if header is not None and header.strip() != "*":
        match = _IF_MATCH.match(header.strip())
        if match is None:
            raise exceptions.ValidationError(
                {"If-Match": [_('Tiêu đề If-Match phải là phiên bản trong dấu nháy kép, ví dụ "3".')]}
            )
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise exceptions.ValidationError(
            {"version": [_("Trường version khác với phiên bản trong tiêu đề If-Match.")]}
        )
    return header_version if header_version is not None else body_version


def etag(recommendation: Recommendation) -> str:
    return f'"{recommendation.version}"'


class RecommendationPermission(IsTrackerMember):
    """Creating is for administrators; changing an item is for those ``roles`` lets edit it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if getattr(view, "action", None) == "create" and not roles.can_create_recommendation(request.user):
            self.message = _("Chỉ quản trị viên mới được thêm kiến nghị mới.")
            return False
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        refusal = services.edit_refusal(view.actor(), obj)
        if refusal is not None:
            self.message = refusal
        return refusal is None


# --- Recommendations ----------------------------------------------------------------------------

_LIST_EXAMPLE = OpenApiExample(
    "A page",
    response_only=True,
    status_codes=["200"],
    value={
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "code": "FPT-01",
                "title": "Xây dựng chiến lược quốc gia về ngoại giao công nghệ",
                "title_en": "Adopt a national technology-diplomacy strategy",
                "status": "in_progress",
                "timeliness": "in_time",
                "priority": "high",
                "progress": 40,
                "due_date": "2026-12-31",
                "completed_at": None,
                "owner_organization": {"code": "MOFA", "name": "Bộ Ngoại giao"},
                "owner": {"id": 7, "name": "Nguyễn Văn An", "email": None},
                "source": {"key": "004", "title": "Đòn bẩy ngoại giao công nghệ"},
                "proposer_organization": {"code": "FPT", "name": "Tập đoàn FPT"},
                "themes": ["chien-luoc", "khoa-hoc-cong-nghe"],
                "version": 3,
                "last_activity_at": "2026-03-02T09:15:00+07:00",
            }
        ],
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List recommendations",
        description="Paginated (`page`, `page_size` up to 500) with the total in `count`. Every filter "
        "combines with the others. Owner e-mails are shown only to administrators and to the owner.",
        parameters=RECOMMENDATION_FILTERS,
        responses={200: RecommendationSerializer(many=True), **error_responses(400, 404)},
        examples=[_LIST_EXAMPLE, INVALID_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One recommendation, by code",
        parameters=[ETAG_HEADER],
        responses={200: RecommendationDetailSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create a recommendation (administrators)",
        description="Created in status `proposed`, with a `created` history entry.",
        request=RecommendationCreateSerializer,
        parameters=[ETAG_HEADER],
        responses={201: RecommendationDetailSerializer, **error_responses(400)},
        examples=[
            OpenApiExample(
                "New item",
                request_only=True,
                value={
                    "code": "MOFA-01",
                    "title": "Xây dựng cơ sở dữ liệu ngoại giao số",
                    "quote": "Cần xây dựng cơ sở dữ liệu dùng chung về ngoại giao số.",
                    "source": "000",
                    "owner_organization": "MOFA",
                    "themes": ["chien-luoc"],
                    "due_date": "2026-12-31",
                    "priority": "high",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change planning and descriptive fields",
        description="Only the fields sent change. Moving an item to another organization is for "
        "administrators; the owner must belong to the owner organization. Send the version you read "
        "(`If-Match` or `version`): a stale one gives 409 and changes nothing. The `comment` is "
        "recorded with the change; a comment with no value changed is a 400 under `comment`.",
        request=RecommendationUpdateSerializer,
        parameters=[IF_MATCH_PARAMETER, ETAG_HEADER],
        responses={200: RecommendationDetailSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample(
                "New due date",
                request_only=True,
                value={"due_date": "2026-09-30", "progress": 60, "comment": "Lùi hạn theo kế hoạch mới"},
            ),
            STALE_VERSION_EXAMPLE,
        ],
    ),
)
class RecommendationViewSet(TrackerViewSet):
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    permission_classes = [RecommendationPermission]
    pagination_class = TrackerPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = RecommendationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    export_name = "recommendations"
    tabular_actions = frozenset({"list", "history"})

    def get_queryset(self) -> QuerySet[Recommendation]:
        if self.action == "transition":
            # Read only when the body is refused (the service finds the item itself): what the
            # 404 and 403 checks need.
            return Recommendation.objects.only("id", "code", "owner_organization_id")
        if self.action == "list":
            return selectors.recommendation_list_rows()
        queryset = selectors.recommendation_list()
        if self.action == "retrieve":
            return selectors.recommendation_detail(queryset)
        return queryset

    def export_filename(self) -> str:
        if self.action == "history":
            return f"history-{self.kwargs['code']}"
        return self.export_name

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        classes: dict[str, type[serializers.BaseSerializer[Any]]] = {
            "list": RecommendationRowSerializer,
            "create": RecommendationCreateSerializer,
            "partial_update": RecommendationUpdateSerializer,
            "transition": TransitionSerializer,
            "history": HistoryEntrySerializer,
        }
        return classes.get(self.action, RecommendationDetailSerializer)

    def get_object(self) -> Recommendation:
        # Not filtered by the list's query parameters: a code names exactly one item.
        recommendation = get_object_or_404(self.get_queryset(), code=_reject_nul(self.kwargs["code"]))
        self.check_object_permissions(self.request, recommendation)
        return recommendation

    def _detail(self, code: str, *, status_code: int = status.HTTP_200_OK) -> Response:
        recommendation = selectors.recommendation_detail(selectors.recommendation_list()).get(code=code)
        data = RecommendationDetailSerializer(recommendation, context=self.get_serializer_context()).data
        headers = {"ETag": etag(recommendation)}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = self.request.build_absolute_uri(
                reverse("api:recommendation-detail", kwargs={"code": recommendation.code})
            )
        return Response(data, status=status_code, headers=headers)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Without a filter in the query string there is nothing to check or apply, but django-filter
        # would still build and validate a form of every filter (a tenth of a list request).
        if not self.request.query_params.keys() & RecommendationFilter.base_filters.keys():
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.PagedRows(queryset))
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        rows = selectors.completed_rows(selectors.recommendation_rows(queryset))
        return Response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        recommendation = self.get_object()
        return Response(self.get_serializer(recommendation).data, headers={"ETag": etag(recommendation)})

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        recommendation = services.recommendation_create(
            actor=self.actor(),
            source_document=fields.pop("source"),
            themes=fields.pop("themes", []),
            addressed_to=fields.pop("addressed_to", []),
            **fields,
        )
        return self._detail(recommendation.code, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str) -> Response:
        recommendation = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        comment = changes.pop("comment", "")
        version = expected_version(request, changes.pop("version", None))
        themes = changes.pop("themes", None)
        services.recommendation_update(
            recommendation=recommendation,
            actor=self.actor(),
            changes=changes,
            themes=themes,
            comment=comment,
            expected_version=version,
        )
        return self._detail(recommendation.code)

    @extend_schema(
        summary="Move a recommendation through the workflow",
        description="The same service as the admin: only allowed transitions; rejecting, blocking and "
        "reopening need a comment; `implemented` needs evidence; the person who marked it implemented "
        "cannot verify it. Owners may transition only their organization's items. A refusal is a 400 "
        "with the reason; a stale version a 409; either way nothing changes. The answer is the item's "
        "new workflow state (status, version, timeliness, the next allowed statuses); the rest of the "
        "item is unchanged.",
        request=TransitionSerializer,
        parameters=[IF_MATCH_PARAMETER, ETAG_HEADER],
        responses={200: TransitionResultSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample(
                "Start work",
                request_only=True,
                value={"to_status": "in_progress", "comment": "", "version": 2},
            ),
            OpenApiExample(
                "Refused",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "Chuyển sang “Vướng mắc” cần ghi rõ lý do trong phần ghi chú.",
                    "code": "comment_required",
                    "errors": {"comment": ["Chuyển sang “Vướng mắc” cần ghi rõ lý do trong phần ghi chú."]},
                },
            ),
            STALE_VERSION_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, code: str) -> Response:
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            version = expected_version(request, serializer.validated_data.get("version"))
        except Exception:
            # Whatever is wrong with the body (unreadable, too large, invalid), a missing item (404)
            # or a caller who may not change it (403) is told so first, as on every other endpoint.
            self.get_object()
            raise
        try:
            # The service finds the item by its code under lock and checks the caller's right to
            # change it there (403 with the same reason), so a valid request reads the row once.
            moved = services.recommendation_transition(
                recommendation=_reject_nul(code),
                actor=self.actor(),
                to_status=serializer.validated_data["to_status"],
                comment=serializer.validated_data["comment"],
                expected_version=version,
            )
        except Recommendation.DoesNotExist:
            raise Http404 from None
        # The service's row is the committed state: answered from it rather than read again.
        return Response(TransitionResultSerializer(moved).data, headers={"ETag": etag(moved)})

    @extend_schema(
        summary="History of a recommendation",
        description="Every change, oldest first: creation, status changes (`from_status` → `to_status` "
        "with the comment), updates (old and new values in `changes`), evidence, check-ins.",
        parameters=[FORMAT_PARAMETER],
        responses={200: HistoryEntrySerializer(many=True), **error_responses(404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, code: str) -> Response:
        recommendation = self.get_object()
        entries = selectors.recommendation_history(recommendation)
        return Response(self.get_serializer(entries, many=True).data)


# --- Evidence -----------------------------------------------------------------------------------


class RecommendationEvidenceView(TrackerAPIView):
    permission_classes = [RecommendationPermission]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    export_name = "evidence"

    def export_filename(self) -> str:
        return f"evidence-{self.kwargs['code']}"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return EvidenceCreateSerializer if self.request.method == "POST" else EvidenceSerializer

    @extend_schema(
        summary="Evidence of a recommendation",
        description="Notes, links and files, withdrawn ones included (flagged). Files are downloaded "
        "through `download_url`.",
        parameters=[FORMAT_PARAMETER],
        responses={200: EvidenceSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, code: str) -> Response:
        recommendation = recommendation_or_404(request, self, code)
        evidence = (
            recommendation.evidence.select_related("submitted_by", "recommendation")
            .order_by("submitted_at", "id")
            .all()
        )
        return Response(EvidenceSerializer(evidence, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Add evidence (a note, a link or a file)",
        description=f"`kind=note` needs `note`; `kind=link` an http(s) `url`; `kind=file` a `file` sent as "
        f"multipart/form-data, at most {settings.EVIDENCE_MAX_BYTES} bytes, of an allowed type judged by "
        f"its content ({_ALLOWED_EXTENSIONS}). "
        "Owners add evidence only to their organization's items.",
        request={
            "multipart/form-data": EvidenceCreateSerializer,
            "application/json": EvidenceCreateSerializer,
        },
        responses={201: EvidenceSerializer, **error_responses(400, 404, 413)},
        examples=[
            OpenApiExample(
                "A link",
                request_only=True,
                media_type="application/json",
                value={"kind": "link", "url": "https://mofa.gov.vn/bao-cao", "note": "Báo cáo sơ kết"},
            )
        ],
    )
    def post(self, request: Request, code: str) -> Response:
        recommendation = recommendation_or_404(request, self, code)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.EVIDENCE_MAX_BYTES + UPLOAD_OVERHEAD_BYTES:
            raise RequestTooLarge()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_add(
            recommendation=recommendation,
            actor=self.actor(),
            kind=serializer.validated_data["kind"],
            note=serializer.validated_data["note"],
            url=serializer.validated_data["url"],
            file=serializer.validated_data.get("file"),
        )
        evidence = Evidence.objects.select_related("submitted_by", "recommendation").get(pk=evidence.pk)
        return Response(
            EvidenceSerializer(evidence, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class EvidenceWithdrawView(TrackerAPIView):
    permission_classes = [RecommendationPermission]
    serializer_class = EvidenceWithdrawSerializer

    @extend_schema(
        summary="Withdraw a piece of evidence",
        description="The evidence is kept and marked withdrawn, with the reason. The last evidence of "
        "an implemented or verified item cannot be withdrawn (reopen it first).",
        request=EvidenceWithdrawSerializer,
        responses={200: EvidenceSerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request, code: str, pk: int) -> Response:
        recommendation = recommendation_or_404(request, self, code)
        evidence = get_object_or_404(Evidence, recommendation=recommendation, pk=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.evidence_withdraw(
            evidence=evidence, actor=self.actor(), reason=serializer.validated_data["reason"]
        )
        evidence = Evidence.objects.select_related("submitted_by", "recommendation").get(pk=evidence.pk)
        return Response(EvidenceSerializer(evidence, context=self.get_serializer_context()).data)


class EvidenceFileView(TrackerAPIView):
    """Evidence files are never served as media: only here, to users who may see the item."""

    content_negotiation_class = IgnoreClientContentNegotiation
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Download an evidence file",
        description="Sent as an attachment with the type detected at upload and "
        "`X-Content-Type-Options: nosniff`. A withdrawn file only to administrators (404 otherwise).",
        responses=evidence_file_responses(),
    )
    def get(self, request: Request, code: str, pk: int) -> FileResponse:
        recommendation = recommendation_or_404(request, self, code)
        evidence = get_object_or_404(Evidence, recommendation=recommendation, pk=pk, kind=Evidence.Kind.FILE)
        if not evidence.file or not roles.can_download_evidence_file(request.user, evidence):
            raise Http404
        return evidence_file_response(evidence)


# --- Reference lists ----------------------------------------------------------------------------


class ReferenceViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, TrackerViewSet):
    """A short reference list: unpaginated, looked up by its code."""

    lookup_value_regex = "[^/]+"
    pagination_class = None
    tabular_actions = frozenset({"list"})

    def get_object(self) -> Any:
        _reject_nul(self.kwargs[self.lookup_field])
        return super().get_object()


def _reference_docs(serializer: type[serializers.Serializer], what: str, key: str) -> Any:
    return extend_schema_view(
        list=extend_schema(
            summary=what.capitalize(),
            parameters=[FORMAT_PARAMETER],
            responses={200: serializer(many=True), **error_responses()},
        ),
        retrieve=extend_schema(
            summary=f"One of the {what}, by {key}",
            responses={200: serializer, **error_responses(404)},
        ),
    )


@_reference_docs(OrganizationSerializer, "organizations", "code")
class OrganizationViewSet(ReferenceViewSet):
    queryset = Organization.objects.select_related("parent").order_by("code")
    serializer_class = OrganizationSerializer
    lookup_field = "code"
    export_name = "organizations"


@_reference_docs(SourceDocumentSerializer, "source documents", "key")
class SourceDocumentViewSet(ReferenceViewSet):
    queryset = SourceDocument.objects.order_by("key")
    serializer_class = SourceDocumentSerializer
    lookup_field = "key"
    export_name = "sources"


@_reference_docs(ThemeSerializer, "themes", "slug")
class ThemeViewSet(ReferenceViewSet):
    queryset = Theme.objects.order_by("slug")
    serializer_class = ThemeSerializer
    lookup_field = "slug"
    export_name = "themes"


@csrf_exempt  # it changes nothing; without this a POST to an unknown path is a CSRF 403 page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in JSON like the rest of the API, not with an HTML page."""
    return JsonResponse({"detail": _("Không tìm thấy."), "code": "not_found"}, status=404)
