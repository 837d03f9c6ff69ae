"""django-axes' database handler with a second, higher limit per network address.

Axes locks the pair (username, address) after ``AXES_FAILURE_LIMIT`` failures: a ministry behind
one NAT address is not locked out by one person's typing. But the pair alone lets one address try
a few passwords against every account (password spraying). Axes has one limit for all its
parameter sets, so the address's limit is added here: once the failures from one address, for
all usernames together, reach ``AXES_ADDRESS_FAILURE_LIMIT`` within the cool-off time, every
sign-in from that address is refused, the right password included, as for a locked pair. The
failures are axes' own records (*Axes › Access attempts*), so deleting an address's records, or
``manage.py axes_reset_ip <address>``, lifts both locks.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off time, for any username."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)  # type: ignore[attr-defined]
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PairAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        failures = int(super().get_failures(request, credentials))
        limit = settings.AXES_ADDRESS_FAILURE_LIMIT
        if limit and address_failures(request) >= limit:
            # Axes compares this count with the pair's limit, before checking a password and after
            # recording a failure: an address over its own limit reads as a locked pair, whatever
            # the username. The lock-out page tells the two apart by this mark.
            request.tracker_address_locked_out = True
            return max(failures, get_failure_limit(request, credentials))
        return failures
