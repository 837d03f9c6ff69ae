"""Domain errors raised by the services; the admin and the API map them to messages and 4xx."""

from __future__ import annotations

from django.core.exceptions import ValidationError

__all__ = [
    "CheckInRefused",
    "DomainError",
    "NotPermitted",
    "StaleVersion",
    "TransitionRefused",
    "ValidationError",
]


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)


class TransitionRefused(DomainError):
    """The requested status change is not allowed; nothing was changed."""

    code = "transition_refused"


class NotPermitted(DomainError):
    """The user may not change this object."""

    code = "permission_denied"


class StaleVersion(DomainError):
    """The change was made against an outdated version of the object; nothing was changed."""

    code = "stale_version"

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class CheckInRefused(DomainError):
    """A check-in link that cannot be used (already used, item closed); nothing was recorded."""

    code = "check_in_refused"
