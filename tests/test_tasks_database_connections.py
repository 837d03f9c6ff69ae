"""Around each Celery task the database connection is handled as around a web request: kept for
the next task while ``CONN_MAX_AGE`` lasts and it still works, closed after a task that did not
succeed — and Celery's Django fixup, as our settings configure it, no longer closes it after
every task. The handlers are driven through Celery's own signals and the fixup's own code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import states
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import DEFAULT_DB_ALIAS, connection, connections

from recommendations import tasks
from tracker.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)

TASK = tasks.send_reminder


@pytest.fixture
def conn_max_age() -> Iterator[None]:
    """The production setting (60 s) for this test's connection: ``CONN_MAX_AGE`` is read when
    the connection opens."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 60
    yield
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = saved


def run_task_signals(state: str) -> None:
    """What a worker process sends around one task."""
    task_prerun.send(sender=TASK, task_id="t-1", task=TASK, args=(), kwargs={})
    with connection.cursor() as cursor:  # the task's queries
        cursor.execute("SELECT 1")
    task_postrun.send(sender=TASK, task_id="t-1", task=TASK, args=(), kwargs={}, retval=None, state=state)


def test_a_successful_task_leaves_its_connection_to_the_next(conn_max_age):
    connection.ensure_connection()
    opened = connection.connection

    run_task_signals(states.SUCCESS)
    run_task_signals(states.SUCCESS)

    assert connection.connection is opened


@pytest.mark.parametrize("state", [states.FAILURE, states.RETRY])
def test_a_task_that_did_not_succeed_closes_the_connection(conn_max_age, state):
    connection.ensure_connection()

    run_task_signals(state)

    assert connection.connection is None
    with connection.cursor() as cursor:  # the next task gets a new one
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_with_conn_max_age_0_each_task_closes_its_connection():
    assert connection.settings_dict["CONN_MAX_AGE"] == 0  # the test settings (DEBUG on)
    connection.close()

    run_task_signals(states.SUCCESS)

    assert connection.connection is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ends a server session: PostgreSQL")
def test_a_connection_the_server_dropped_is_replaced_before_the_next_task(conn_max_age):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (dropped_pid,) = cursor.fetchone()
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped_pid])
    finally:
        other.close()

    run_task_signals(states.SUCCESS)  # the health check finds it dead and reconnects

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dropped_pid


def test_celerys_django_fixup_as_configured_keeps_the_connection_across_tasks(conn_max_age):
    fixup = DjangoWorkerFixup(celery_app)
    assert fixup.db_reuse_max == 100
    connection.ensure_connection()
    opened = connection.connection

    for _task in range(3):
        fixup.on_task_prerun(sender=TASK)
        run_task_signals(states.SUCCESS)
        fixup.on_task_postrun(sender=TASK)

    assert connection.connection is opened


def test_a_task_run_eagerly_leaves_its_callers_connection_alone(conn_max_age):
    connection.ensure_connection()
    opened = connection.connection

    TASK.push_request(is_eager=True)
    try:
        run_task_signals(states.FAILURE)
    finally:
        TASK.pop_request()

    assert connection.connection is opened
