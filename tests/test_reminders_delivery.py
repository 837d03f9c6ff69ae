"""Each weekly email goes out once: claimed before sending, retried after SMTP failures, safe when
tasks run twice or race; SMTP failures are recorded and lose nothing else."""

import datetime
import io
import smtplib
import threading

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connections
from django.utils import timezone

from recommendations import notifications, services, tasks
from recommendations.models import ReminderDelivery
from recommendations.notifications import DIGEST, ESCALATION, Outcome
from tests.reminders_support import PERIOD, FlakyBackend, Inbox, free_port, make_demo, smtp_server, use_smtp
from tracker.celery import app

SENT = ReminderDelivery.State.SENT
FAILED = ReminderDelivery.State.FAILED


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast factories
    settings.REMINDER_MAX_RETRIES = 2


@pytest.fixture
def eager():
    """Celery tasks run in this process; a task's failure is kept in its result, as in a worker."""
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def run_weekly(django_capture_on_commit_callbacks, period=PERIOD):
    """The scheduled fan-out, with the tasks it enqueues after commit run here."""
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.send_weekly_reminders.apply(args=[period])
    return result.get()


def deliveries():
    return sorted(
        ReminderDelivery.objects.values_list("recipient__username", "kind", "state", "attempts"),
    )


def english_subject(user):
    """The subject of an English digest, whatever the English catalogue says today."""
    assert user.preferred_language == "en"
    return notifications.subject_for(notifications.build_content(kind=DIGEST, recipient=user, period=PERIOD))


@pytest.mark.django_db
def test_the_same_week_twice_sends_each_email_once(eager, mailoutbox, django_capture_on_commit_callbacks):
    demo = make_demo(today=timezone.localdate())

    first = run_weekly(django_capture_on_commit_callbacks)
    second = run_weekly(django_capture_on_commit_callbacks)

    assert first == second == {"digest": 2, "escalation": 1}
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        (
            "focal@example.org",
            "[Theo dõi kiến nghị] Báo cáo đôn đốc tuần 7 (09/02–15/02/2026): 1 kiến nghị cần chú ý",
        ),
        ("john@example.org", english_subject(demo.john)),
        (
            "lan@example.org",
            "[Theo dõi kiến nghị] Tuần 7 (09/02–15/02/2026): 4 kiến nghị bạn phụ trách đang mở",
        ),
    ]
    assert deliveries() == [
        ("focal", ESCALATION, SENT, 1),
        ("john", DIGEST, SENT, 1),
        ("lan", DIGEST, SENT, 1),
    ]
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 3

    run_weekly(django_capture_on_commit_callbacks, period="2026-W08")  # a new week: new emails
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_a_task_that_fails_after_claiming_before_sending_is_retried_and_sends_once(eager, settings):
    settings.EMAIL_BACKEND = "tests.reminders_support.FlakyBackend"
    demo = make_demo(today=timezone.localdate())
    FlakyBackend.failures = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]
    mail.outbox = []

    result = tasks.send_reminder.apply(args=[DIGEST, demo.lan.pk, PERIOD])

    assert result.successful() and result.get() == "sent"
    assert [m.to for m in mail.outbox] == [["lan@example.org"]]
    delivery = ReminderDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (SENT, 2, "")

    again = tasks.send_reminder.apply(args=[DIGEST, demo.lan.pk, PERIOD])  # a duplicate task
    assert again.get() == "already_sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_retries_are_bounded_and_the_failure_is_recorded_with_the_error(eager, settings):
    settings.EMAIL_BACKEND = "tests.reminders_support.FlakyBackend"
    demo = make_demo(today=timezone.localdate())
    FlakyBackend.failures = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")] * 3
    mail.outbox = []

    result = tasks.send_reminder.apply(args=[DIGEST, demo.lan.pk, PERIOD])

    assert result.failed() and isinstance(result.result, smtplib.SMTPServerDisconnected)
    delivery = ReminderDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (FAILED, 3)  # the first try and two retries
    assert delivery.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


