"""Statuses of a recommendation and the transitions allowed between them.

Pure data and functions, no database: the service layer enforces these rules, the admin and the
API only present them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Mới đề xuất")
    ACCEPTED = "accepted", _("Đã tiếp nhận")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    BLOCKED = "blocked", _("Vướng mắc")
    IMPLEMENTED = "implemented", _("Đã thực hiện")
    VERIFIED = "verified", _("Đã xác minh")
    REJECTED = "rejected", _("Không chấp nhận")


class Timeliness(models.TextChoices):
    """The scale Vietnamese government task tracking uses; derived, never typed."""

    DONE_ON_TIME = "done_on_time", _("Hoàn thành đúng hạn")
    DONE_LATE = "done_late", _("Hoàn thành quá hạn")
    IN_TIME = "in_time", _("Đang thực hiện trong hạn")
    OVERDUE = "overdue", _("Quá hạn")


DONE_STATUSES = frozenset({Status.IMPLEMENTED, Status.VERIFIED})
CLOSED_STATUSES = DONE_STATUSES | {Status.REJECTED}
OPEN_STATUSES = frozenset(set(Status) - CLOSED_STATUSES)


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    label: StrOrPromise
    requires_comment: bool = False
    is_reopening: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.PROPOSED, Status.ACCEPTED, _("Tiếp nhận")),
    Transition(
        Status.PROPOSED, Status.REJECTED, pgettext_lazy("action", "Không chấp nhận"), requires_comment=True
    ),
    Transition(Status.ACCEPTED, Status.IN_PROGRESS, _("Bắt đầu thực hiện")),
    Transition(Status.ACCEPTED, Status.BLOCKED, _("Báo vướng mắc"), requires_comment=True),
    Transition(
        Status.ACCEPTED, Status.REJECTED, pgettext_lazy("action", "Không chấp nhận"), requires_comment=True
    ),
    Transition(Status.IN_PROGRESS, Status.BLOCKED, _("Báo vướng mắc"), requires_comment=True),
    Transition(Status.IN_PROGRESS, Status.IMPLEMENTED, _("Đánh dấu đã thực hiện")),
    Transition(Status.BLOCKED, Status.IN_PROGRESS, _("Gỡ vướng mắc, tiếp tục thực hiện")),
    Transition(
        Status.BLOCKED, Status.REJECTED, pgettext_lazy("action", "Không chấp nhận"), requires_comment=True
    ),
    Transition(Status.IMPLEMENTED, Status.VERIFIED, _("Xác minh")),
    Transition(
        Status.IMPLEMENTED,
        Status.IN_PROGRESS,
        _("Trả lại, thực hiện tiếp"),
        requires_comment=True,
        is_reopening=True,
    ),
    Transition(Status.VERIFIED, Status.IN_PROGRESS, _("Mở lại"), requires_comment=True, is_reopening=True),
    Transition(Status.REJECTED, Status.PROPOSED, _("Xem xét lại"), requires_comment=True, is_reopening=True),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}


def find_transition(source: str, target: str) -> Transition | None:
    return _BY_PAIR.get((Status(source), Status(target))) if _is_status(source, target) else None


def allowed_targets(source: str) -> list[Status]:
    return [t.target for t in TRANSITIONS if t.source == source]


def is_done(status: str) -> bool:
    return status in DONE_STATUSES


def _is_status(*values: str) -> bool:
    return all(value in Status.values for value in values)
