"""OpenAPI pieces shared by the views: error responses, parameters, headers and examples."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from ..workflow import Status, Timeliness
from .filters import ORDERING_VALUES
from .serializers import ErrorSerializer

_ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` holds the messages by field; a refused transition has its reason "
    "in `detail` and its `code` (e.g. `comment_required`, `evidence_required`). Nothing was changed.",
    401: "Not signed in: send `Authorization: Token <key>` (or a session cookie).",
    403: "Signed in but not allowed: no tracker role, or the item belongs to another organization.",
    404: "No such object (or page).",
    409: "Stale version: someone changed the item since you read it. `current_version` and the `ETag` "
    "header give the current version; reload, then retry. Nothing was changed.",
    413: "The request body is larger than the evidence size limit allows.",
    429: "Too many requests: wait `wait` seconds (also in `Retry-After`).",
}

STALE_VERSION_EXAMPLE = OpenApiExample(
    "Stale version",
    value={
        "detail": "Kiến nghị FPT-01 đã được người khác cập nhật (phiên bản hiện tại 4, bạn gửi phiên bản 3). "
        "Hãy tải lại rồi thử lại; chưa có gì bị thay đổi.",
        "code": "stale_version",
        "current_version": 4,
    },
    response_only=True,
    status_codes=["409"],
)
INVALID_EXAMPLE = OpenApiExample(
    "Invalid input",
    value={
        "detail": "Dữ liệu gửi lên không hợp lệ.",
        "code": "invalid",
        "errors": {"due_before": ["Nhập một ngày hợp lệ."]},
    },
    response_only=True,
    status_codes=["400"],
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation: ``codes`` plus 401, 403 and 429, which all have."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in sorted({*codes, 401, 403, 429})
    }


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "xlsx"],
    description="`csv` or `xlsx` downloads the same rows as a spreadsheet (all matching rows, not one "
    "page; nested fields become dotted columns, lists are joined with `; `, cells that could start a "
    "formula are prefixed with `'`). `Accept: text/csv` works too.",
)

ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    description='The item\'s version in quotes, e.g. `"3"`: send it back in `If-Match` when you change it.',
    response=[200, 201, 409],
)

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    pattern=r'^(\*|(W/)?"[0-9]{1,9}")$',
    description='The `ETag` you read (e.g. `"3"`). If the item has changed since, the request is refused '
    "with 409 and nothing changes. Optional; the `version` body field does the same.",
    examples=[OpenApiExample("Version 3", value='"3"')],
)


def _query(name: str, type_: Any, description: str, example: Any = None, **kwargs: Any) -> OpenApiParameter:
    examples = [OpenApiExample("Example", value=example)] if example is not None else None
    return OpenApiParameter(name, type_, description=description, examples=examples, **kwargs)


RECOMMENDATION_FILTERS = [
    _query(
        "status",
        str,
        "One or more statuses; repeat the parameter for several: `?status=accepted&status=in_progress`.",
        example=["accepted", "in_progress"],
        many=True,
        explode=True,
        enum=Status.values,
    ),
    _query(
        "timeliness",
        str,
        "Derived timeliness: done on time, done late, in progress within the due date, overdue.",
        example="overdue",
        enum=Timeliness.values,
    ),
    _query("owner_organization", str, "Code of the owner organization.", example="MOFA"),
    _query("owner", int, "Id of the person in charge.", example=7),
    _query("source", str, "Key of the source document.", example="000"),
    _query("theme", str, "Slug of a theme.", example="kinh-te-so"),
    _query("proposer_organization", str, "Code of the proposing organization.", example="FPT"),
    _query(
        "overdue",
        str,
        "`true`: only open items past their due date; `false`: all others.",
        example="true",
        enum=["true", "false"],
    ),
    _query("due_before", OpenApiTypes.DATE, "Due on or before this day.", example="2026-12-31"),
    _query("due_after", OpenApiTypes.DATE, "Due on or after this day.", example="2026-01-01"),
    _query(
        "updated_since",
        OpenApiTypes.DATETIME,
        "Last activity (status change, update, evidence, check-in) at or after this time "
        "(ISO 8601; without an offset, the tracker's time zone).",
        example="2026-01-01T00:00:00+07:00",
    ),
    _query(
        "search",
        str,
        "Words to find in the code, titles and quote, with or without Vietnamese diacritics "
        "(`ngoai giao so` finds “ngoại giao số”); every word must match.",
        example="ngoai giao so",
    ),
    _query(
        "ordering",
        str,
        "Sort by one or more fields, comma-separated; `-` for descending. Ties are broken by code.",
        example="-due_date",
        many=True,
        explode=False,
        enum=ORDERING_VALUES,
    ),
    FORMAT_PARAMETER,
]


def evidence_file_responses() -> dict[Any, Any]:
    media_types = [*settings.EVIDENCE_ALLOWED_TYPES, "application/octet-stream"]
    responses: dict[Any, Any] = {(200, media_type): OpenApiTypes.BINARY for media_type in media_types}
    responses.update(error_responses(404))
    return responses
