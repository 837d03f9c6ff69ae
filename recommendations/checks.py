"""System checks of the tracker's own settings, run by ``manage.py check``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every link in a reminder email starts with SITE_URL: left at its local default in
    production, each one would point at the recipient's own computer."""
    url = urlsplit(settings.SITE_URL)
    if url.scheme == "https" and url.hostname and url.hostname not in LOOPBACK_HOSTS:
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}: the links in reminder emails would not reach the "
            "tracker from the recipients' computers.",
            hint="Set SITE_URL to the tracker's public https:// address.",
            id="recommendations.W001",
        )
    ]
