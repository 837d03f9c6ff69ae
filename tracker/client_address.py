"""The client's network address, one rule for login lock-outs (axes) and API throttling (DRF).

Behind ``PROXY_COUNT`` reverse proxies, each proxy appends the address it received the request
from to ``X-Forwarded-For``, so the client's address is the ``PROXY_COUNT``-th from the right;
anything further left was written by the client itself and could be anything. Without proxies
the header is ignored and the connection's own address counts: otherwise a client could name a
new address for every request and never be locked out or throttled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def address_from(meta: Mapping[str, Any]) -> str:
    """The client's address from a request's ``META``."""
    remote_address = str(meta.get("REMOTE_ADDR") or "")
    if not settings.PROXY_COUNT:
        return remote_address
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    forwarded = [address for address in forwarded if address]
    if not forwarded:
        return remote_address
    # Fewer entries than proxies: the request skipped a proxy; its leftmost entry is the best guess.
    return forwarded[-min(settings.PROXY_COUNT, len(forwarded))]


def client_address(request: HttpRequest) -> str:
    """``AXES_CLIENT_IP_CALLABLE``."""
    return address_from(request.META)
