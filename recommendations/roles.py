"""Roles and object-level permissions, shared by the services, the admin and the API.

- administrators (superusers or the ``administrator`` group) may do anything;
- owners (the ``owner`` group, staff of an organization) may change, transition and add evidence
  only to recommendations their organization owns;
- readers (the ``reader`` group) read everything and change nothing;
- a withdrawn evidence file is downloaded by administrators only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Evidence, Recommendation

ADMINISTRATOR = "administrator"
OWNER = "owner"
READER = "reader"
ROLE_GROUPS = (ADMINISTRATOR, OWNER, READER)


def remember_group_names(user: Any, names: set[str]) -> None:
    """Give ``user`` the names of their groups, read along with them, so that no role check asks
    the database again during this request."""
    user._tracker_group_names = names


def _group_names(user: Any) -> set[str]:
    cached = getattr(user, "_tracker_group_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._tracker_group_names = cached
    return cached


def is_administrator(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active) and (
        user.is_superuser or ADMINISTRATOR in _group_names(user)
    )


def is_owner_role(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active) and OWNER in _group_names(user)


def can_view(user: Any) -> bool:
    """Every signed-in active member of a role sees the whole catalogue."""
    return bool(user.is_authenticated and user.is_active) and (
        user.is_superuser or bool(_group_names(user) & set(ROLE_GROUPS))
    )


def can_edit_recommendation(user: Any, recommendation: Recommendation) -> bool:
    if is_administrator(user):
        return True
    return (
        is_owner_role(user)
        and user.organization_id is not None
        and user.organization_id == recommendation.owner_organization_id
    )


def can_download_evidence_file(user: Any, evidence: Evidence) -> bool:
    """A withdrawn file (attached by mistake, or not to be shared) stays for the record, but only
    administrators may still download it; otherwise whoever may see the item."""
    return can_view(user) and (evidence.withdrawn_at is None or is_administrator(user))


def can_create_recommendation(user: Any) -> bool:
    return is_administrator(user)
