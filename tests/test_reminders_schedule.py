"""The weekly schedule lives in the database, created once and then left to staff."""

import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from recommendations import tasks
from tracker.celery import app

pytestmark = pytest.mark.django_db


def test_setup_creates_the_monday_morning_task_once_and_keeps_staff_edits():
    call_command("setup_reminder_schedule", stdout=io.StringIO())
    call_command("setup_reminder_schedule", stdout=io.StringIO())

    [task] = PeriodicTask.objects.all()
    assert (task.name, task.task, task.enabled) == (
        "weekly digest",
        "recommendations.tasks.send_weekly_reminders",
        True,
    )
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_week,
        crontab.day_of_month,
        crontab.month_of_year,
    ) == (
        "0",
        "8",
        "1",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "Asia/Ho_Chi_Minh"
    assert app.tasks[task.task].name == tasks.send_weekly_reminders.name  # the name resolves to our task

    # Staff move it to Tuesday 09:30 and pause it in the admin; setting up again keeps that.
    tuesday, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="9", day_of_week="2", timezone="Asia/Ho_Chi_Minh"
    )
    PeriodicTask.objects.filter(pk=task.pk).update(crontab=tuesday, enabled=False)
    out = io.StringIO()
    call_command("setup_reminder_schedule", stdout=out)

    task.refresh_from_db()
    assert (task.crontab_id, task.enabled) == (tuesday.pk, False)
    assert "left unchanged" in out.getvalue()
    assert PeriodicTask.objects.count() == 1