def test_retry_backoff_is_exponential_and_capped_below_the_visibility_timeout(settings):
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 60
    settings.REMINDER_MAX_RETRIES = 6
    countdowns = [tasks.retry_countdown(retries) for retries in range(8)]
    # Retries while another worker's claim is held outlast the time after which it goes stale.
    stale_after = services.REMINDER_CLAIM_STALE_AFTER.total_seconds()
    assert sum(countdowns[: settings.REMINDER_MAX_RETRIES]) > 3 * stale_after
    bases = [60, 120, 240, 480, 960, 1800, 1800, 1800]
    for retries, (base, countdown) in enumerate(zip(bases, countdowns, strict=True)):
        assert base <= countdown <= base + 30, retries
    assert max(countdowns) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_blocks_until_stale_then_a_retry_sends_once(
    mailoutbox, monkeypatch, settings
):
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 60
    demo = make_demo(today=timezone.localdate())
    held = services.reminder_delivery_claim(recipient=demo.lan, period=PERIOD, kind=DIGEST)
    assert held is not None and held.state == ReminderDelivery.State.SENDING  # ... and the worker died

    blocked = notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)
    retried = []

    def fake_retry(**options):
        retried.append(options)
        return Retry()

    monkeypatch.setattr(tasks.send_reminder, "retry", fake_retry)
    with pytest.raises(Retry):
        tasks.send_reminder.run(DIGEST, demo.lan.pk, PERIOD)

    assert blocked.outcome == Outcome.IN_FLIGHT
    assert mailoutbox == []
    assert [options["max_retries"] for options in retried] == [2]
    assert 60 <= retried[0]["countdown"] <= 90  # the first backoff step

    ReminderDelivery.objects.filter(pk=held.pk).update(
        claimed_at=timezone.now() - services.REMINDER_CLAIM_STALE_AFTER - datetime.timedelta(seconds=1)
    )
    taken_over = notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)

    assert taken_over.outcome == Outcome.SENT
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [held.message_id]
    assert deliveries() == [("lan", DIGEST, SENT, 2)]


