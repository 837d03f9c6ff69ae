from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

TASK_NAME = "weekly digest"
TASK = "recommendations.tasks.send_weekly_reminders"
SCHEDULE = {
    "minute": "0",
    "hour": "8",
    "day_of_week": "1",
    "day_of_month": "*",
    "month_of_year": "*",
    "timezone": "Asia/Ho_Chi_Minh",
}


class Command(BaseCommand):
    help = (
        f"Create the periodic task “{TASK_NAME}” (weekly digest and escalation, Mondays 08:00 "
        "Asia/Ho_Chi_Minh) unless it exists; an existing one is left as staff edited it."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        existing = PeriodicTask.objects.filter(name=TASK_NAME).first()
        if existing is not None:
            self.stdout.write(
                f"Periodic task “{TASK_NAME}” exists already ({existing.crontab or existing.interval}, "
                f"{'enabled' if existing.enabled else 'disabled'}); left unchanged."
            )
            return
        crontab, _created = CrontabSchedule.objects.get_or_create(**SCHEDULE)
        PeriodicTask.objects.create(name=TASK_NAME, task=TASK, crontab=crontab, enabled=True)
        self.stdout.write(self.style.SUCCESS(f"Periodic task “{TASK_NAME}” created: {crontab}."))
