"""Token authentication that reads the user's roles in the same query."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .. import roles


class TokenWithRolesAuthentication(TokenAuthentication):
    """DRF's ``TokenAuthentication`` (same header, same refusals), with the role groups every API
    request checks read together with the token and its user: one query instead of two."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        try:
            token = (
                Token.objects.select_related("user")
                .annotate(**roles.role_membership_annotations("user_id"))
                .get(key=key)
            )
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        roles.remember_role_membership(token.user, token)
        return (token.user, token)
