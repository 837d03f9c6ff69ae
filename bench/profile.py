"""Profile one API request or one reminder email in-process, with pyinstrument.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/profile.py \
        request "/api/v1/recommendations/?page=1&page_size=100" [--user load-reader] [--repeat 20]
    DATABASE_URL=… .venv/bin/python bench/profile.py transition [--user load-admin] [--repeat 20]
    DATABASE_URL=… .venv/bin/python bench/profile.py digest [--repeat 10]

Use a database filled by ``generate_load`` (``BENCH_KEEP_DB=1 make bench`` keeps the benchmark's
one and prints its URL). Runs with the production settings (DEBUG off) through Django's test
client, so that what is measured is the view, its queries and its serialization, without the
network and gunicorn. Prints the mean time, the queries of one call (count and the slowest) and
pyinstrument's flat profile. ``transition`` moves the benchmark's items between ``in_progress``
and ``blocked``, as its transition case does, sending each one's version in ``If-Match``.
``digest`` sends to Django's in-memory mail backend (no SMTP) and records its deliveries under a
far-future ISO week that no earlier run used.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("THROTTLE_USER", "10000000/minute")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from pyinstrument import Profiler  # noqa: E402
from pyinstrument.renderers import ConsoleRenderer  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from recommendations import notifications  # noqa: E402
from recommendations.models import Recommendation, ReminderDelivery, User  # noqa: E402


def report(name: str, call: Any, repeat: int) -> None:
    call()  # warm caches, as a running server has
    with CaptureQueriesContext(connection) as capture:
        call()
    # Copied now: a later reconnection clears the connection's query log that they come from.
    queries = list(capture.captured_queries)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    mean = (time.perf_counter() - started) / repeat * 1000
    # CPU time of this process alone (Django, DRF, psycopg; not PostgreSQL): steadier than the
    # wall clock when other processes share the cores.
    cpu = (time.process_time() - cpu_started) / repeat * 1000
    print(f"{name}: {mean:.1f} ms per call ({cpu:.1f} ms CPU in Python), {len(queries)} queries per call")
    for query in sorted(queries, key=lambda q: -float(q["time"]))[:3]:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeat):
        call()
    profiler.stop()
    print(profiler.output(ConsoleRenderer(unicode=True, color=False, flat=True))[:8000])


def profile_transitions(username: str, repeat: int) -> None:
    token, _created = Token.objects.get_or_create(user=User.objects.get(username=username))
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    items = iter(
        Recommendation.objects.filter(code__startswith="LOAD-", status__in=["in_progress", "blocked"])
        .order_by("code")
        .values_list("code", "status", "version")
    )

    def call() -> None:
        code, status, version = next(items)
        to_status = "blocked" if status == "in_progress" else "in_progress"
        comment = "Chờ ý kiến thống nhất (benchmark)." if to_status == "blocked" else ""
        response = client.post(
            f"/api/v1/recommendations/{code}/transition/",
            {"to_status": to_status, "comment": comment},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
            HTTP_IF_MATCH=f'"{version}"',
        )
        assert response.status_code == 200, response.content[:300]

    report("POST transition", call, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("what", choices=("request", "transition", "digest"))
    parser.add_argument("path", nargs="?", default="/api/v1/recommendations/?page=1&page_size=100")
    parser.add_argument("--user", help="load-reader to read, load-admin to transition (the defaults)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.what == "request":
        token, _created = Token.objects.get_or_create(
            user=User.objects.get(username=args.user or "load-reader")
        )
        client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])

        def call() -> None:
            response = client.get(args.path, HTTP_AUTHORIZATION=f"Token {token.key}")
            assert response.status_code == 200, response.content[:300]

        report(f"GET {args.path}", call, args.repeat)
        return
    if args.what == "transition":
        profile_transitions(args.user or "load-admin", args.repeat)
        return
    recipients = iter(notifications.recipient_ids("digest"))
    # A far-future ISO week that no earlier run has used: a sent digest is never sent again.
    used = set(ReminderDelivery.objects.values_list("period", flat=True).distinct())
    period = next(
        f"{y}-W{w:02d}" for y in range(2099, 2000, -1) for w in range(1, 53) if f"{y}-W{w:02d}" not in used
    )

    def send() -> None:
        result = notifications.deliver(kind="digest", recipient_id=next(recipients), period=period)
        assert result.outcome == notifications.Outcome.SENT, result

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        report("one digest email", send, min(args.repeat, 10))


if __name__ == "__main__":
    main()
