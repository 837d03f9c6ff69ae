"""Integration: a real Celery worker (a subprocess, on the real Redis) and a real SMTP server
(aiosmtpd on a loopback port) deliver a week's reminders for a demo data set, exactly once.

Needs ``REDIS_URL`` (``.ci/run`` sets it); without it the test is skipped, unless ``CI=true``.
The worker reads this test's database: the SQLite test database is a file (see the settings) and
on PostgreSQL the worker is given the ``test_…`` database's URL.
"""

import contextlib
import json
import time
import uuid

import pytest
import redis
from django.utils import timezone

from recommendations import notifications, tasks
from recommendations.models import ReminderDelivery
from recommendations.notifications import DIGEST
from tests.reminders_support import (
    PERIOD,
    Inbox,
    celery_worker,
    make_demo,
    redis_url_or_skip,
    smtp_server,
    wait_for,
    worker_database_url,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SITE = "https://tracker.example.gov.vn"


@pytest.fixture
def redis_url():
    return redis_url_or_skip()


def our_unacked(client: redis.Redis, queue: str) -> list[bytes]:
    """Delivery tags of messages of ``queue`` that a worker took but has not acknowledged."""
    return [
        tag
        for tag, raw in client.hgetall("unacked").items()
        if json.loads(raw)[2] == queue  # kombu stores [message, exchange, routing key]
    ]


def broker_is_idle(client: redis.Redis, queue: str) -> bool:
    """No message waiting in the queue and none taken but unacknowledged (acks_late: a message is
    acknowledged when its task has finished; a retry waiting for its countdown is unacknowledged)."""
    return client.llen(queue) == 0 and not our_unacked(client, queue)


def clean_up(client: redis.Redis, queue: str) -> None:
    for tag in our_unacked(client, queue):
        client.hdel("unacked", tag)
        client.zrem("unacked_index", tag)
    # The queue, and the exchange bindings kombu made for it (the default exchange is named
    # after the default queue).
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_a_real_worker_on_redis_delivers_the_weeks_reminders_once_over_smtp(redis_url, tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factories
    settings.SITE_URL = SITE
    demo = make_demo(today=timezone.localdate())
    # John's mail server greylists the first attempt: the worker must retry and deliver.
    inbox = Inbox(rcpt_replies={"john@example.org": ["451 4.7.1 Greylisted, please try again"]})
    broker = redis.Redis.from_url(redis_url, socket_timeout=5)
    queue = f"reminders-test-{uuid.uuid4().hex[:12]}"  # this test's own queue, whatever else runs

    with contextlib.ExitStack() as cleanup, smtp_server(inbox) as port:
        cleanup.callback(clean_up, broker, queue)  # after the worker has stopped
        env = {
            "REDIS_URL": redis_url,
            "DATABASE_URL": worker_database_url(),
            "CONN_MAX_AGE": "0",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "EMAIL_TIMEOUT": "10",
            "SITE_URL": SITE,
            "REMINDER_RETRY_BACKOFF_SECONDS": "1",
        }
        with celery_worker(log_dir=tmp_path, env=env, queue=queue) as worker:
            # The scheduled fan-out, enqueued twice (as a duplicated beat tick would).
            for _ in range(2):
                tasks.send_weekly_reminders.apply_async(args=[PERIOD], queue=queue)

            def all_sent() -> bool:
                worker.check_alive()
                states = list(ReminderDelivery.objects.values_list("state", flat=True))
                return len(states) == 3 and set(states) == {ReminderDelivery.State.SENT}

            wait_for(
                all_sent,
                timeout=60,
                interval=0.2,
                message=lambda: f"deliveries: {list(ReminderDelivery.objects.values())}\n{worker.log()}",
            )
            # Let every duplicate task finish (twice in a row: a message moves between the
            # queue and the unacked set in two steps) before counting what arrived.
            wait_for(
                lambda: (
                    broker_is_idle(broker, worker.queue)
                    and time.sleep(0.3) is None
                    and broker_is_idle(broker, worker.queue)
                ),
                timeout=30,
                message=lambda: f"the worker did not finish its tasks\n{worker.log()}",
            )
            worker.check_alive()

    john_subject = notifications.subject_for(
        notifications.build_content(kind=DIGEST, recipient=demo.john, period=PERIOD)
    )
    assert sorted((item.rcpt_tos[0], item.subject) for item in inbox.received) == [
        (
            "focal@example.org",
            "[Theo dõi kiến nghị] Báo cáo đôn đốc tuần 7 (09/02–15/02/2026): 1 kiến nghị cần chú ý",
        ),
        ("john@example.org", john_subject),
        (
            "lan@example.org",
            "[Theo dõi kiến nghị] Tuần 7 (09/02–15/02/2026): 4 kiến nghị bạn phụ trách đang mở",
        ),
    ]
    assert inbox.refusals == ["RCPT john@example.org: 451 4.7.1 Greylisted, please try again"]
    assert sorted(
        ReminderDelivery.objects.values_list("recipient__username", "kind", "state", "attempts")
    ) == [
        ("focal", "escalation", "sent", 1),
        ("john", "digest", "sent", 2),
        ("lan", "digest", "sent", 1),
    ]
    by_address = {item.rcpt_tos[0]: item for item in inbox.received}
    lan = by_address["lan@example.org"]
    assert lan.message_id == ReminderDelivery.objects.get(recipient=demo.lan).message_id
    assert lan.message["From"] == settings.DEFAULT_FROM_EMAIL
    assert f"{SITE}/admin/recommendations/recommendation/{demo.items['A-01'].pk}/change/" in lan.part(
        "text/plain"
    )
    assert f"{SITE}/check-in/" in lan.part("text/html")
