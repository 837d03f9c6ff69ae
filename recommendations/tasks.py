"""Thin Celery tasks for the weekly reminders: ids in, ``notifications.deliver`` does the work.

Delivery is idempotent (a claimed row per recipient, week and kind), so a task that runs twice —
redelivered after a worker died (``acks_late``, ``reject_on_worker_lost``) or enqueued twice —
sends once. Only SMTP and network errors are retried, a bounded number of times with exponential
backoff; countdowns stay well below the Redis visibility timeout, so a waiting retry is never
redelivered early.
"""

from __future__ import annotations

import random
from typing import Any

from celery import shared_task, states
from celery.signals import task_postrun, task_prerun, worker_process_init, worker_process_shutdown
from django.conf import settings
from django.db import close_old_connections, connections

from . import notifications

MAX_COUNTDOWN_SECONDS = 30 * 60  # far below CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


@worker_process_init.connect
def _reuse_one_smtp_session(**_kwargs: Any) -> None:
    """Each pool process sends its emails over one kept-open connection (see
    ``notifications.smtp_session``)."""
    notifications.smtp_session.enabled = True


@worker_process_shutdown.connect
def _close_the_smtp_session(**_kwargs: Any) -> None:
    notifications.smtp_session.close()


# Database connections: Celery's Django fixup closes them around every task unless
# ``CELERY_DB_REUSE_MAX`` is set (settings set it), and a new PostgreSQL connection per email was
# the digest benchmark's largest wait. Around each task they are treated as around a web request
# instead — kept for ``CONN_MAX_AGE`` seconds, checked before reuse (``CONN_HEALTH_CHECKS``) — and
# closed after any task that did not succeed: a task stopped by its time limit in the middle of a
# query leaves a connection that still looks usable (celery/celery#9824).


def _in_a_worker(task: Any) -> bool:
    # A task run eagerly (``apply``, CELERY_TASK_ALWAYS_EAGER) runs inside its caller, whose
    # connection and transaction are not the task's to close.
    return task is not None and not getattr(task.request, "is_eager", False)


@task_prerun.connect
def _database_connections_before_a_task(task: Any = None, **_kwargs: Any) -> None:
    if _in_a_worker(task):
        close_old_connections()


@task_postrun.connect
def _database_connections_after_a_task(task: Any = None, state: str | None = None, **_kwargs: Any) -> None:
    if not _in_a_worker(task):
        return
    if state == states.SUCCESS:
        close_old_connections()
    else:
        for connection in connections.all(initialized_only=True):
            connection.close()


def retry_countdown(retries: int) -> float:
    """Exponential backoff with jitter: base, 2×base, 4×base … capped at 30 minutes."""
    base = settings.REMINDER_RETRY_BACKOFF_SECONDS
    delay = min(base * 2**retries, MAX_COUNTDOWN_SECONDS)
    return float(delay) + random.uniform(0, base / 2)  # noqa: S311 - jitter, not a secret


@shared_task(
    bind=True,
    name="recommendations.tasks.send_weekly_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def send_weekly_reminders(self, period: str | None = None) -> dict[str, int]:
    """The scheduled fan-out: one ``send_reminder`` task per recipient and kind for the ISO week
    ``period`` (this week by default). Enqueued after commit, so that it never runs ahead of data
    written in the same transaction."""
    period = notifications.parse_period(period) if period else notifications.iso_period()
    enqueued = {}
    for kind in notifications.KINDS:
        ids = notifications.recipient_ids(kind)
        for recipient_id in ids:
            send_reminder.delay_on_commit(str(kind), recipient_id, period)
        enqueued[str(kind)] = len(ids)
    return enqueued


@shared_task(
    bind=True,
    name="recommendations.tasks.send_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
)
def send_reminder(self, kind: str, recipient_id: int, period: str) -> str:
    """Send one person's digest or escalation for ``period``, at most once."""
    try:
        result = notifications.deliver(kind=kind, recipient_id=recipient_id, period=period)
    except notifications.TRANSIENT_SEND_ERRORS as error:
        # The delivery is recorded as failed with the error; the retry claims it again.
        raise self.retry(
            exc=error,
            countdown=retry_countdown(self.request.retries),
            max_retries=settings.REMINDER_MAX_RETRIES,
        ) from error
    if result.outcome == notifications.Outcome.IN_FLIGHT:
        # Another worker holds the claim. Usually it is alive and a retry a moment later finds the
        # email sent. If it died, its claim goes stale after REMINDER_CLAIM_STALE_AFTER; the
        # retries' growing countdowns add up to well beyond that (about an hour by default), so a
        # later retry takes the claim over and a crash before sending does not lose the email.
        raise self.retry(
            countdown=retry_countdown(self.request.retries), max_retries=settings.REMINDER_MAX_RETRIES
        )
    return str(result.outcome)
