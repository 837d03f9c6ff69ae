"""Helpers for the reminder tests: a real SMTP server, a real Celery worker, demo data, a tiny
translation catalogue, and polling with deadlines (never a bare sleep)."""

from __future__ import annotations

import array
import contextlib
import datetime
import email
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from django.core.mail.backends import locmem
from django.db import connection
from django.utils import timezone

from recommendations import roles
from recommendations.models import Organization, Recommendation, User
from recommendations.workflow import Status
from tests.factories import OrganizationFactory, RecommendationFactory, owner_user

BASE_DIR = Path(__file__).resolve().parent.parent
# The week a delivery is for is only its identity; the content is computed from today's date.
PERIOD = "2026-W07"


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.1,
    message: str | Callable[[], str] = "",
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``message`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message() if callable(message) else message}")
        time.sleep(interval)


# --- SMTP ----------------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (for a server to bind, or to stand for a server that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    # The client's address and port: one per SMTP connection.
    peer: Any = None

    @property
    def subject(self) -> str:
        # A long non-ASCII subject is folded right after "Subject:"; unfolding leaves a leading space.
        return str(self.message["Subject"]).strip()

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise AssertionError(f"no {content_type} part")


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse on cue.

    ``rcpt_replies`` maps an address to replies for its next RCPT commands (e.g. a 451 once, then
    accepted); ``data_replies`` are replies for the next DATA commands. Anything else is accepted.
    """

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            replies = self.rcpt_replies.get(address)
            if replies:
                reply = replies.pop(0)
                self.refusals.append(f"RCPT {address}: {reply}")
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.data_replies:
                reply = self.data_replies.pop(0)
                self.refusals.append(f"DATA {envelope.rcpt_tos}: {reply}")
                return reply
            message = email.message_from_bytes(envelope.original_content, policy=default_policy)
            assert isinstance(message, EmailMessage)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.peer))
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, list[Received]]:
        result: dict[str, list[Received]] = {}
        for item in list(self.received):
            for address in item.rcpt_tos:
                result.setdefault(address, []).append(item)
        return result


@contextlib.contextmanager
def smtp_server(inbox: Inbox, port: int | None = None) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a loopback port, stopped on exit; yields the port."""
    attempts = 0
    while True:
        chosen = port or free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=chosen, ready_timeout=5)
        try:
            controller.start()
            break
        except Exception:
            # Another process took the free port between our probe and the bind: pick another.
            attempts += 1
            if port is not None or attempts >= 5:
                raise
    try:
        yield chosen
    finally:
        controller.stop()


def use_smtp(settings: Any, port: int) -> None:
    """Point Django's email at the SMTP server on ``port`` (what ``EMAIL_URL=smtp://…`` does)."""
    settings.EMAIL_BACKEND = "tracker.mail.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


# --- Demo data -----------------------------------------------------------------------------------


@dataclass
class Demo:
    org_a: Organization
    org_b: Organization
    lan: User  # Vietnamese, four open items, one in each group
    john: User  # English, one open item
    mai: User  # opted out of the digest, one open item
    binh: User  # only closed items
    focal: User  # focal person of org A: one item of org A is 20 days overdue
    items: dict[str, Recommendation]


def make_demo(*, today: datetime.date, now: datetime.datetime | None = None) -> Demo:
    """A small data set that exercises every rule of the digest and the escalation."""
    now = now or timezone.now()
    # A transactional test before this one may have flushed the role groups a data migration made.
    Group.objects.get_or_create(name=roles.OWNER)
    org_a = OrganizationFactory(code="BNG", name="Bộ Ngoại giao")
    org_b = OrganizationFactory(code="BTTTT", name="Bộ Thông tin và Truyền thông")
    lan = owner_user(org_a, username="lan", first_name="Lan", last_name="Nguyễn", email="lan@example.org")
    john = owner_user(org_b, username="john", first_name="Minh", last_name="Phạm", email="john@example.org")
    john.preferred_language = "en"
    john.save(update_fields=["preferred_language"])
    mai = owner_user(org_b, username="mai", email="mai@example.org")
    mai.receives_weekly_digest = False
    mai.save(update_fields=["receives_weekly_digest"])
    binh = owner_user(org_b, username="binh", email="binh@example.org")
    focal = owner_user(org_a, username="focal", first_name="Hà", last_name="Trần", email="focal@example.org")
    org_a.focal_person = focal
    org_a.save(update_fields=["focal_person"])

    def item(code: str, owner: User, org: Organization, **fields: Any) -> Recommendation:
        fields.setdefault("status", Status.IN_PROGRESS)
        fields.setdefault("last_activity_at", now - datetime.timedelta(days=1))
        return RecommendationFactory(code=code, owner=owner, owner_organization=org, **fields)

    day = datetime.timedelta(days=1)
    items = {
        "A-01": item("A-01", lan, org_a, title="Quá hạn lâu", due_date=today - 20 * day),
        "A-02": item("A-02", lan, org_a, title="Sắp đến hạn", due_date=today + 3 * day),
        "A-03": item(
            "A-03",
            lan,
            org_a,
            title="Lâu không cập nhật",
            due_date=today + 60 * day,
            last_activity_at=now - 45 * day,
        ),
        "A-04": item("A-04", lan, org_a, title="Bình thường", due_date=None, status=Status.ACCEPTED),
        "A-05": item(
            "A-05", lan, org_a, title="Đã xong", due_date=today - 5 * day, status=Status.IMPLEMENTED
        ),
        "B-01": item(
            "B-01", john, org_b, title="Mở trung tâm dữ liệu", title_en="Open a data centre", due_date=today
        ),
        "B-02": item("B-02", mai, org_b, title="Người không nhận thư", due_date=today - 30 * day),
        "B-03": item("B-03", binh, org_b, title="Đã từ chối", status=Status.REJECTED),
    }
    return Demo(org_a, org_b, lan, john, mai, binh, focal, items)


# --- Celery worker -------------------------------------------------------------------------------


def worker_database_url() -> str:
    """``DATABASE_URL`` of the test database this process uses, for a worker subprocess."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise AssertionError("the worker cannot share an in-memory SQLite test database")
        return f"sqlite:///{name}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        credentials = quote(str(db["USER"] or ""), safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(str(db["PASSWORD"]), safe="")
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 5432
        return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"
    raise AssertionError(f"unsupported database engine {db['ENGINE']}")


def redis_url_or_skip() -> str:
    """``REDIS_URL`` if set and reachable. Unset: skip locally, fail under ``CI=true``."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but REDIS_URL is not set: the real-worker reminder tests need Redis")
        pytest.skip("REDIS_URL is not set: the real-worker reminder tests need Redis (.ci/run sets it)")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"REDIS_URL={url} is set but Redis does not answer: {error}")
    return url


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path
    queue: str

    def log(self, last: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-last:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the Celery worker exited with {self.process.returncode}:\n{self.log()}")


def stop_process_group(process: subprocess.Popen[bytes], *, grace: float = 10) -> None:
    """TERM the worker's whole process group (pool children too), KILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def celery_worker(
    *, log_dir: Path, env: dict[str, str], queue: str = "", concurrency: int = 2, max_lifetime: int = 180
) -> Iterator[Worker]:
    """A real ``celery worker`` subprocess on its own queue (also its default queue, so the tasks
    it enqueues stay on it), killed on exit however the test ends."""
    queue = queue or f"reminders-test-{uuid.uuid4().hex[:12]}"
    log_path = log_dir / "celery-worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tracker",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    timeout = shutil.which("timeout")
    if timeout:
        # A last resort: the worker ends by itself even if this test process is killed outright.
        command = [timeout, "--kill-after=5", str(max_lifetime), *command]
    full_env = {**os.environ, **env, "CELERY_TASK_DEFAULT_QUEUE": queue, "PYTHONUNBUFFERED": "1"}
    full_env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield Worker(process, log_path, queue)
    finally:
        stop_process_group(process)


# --- Translations --------------------------------------------------------------------------------


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """Write a GNU .mo catalogue (what ``compilemessages`` produces) without needing gettext tools.

    A plural entry is keyed ``"singular\\x00plural"`` with the value ``"one\\x00other"``.
    """
    catalogue = {
        "": "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n",
        **messages,
    }
    keys = sorted(catalogue)
    ids = strs = b""
    offsets = []
    for key in keys:
        key_bytes, value_bytes = key.encode(), catalogue[key].encode()
        offsets.append((len(ids), len(key_bytes), len(strs), len(value_bytes)))
        ids += key_bytes + b"\0"
        strs += value_bytes + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets: list[int] = []
    value_offsets: list[int] = []
    for id_offset, id_length, str_offset, str_length in offsets:
        key_offsets += [id_length, id_offset + key_start]
        value_offsets += [str_length, str_offset + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + array.array("i", key_offsets + value_offsets).tobytes() + ids + strs)


# --- Email backends for failure injection ---------------------------------------------------------


class FlakyBackend(locmem.EmailBackend):
    """The test outbox, but the next ``failures`` sends raise the given SMTP error first."""

    failures: ClassVar[list[Exception]] = []

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
        return super().send_messages(messages)


class SlowBackend(locmem.EmailBackend):
    """The test outbox, slow enough that two racing senders overlap."""

    def send_messages(self, messages: Any) -> int:
        time.sleep(0.3)
        return super().send_messages(messages)
