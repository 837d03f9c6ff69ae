"""The messages of three third-party apps that ship no Vietnamese catalogue, listed here so that
``make messages`` keeps them in our catalogue with their Vietnamese translations.

``rest_framework.authtoken`` (*Auth Token › Tokens*, the API tokens), ``axes`` (*Axes › Access
attempts*, where an administrator lifts a login lock-out) and ``django_celery_beat`` (*Periodic
Tasks*, where the weekly reminder's schedule is seen and changed) would otherwise show their app
and model names, field labels and help texts, choices, fieldset titles, list filters, actions and
messages in English on a Vietnamese admin. Our locale directory comes first (``LOCALE_PATHS``), so
its translations of these msgids are the ones used; the English catalogue keeps the apps' wording.
``tests/test_admin_third_party_messages.py`` checks that each is exactly a msgid of the installed
app's source, and that every other msgid there is translated elsewhere or left out below.

axes' app has no translatable name (its ``AppConfig`` has no ``verbose_name``: the admin shows its
label, "Axes"), so ``AxesConfig`` below, named in ``INSTALLED_APPS`` in place of ``"axes"``, gives it
one and changes nothing else: same module, same label ``axes``, same ``ready()``. Its msgid is
Vietnamese like the rest of the tracker's own; in English it stays "Axes".

Already translated elsewhere, so not repeated: "Enabled" (a periodic task's switch) is in
``django_messages.py``; Django's or DRF's Vietnamese catalogues translate "Yes" and "No" (axes'
lock-out filter), "User" and "Key" (a token's; the key itself is never shown here), and the token
login serializer's "Password", "Must include “username” and “password”." and "Unable to log in
with provided credentials.". "Username" and "Created" are translated by DRF too, but are listed: DRF
says "Tên người dùng" and "Đã tạo", where Django's user admin and the tracker say "Tên đăng nhập"
and "tạo lúc".

Left out:

- two messages formatted before they are translated, which no catalogue can match: axes' "Cleaned
  up {count} expired access attempts." and django-celery-beat's 'task "…" not found' (f-strings);
- django-celery-beat's "was,were": it fills only ``{2}`` of "{0} task{1} {2} successfully run",
  and Vietnamese needs neither that nor the plural "s" in ``{1}`` (which is why that message is
  marked to spare it msgfmt's check that a translation uses every argument);
- axes' lock-out messages ("Account locked: too many login attempts. …"): our lock-out page
  (``AXES_LOCKOUT_TEMPLATE``) replaces them, and its JSON answer to scripts has no message;
- the fields of axes' ``AccessAttemptExpiration`` ("Access Attempt", "Expires At" and its help
  text): that model has no admin page; only its name shows, in the permission lists and as the
  "expiration" line of an access attempt.

Some English remains that no catalogue can reach, because the apps pass plain strings:
django-celery-beat's "Task Name" (a periodic task's ``task`` field: a list filter's title, a
column of the schedules' inline), its "Scheduler" and "Human readable" columns (admin methods
without a description), its schedule-type validation errors and the crontab descriptions of
``cron_descriptor`` ("At 08:00 AM, only on Monday"); axes' "Status" column and the names of its
records ("Attempted Access: <time>", the title of an access attempt's page).
"""

from __future__ import annotations

from axes.apps import AppConfig as _AxesAppConfig
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy


class AxesConfig(_AxesAppConfig):
    """axes' own configuration, with a name for its section of the admin."""

    verbose_name = gettext_lazy("Bảo vệ đăng nhập")


# rest_framework.authtoken: the app, the token list and its form.
AUTHTOKEN_MESSAGES = (
    gettext_noop("Auth Token"),
    gettext_noop("Token"),
    gettext_noop("Tokens"),
    gettext_noop("Created"),
    gettext_noop("Username"),  # the token list's search help; also axes' username field
)

# axes: access attempts (the lock-out counters), access logs (sign-ins) and access failures.
AXES_MESSAGES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    # The admin: the lock-out filter and status, fieldsets, the clean-up action.
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),  # after a number: "7 Attempt Remaining"
    gettext_noop("Not set"),  # the expiration column, if AXES_USE_ATTEMPT_EXPIRATION is turned on
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
)

