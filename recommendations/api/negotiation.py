"""Content negotiation that explains an unknown ``?format=``.

DRF answers a format no renderer has with a bare 404 "Not found.", as if the item were missing;
an analyst who typed ``?format=xls`` is told instead which formats this endpoint has (406).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class TrackerContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[BaseRenderer]:
        renderers = list(renderers)
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            raise NotAcceptable(
                _("Không có định dạng “%(format)s” ở đây; các định dạng có: %(formats)s.")
                % {"format": format[:32], "formats": ", ".join(dict.fromkeys(r.format for r in renderers))}
            )
        return matching
