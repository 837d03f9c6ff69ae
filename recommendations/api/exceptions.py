"""The one place where errors become HTTP responses.

Every error body has the same shape, documented as ``Error`` in the schema::

    {"detail": "<message for a person>", "code": "<stable machine code>",
     "errors": {"<field>": ["<message>", ...]},   # invalid input only
     "current_version": 7}                         # stale version only

- ``errors.StaleVersion`` → 409, with ``current_version`` and an ``ETag`` header for it;
- ``errors.TransitionRefused`` → 400 (the workflow refuses the requested target; 409 is kept for
  stale versions only, so that "409 → reload and retry" always holds);
- ``errors.NotPermitted`` → 403;
- Django's ``ValidationError`` (from a service's ``full_clean``) → 400 with field errors;
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413, too many form fields or files → 400 (Django
  raises these while DRF reads the body, and would answer with its HTML error page);
- an unknown code or id → 404 with DRF's translated "not found", not Django's English text;
- DRF's own errors keep their status (400, 401, 403, 404, 405, 406, 413, 415, 429).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from ..errors import DomainError, NotPermitted, StaleVersion, TransitionRefused

NON_FIELD_ERRORS = "non_field_errors"

# Refusals that are about one input field are also reported under that field.
_TRANSITION_REFUSAL_FIELDS = {"comment_required": "comment", "unknown_status": "to_status"}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": [...], "nested.field": [...]}``."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD_ERRORS if key == "__all__" else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, (list, tuple)):
        if all(not isinstance(item, (Mapping, list, tuple)) for item in detail):
            return {prefix or NON_FIELD_ERRORS: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD_ERRORS: [str(detail)]}


def _invalid(errors: dict[str, list[str]]) -> Response:
    return Response(
        {"detail": _("Dữ liệu gửi lên không hợp lệ."), "code": "invalid", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StaleVersion):
        set_rollback()
        return Response(
            {"detail": exc.message, "code": exc.code, "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
            headers={"ETag": f'"{exc.current_version}"'},
        )
    if isinstance(exc, TransitionRefused):
        set_rollback()
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        field = _TRANSITION_REFUSAL_FIELDS.get(exc.code)
        if field:
            body["errors"] = {field: [exc.message]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotPermitted):
        set_rollback()
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        if hasattr(exc, "error_dict"):
            return _invalid(_flatten(exc.message_dict))
        return _invalid({NON_FIELD_ERRORS: list(exc.messages)})

    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "detail": _("Nội dung yêu cầu vượt quá giới hạn %(limit)s.")
                % {"limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
                "code": "request_too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(
            {"detail": _("Yêu cầu có quá nhiều trường hoặc tệp."), "code": "too_many_fields"},
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, exceptions.ParseError) and isinstance(exc.__context__, ValueError):
        # DRF's JSON parser says "JSON parse error - <Python's message>" in English whatever the
        # language; the position Python gives is kept, as it is what the sender needs to fix.
        exc = exceptions.ParseError(_("Nội dung JSON không hợp lệ (%(error)s).") % {"error": exc.__context__})
    elif isinstance(exc, exceptions.ParseError) and isinstance(exc.__context__, MultiPartParserError):
        # Likewise "Multipart form parse error - <Django's message>" from DRF's multipart parser.
        exc = exceptions.ParseError(
            _("Nội dung multipart/form-data không hợp lệ (%(error)s).") % {"error": exc.__context__}
        )

    if isinstance(exc, Http404):
        # get_object_or_404's "No Recommendation matches the given query." is untranslated and
        # names a model class; DRF would pass it on as the detail.
        exc = exceptions.NotFound()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("Dữ liệu gửi lên không hợp lệ."),
            "code": "invalid",
            "errors": _flatten(response.data),
        }
        return response
    detail = response.data.get("detail", "") if isinstance(response.data, Mapping) else response.data
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"detail": str(detail), "code": str(code)}
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        response.data["wait"] = int(wait)
    return response