@pytest.mark.django_db
def test_the_first_claim_creates_the_row_already_claimed_in_one_write(django_assert_num_queries):
    demo = make_demo(today=timezone.localdate())
    # The read that finds no row, then the insert (in its savepoint): no update, no read back.
    with django_assert_num_queries(4):
        claimed = services.reminder_delivery_claim(
            recipient=demo.lan, period=PERIOD, kind=DIGEST, subject="Nhắc việc", item_count=3
        )
    stored = ReminderDelivery.objects.get()
    assert claimed is not None and claimed.pk == stored.pk
    assert (stored.state, stored.attempts, stored.subject, stored.item_count) == (
        ReminderDelivery.State.SENDING,
        1,
        "Nhắc việc",
        3,
    )
    assert stored.claimed_at == claimed.claimed_at is not None
    assert stored.message_id == claimed.message_id != ""
    # Held: a second claim gets nothing and changes nothing.
    assert services.reminder_delivery_claim(recipient=demo.lan, period=PERIOD, kind=DIGEST) is None
    assert ReminderDelivery.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_for_an_unknown_recipient_fails_and_leaves_no_row():
    with pytest.raises(IntegrityError):
        services.reminder_delivery_claim(recipient=987654, period=PERIOD, kind=DIGEST)
    assert not ReminderDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_the_same_recipient_send_once(settings):
    settings.EMAIL_BACKEND = "tests.reminders_support.SlowBackend"
    demo = make_demo(today=timezone.localdate())
    mail.outbox = []
    weeks = ["2026-W10", "2026-W11", "2026-W12"]
    outcomes: dict[str, list[str]] = {week: [] for week in weeks}
    errors: list[BaseException] = []

    def worker(week, barrier):
        try:
            barrier.wait(timeout=10)
            result = notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=week)
            outcomes[week].append(result.outcome)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    for week in weeks:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(week, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    for week in weeks:
        assert sorted(outcomes[week]) in (
            [Outcome.IN_FLIGHT, Outcome.SENT],
            [Outcome.ALREADY_SENT, Outcome.SENT],
        ), week
    assert len(mail.outbox) == 3
    assert sorted(ReminderDelivery.objects.values_list("period", "state", "attempts")) == [
        (week, SENT, 1) for week in weeks
    ]


@pytest.mark.django_db
def test_send_reminders_dry_run_prints_and_sends_nothing(mailoutbox):
    demo = make_demo(today=timezone.localdate())
    out = io.StringIO()

    call_command("send_reminders", "--dry-run", "--period", PERIOD, stdout=out)

    assert out.getvalue().splitlines() == [
        "Reminders for 2026-W07 (dry run: nothing is sent)",
        "  would send digest to lan@example.org (vi, 4 items): "
        "[Theo dõi kiến nghị] Tuần 7 (09/02–15/02/2026): 4 kiến nghị bạn phụ trách đang mở",
        f"  would send digest to john@example.org (en, 1 items): {english_subject(demo.john)}",
        "  would send escalation to focal@example.org (vi, 1 items): "
        "[Theo dõi kiến nghị] Báo cáo đôn đốc tuần 7 (09/02–15/02/2026): 1 kiến nghị cần chú ý",
        "Would send 3, would skip 0.",
    ]
    assert mailoutbox == []
    assert ReminderDelivery.objects.count() == 0


@pytest.mark.django_db
def test_send_reminders_twice_sends_once_and_counts_the_skips(mailoutbox):
    make_demo(today=timezone.localdate())
    first, second = io.StringIO(), io.StringIO()

    call_command("send_reminders", "--period", PERIOD, stdout=first)
    call_command("send_reminders", "--period", PERIOD, stdout=second)

    assert first.getvalue().splitlines()[-1] == "Sent 3, skipped 0, failed 0."
    assert second.getvalue().splitlines() == ["Reminders for 2026-W07", "Sent 0, skipped 3, failed 0."]
    assert len(mailoutbox) == 3
    with pytest.raises(CommandError, match="not an ISO week"):
        call_command("send_reminders", "--period", "2026-W54")


# --- A real SMTP server that refuses, or is down -------------------------------------------------


@pytest.mark.django_db
def test_smtp_refusing_one_recipient_records_the_failure_retries_and_loses_nothing_else(
    eager, settings, django_capture_on_commit_callbacks
):
    make_demo(today=timezone.localdate())
    inbox = Inbox(rcpt_replies={"lan@example.org": ["550 5.1.1 Mailbox unavailable"] * 3})
    with smtp_server(inbox) as port:
        use_smtp(settings, port)

        run_weekly(django_capture_on_commit_callbacks)

        assert sorted(inbox.by_recipient()) == ["focal@example.org", "john@example.org"]
        assert inbox.refusals == ["RCPT lan@example.org: 550 5.1.1 Mailbox unavailable"] * 3
        lan = ReminderDelivery.objects.get(recipient__username="lan")
        assert (lan.state, lan.attempts) == (FAILED, 3)
        assert lan.last_error.startswith("SMTPRecipientsRefused: ")
        assert "550" in lan.last_error and "Mailbox unavailable" in lan.last_error

        # The mailbox is back: the next run sends the failed one, and only that one.
        out = io.StringIO()
        call_command("send_reminders", "--period", PERIOD, stdout=out)

    assert out.getvalue().splitlines()[-1] == "Sent 1, skipped 2, failed 0."
    assert {address: len(items) for address, items in inbox.by_recipient().items()} == {
        "focal@example.org": 1,
        "john@example.org": 1,
        "lan@example.org": 1,
    }
    assert deliveries() == [
        ("focal", ESCALATION, SENT, 1),
        ("john", DIGEST, SENT, 1),
        ("lan", DIGEST, SENT, 4),
    ]
    assert ReminderDelivery.objects.get(recipient__username="lan").last_error == ""


@pytest.mark.django_db
def test_smtp_temporary_refusal_is_retried_and_delivered_once(
    eager, settings, django_capture_on_commit_callbacks
):
    make_demo(today=timezone.localdate())
    inbox = Inbox(data_replies=["451 4.3.0 Temporary local problem, try again later"])
    with smtp_server(inbox) as port:
        use_smtp(settings, port)
        run_weekly(django_capture_on_commit_callbacks)

    assert len(inbox.refusals) == 1
    assert {address: len(items) for address, items in inbox.by_recipient().items()} == {
        "focal@example.org": 1,
        "john@example.org": 1,
        "lan@example.org": 1,
    }
    assert sorted(attempts for *_rest, attempts in deliveries()) == [1, 1, 2]
    assert {state for _user, _kind, state, _attempts in deliveries()} == {SENT}


@pytest.mark.django_db
def test_smtp_server_down_records_every_delivery_failed_then_sends_each_once(
    eager, settings, django_capture_on_commit_callbacks
):
    make_demo(today=timezone.localdate())
    port = free_port()  # nothing listens here
    use_smtp(settings, port)

    run_weekly(django_capture_on_commit_callbacks)

    assert deliveries() == [
        ("focal", ESCALATION, FAILED, 3),
        ("john", DIGEST, FAILED, 3),
        ("lan", DIGEST, FAILED, 3),
    ]
    assert all(
        error.startswith("ConnectionRefusedError: ")
        for error in ReminderDelivery.objects.values_list("last_error", flat=True)
    )
    failing = io.StringIO()
    with pytest.raises(CommandError, match="3 email"):
        call_command("send_reminders", "--period", PERIOD, stdout=failing, stderr=io.StringIO())
    assert failing.getvalue().splitlines()[-1] == "Sent 0, skipped 0, failed 3."

    inbox = Inbox()
    with smtp_server(inbox, port=port):
        run_weekly(django_capture_on_commit_callbacks)
        run_weekly(django_capture_on_commit_callbacks)

    assert sorted((r.rcpt_tos[0], r.message_id) for r in inbox.received) == sorted(
        ReminderDelivery.objects.values_list("recipient__email", "message_id")
    )
    assert deliveries() == [
        ("focal", ESCALATION, SENT, 5),
        ("john", DIGEST, SENT, 5),
        ("lan", DIGEST, SENT, 5),
    ]


# --- One SMTP session per worker process ---------------------------------------------------------


@pytest.fixture
def reused_session():
    """What ``tasks`` does when a Celery pool process starts, undone afterwards."""
    notifications.smtp_session.enabled = True
    yield notifications.smtp_session
    notifications.smtp_session.close()
    notifications.smtp_session.enabled = False


@pytest.mark.django_db
def test_a_worker_process_sends_its_emails_over_one_connection(reused_session, settings):
    demo = make_demo(today=timezone.localdate())
    inbox = Inbox()
    with smtp_server(inbox) as port:
        use_smtp(settings, port)
        for user in (demo.lan, demo.john):
            assert (
                notifications.deliver(kind=DIGEST, recipient_id=user.pk, period=PERIOD).outcome
                == Outcome.SENT
            )
        assert notifications.deliver(kind=ESCALATION, recipient_id=demo.focal.pk, period=PERIOD).outcome == (
            Outcome.SENT
        )
        assert reused_session.connection is not None  # still open for the next email

    assert sorted(inbox.by_recipient()) == ["focal@example.org", "john@example.org", "lan@example.org"]
    assert len({item.peer for item in inbox.received}) == 1


@pytest.mark.django_db
def test_a_connection_the_server_dropped_while_idle_is_replaced_without_losing_the_email(
    reused_session, settings
):
    demo = make_demo(today=timezone.localdate())
    first, second = Inbox(), Inbox()
    with smtp_server(first) as port:
        use_smtp(settings, port)
        assert (
            notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD).outcome
            == Outcome.SENT
        )
    # The server went away (and with it the open connection); a new one listens on the same port.
    with smtp_server(second, port=port):
        result = notifications.deliver(kind=DIGEST, recipient_id=demo.john.pk, period=PERIOD)

    assert result.outcome == Outcome.SENT
    assert [item.rcpt_tos for item in first.received] == [["lan@example.org"]]
    assert [item.rcpt_tos for item in second.received] == [["john@example.org"]]
    assert ReminderDelivery.objects.get(recipient=demo.john).attempts == 1


@pytest.mark.django_db
def test_a_refused_email_closes_the_connection_and_the_next_one_opens_another(reused_session, settings):
    demo = make_demo(today=timezone.localdate())
    inbox = Inbox(data_replies=["451 4.3.0 Temporary local problem, try again later"])
    with smtp_server(inbox) as port:
        use_smtp(settings, port)
        with pytest.raises(smtplib.SMTPDataError):
            notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)
        assert reused_session.connection is None
        assert (
            notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD).outcome
            == Outcome.SENT
        )
        assert (
            notifications.deliver(kind=DIGEST, recipient_id=demo.john.pk, period=PERIOD).outcome
            == Outcome.SENT
        )

    assert [(d.state, d.attempts) for d in ReminderDelivery.objects.filter(recipient=demo.lan)] == [(SENT, 2)]
    peers = [item.peer for item in inbox.received]
    assert len(peers) == 2 and peers[0] == peers[1]  # the retry's connection carried the next email too
