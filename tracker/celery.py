"""The Celery app, configured from Django settings (``CELERY_*``).

The broker is Redis at ``REDIS_URL``; without it, kombu's filesystem transport under ``var/``
(one machine, and a task in flight is lost if the worker is killed — see the README). Tasks live
in each app's ``tasks.py``; the schedule lives in the database (django-celery-beat's
``DatabaseScheduler``), editable in the admin under "Periodic tasks".
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Keep retrying to reach the broker at start-up (Redis may start after the worker).
app.conf.broker_connection_retry_on_startup = True
app.autodiscover_tasks()