# django_celery_beat: the app, periodic tasks and their four kinds of schedule.
CELERY_BEAT_MESSAGES = (
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("periodic task track"),  # a bookkeeping model, seen only in the permission lists
    gettext_noop("periodic task tracks"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("clocked"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    # A periodic task's fields.
    gettext_noop("Name"),
    gettext_noop("Short Description For This Task"),
    gettext_noop('The Name of the Celery Task that Should be Run.  (Example: "proj.tasks.import_contacts")'),
    gettext_noop("Interval Schedule"),
    gettext_noop("Interval Schedule to run the task on.  Set only one schedule type, leave the others null."),
    gettext_noop("Crontab Schedule"),
    gettext_noop("Crontab Schedule to run the task on.  Set only one schedule type, leave the others null."),
    gettext_noop("Solar Schedule"),
    gettext_noop("Solar Schedule to run the task on.  Set only one schedule type, leave the others null."),
    gettext_noop("Clocked Schedule"),
    gettext_noop("Clocked Schedule to run the task on.  Set only one schedule type, leave the others null."),
    gettext_noop("Positional Arguments"),
    gettext_noop('JSON encoded positional arguments (Example: ["arg1", "arg2"])'),
    gettext_noop("Keyword Arguments"),
    gettext_noop('JSON encoded keyword arguments (Example: {"argument": "value"})'),
    gettext_noop("Queue Override"),
    gettext_noop("Queue defined in CELERY_TASK_QUEUES. Leave None for default queuing."),
    gettext_noop("Exchange"),
    gettext_noop("Override Exchange for low-level AMQP routing"),
    gettext_noop("Routing Key"),
    gettext_noop("Override Routing Key for low-level AMQP routing"),
    gettext_noop("AMQP Message Headers"),
    gettext_noop("JSON encoded message headers for the AMQP message."),
    gettext_noop("Priority"),
    gettext_noop(
        "Priority Number between 0 and 255. Supported by: RabbitMQ, Redis (priority reversed, 0 is highest)."
    ),
    gettext_noop("Expires Datetime"),
    gettext_noop("Datetime after which the schedule will no longer trigger the task to run"),
    gettext_noop("Expires timedelta with seconds"),
    gettext_noop("Timedelta with seconds which the schedule will no longer trigger the task to run"),
    gettext_noop("One-off Task"),
    gettext_noop("If True, the schedule will only run the task a single time"),
    gettext_noop("Start Datetime"),
    gettext_noop("Datetime when the schedule should begin triggering the task to run"),
    gettext_noop("Set to False to disable the schedule"),
    gettext_noop("Last Run Datetime"),
    gettext_noop(
        "Datetime that the schedule last triggered the task to run. Reset to None if enabled is set to False."
    ),
    gettext_noop("Total Run Count"),
    gettext_noop("Running count of how many times the schedule has triggered the task"),
    gettext_noop("Last Modified"),
    gettext_noop("Datetime that this PeriodicTask was last modified"),
    gettext_noop("Description"),
    gettext_noop("Detailed description about the details of this Periodic Task"),
    # A crontab's fields: the weekly reminder's schedule is one.
    gettext_noop("Minute(s)"),
    gettext_noop('Cron Minutes to Run. Use "*" for "all". (Example: "0,30")'),
    gettext_noop("Hour(s)"),
    gettext_noop('Cron Hours to Run. Use "*" for "all". (Example: "8,20")'),
    gettext_noop("Day(s) Of The Month"),
    gettext_noop('Cron Days Of The Month to Run. Use "*" for "all". (Example: "1,15")'),
    gettext_noop("Month(s) Of The Year"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop("Day(s) Of The Week"),
    gettext_noop(
        'Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. (Example: "0,5")'
    ),
    gettext_noop("Cron Timezone"),
    gettext_noop("Timezone to Run the Cron Schedule on. Default is UTC."),
    # An interval's fields, its periods, and how an interval is named ("every 2 days").
    gettext_noop("Number of Periods"),
    gettext_noop("Number of interval periods to wait before running the task again"),
    gettext_noop("Interval Period"),
    gettext_noop("The type of period between task runs (Example: days)"),
    gettext_noop("Days"),
    gettext_noop("Hours"),
    gettext_noop("Minutes"),
    gettext_noop("Seconds"),
    gettext_noop("Microseconds"),
    gettext_noop("Day"),
    gettext_noop("Hour"),
    gettext_noop("Minute"),
    gettext_noop("Second"),
    gettext_noop("Microsecond"),
    gettext_noop("every {}"),
    gettext_noop("every {} {}"),
    # A clocked schedule's field.
    gettext_noop("Clock Time"),
    gettext_noop("Run the task at clocked time"),
    # A solar event's fields and events.
    gettext_noop("Solar Event"),
    gettext_noop("The type of solar event when the job should run"),
    gettext_noop("Latitude"),
    gettext_noop("Run the task when the event happens at this latitude"),
    gettext_noop("Longitude"),
    gettext_noop("Run the task when the event happens at this longitude"),
    gettext_noop("Astronomical dawn"),
    gettext_noop("Civil dawn"),
    gettext_noop("Nautical dawn"),
    gettext_noop("Astronomical dusk"),
    gettext_noop("Civil dusk"),
    gettext_noop("Nautical dusk"),
    gettext_noop("Solar noon"),
    gettext_noop("Sunrise"),
    gettext_noop("Sunset"),
    # The admin: the periodic task form, its fieldsets, actions and messages, the schedules' inline.
    gettext_noop("Task (registered)"),
    gettext_noop("Task (custom)"),
    gettext_noop("Need name of task"),
    gettext_noop("Only one can be set, in expires and expire_seconds"),
    gettext_noop("Unable to parse JSON: %s"),
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop("Enable selected tasks"),
    gettext_noop("Disable selected tasks"),
    gettext_noop("Toggle activity of selected tasks"),
    gettext_noop("Run selected tasks"),
    # Translators: {1} is "" or "s", {2} "was" or "were": Vietnamese needs neither.
    # xgettext:no-python-brace-format
    gettext_noop("{0} task{1} {2} successfully run"),
    gettext_noop("Periodic Tasks Using This Schedule"),
)

# Their plurals (Vietnamese has one form). ``ngettext_lazy`` is what makemessages reads as a
# plural; nothing formats these.
CELERY_BEAT_PLURAL_MESSAGES = (
    ngettext_lazy("{0} task was successfully enabled", "{0} tasks were successfully enabled"),
    ngettext_lazy("{0} task was successfully disabled", "{0} tasks were successfully disabled"),
    ngettext_lazy("{0} task was successfully toggled", "{0} tasks were successfully toggled"),
)
