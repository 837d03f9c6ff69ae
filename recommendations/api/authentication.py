"""API authentication: DRF's token scheme, with the user and their roles read in one query."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication

from .. import selectors


class TrackerTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's ``TokenAuthentication`` (same header, same refusals),
    with the lookup of ``selectors.token_user``."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        found = selectors.token_user(key)
        if found is None or not found[0].is_active:
            # DRF's own lookup refuses it, with DRF's (translated) reason.
            return super().authenticate_credentials(key)
        return found
