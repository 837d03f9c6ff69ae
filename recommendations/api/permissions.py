"""Who may call the API; the object-level rules themselves live in ``recommendations.roles``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .. import roles


class IsTrackerMember(BasePermission):
    """Anonymous → 401; signed in without a role (reader, owner, administrator) → 403."""

    message: Any = _(
        "Tài khoản của bạn chưa được gán vai trò nào trong hệ thống theo dõi kiến nghị "
        "(người đọc, người phụ trách hoặc quản trị viên)."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return roles.can_view(request.user)


def may_see_email(viewer: Any, person_id: int) -> bool:
    """E-mail addresses are shown only to administrators and to the person themself."""
    return roles.is_administrator(viewer) or (viewer.is_authenticated and viewer.pk == person_id)
