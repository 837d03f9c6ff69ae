"""The SMTP backend (tracker/mail.py) writes every message exactly as Django's backend would:
the same bytes as ``as_bytes(linesep="\\r\\n")``, whatever the line endings, encodings and parts,
and those bytes reach a real SMTP server."""

from __future__ import annotations

import copy
import os
import random
import smtplib
import subprocess
import sys
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.utils import timezone

from recommendations import notifications
from recommendations.notifications import DIGEST, ESCALATION
from tests.reminders_support import PERIOD, Inbox, make_demo, smtp_server, use_smtp
from tracker.mail import EmailBackend, message_bytes

ROOT = Path(__file__).resolve().parent.parent

BODIES = {
    "unix line endings": "Kính gửi Lan,\nDòng hai.\n",
    "windows line endings": "Kính gửi Lan,\r\nDòng hai.\r\n",
    "old mac line endings": "Kính gửi Lan,\rDòng hai.\r",
    "mixed, blank lines, no final newline": "một\r\n\r\nhai\n\nba\rbốn\n\r\nnăm",
    "a line that starts with From": "From the ministry:\nFrom here on.\n",
    "ascii only": "Dear John,\nplain ASCII.\n",
    "empty": "",
    # Over 998 bytes on one line: Django switches the part to quoted-printable.
    "a long line": "Đẩy mạnh ngoại giao công nghệ " * 60 + "\nsau đó\n",
}


def _message(body: str) -> Message:
    email = EmailMultiAlternatives(
        subject="Nhắc việc tuần 2026-W07: 3 kiến nghị",
        body=body,
        from_email="Theo dõi kiến nghị <tracker@example.org>",
        to=["Lan Nguyễn <lan@example.org>"],
        headers={"Message-ID": "<reminder.digest.2026-W07.1@example.org>"},
    )
    email.attach_alternative(f"<p>{body}</p>", "text/html")
    email.attach("bao-cao.csv", "mã,tiêu đề\r\nFPT-01,Đẩy mạnh\r\n", "text/csv")
    email.attach("anh.png", b"\x89PNG\r\n\x1a\n\x00\x01\xff", "image/png")
    message: Message = email.message()
    return message


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_message_bytes_are_what_as_bytes_writes(body):
    message = _message(body)

    written = message_bytes(message)

    assert written == message.as_bytes(linesep="\r\n")
    assert b"\n" not in written.replace(b"\r\n", b"")  # every line ending is CRLF


TOKEN = 1234567890123456789
BOUNDARY = "=" * 15 + f"{TOKEN:019d}" + "=="  # as email.generator writes it


@pytest.mark.parametrize("linesep", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize(
    "body",
    [
        f"Dòng một\n--{BOUNDARY}\nDòng ba\n",  # a line that is the boundary
        f"Dòng một\n--{BOUNDARY}--\n",  # a line that is the closing boundary
        f"Dòng một --{BOUNDARY} giữa dòng\n",  # the boundary inside a line: no clash
    ],
    ids=["boundary line", "closing boundary line", "boundary inside a line"],
)
def test_a_boundary_found_in_the_text_is_handled_as_as_bytes_handles_it(body, linesep, monkeypatch):
    # Every boundary drawn is the same, so the two writers can be compared.
    monkeypatch.setattr(random, "randrange", lambda _stop: TOKEN)
    # One multipart level (text and attachment), so no boundary but the text's can clash.
    email = EmailMessage("Kiểm tra", body, "tracker@example.org", ["lan@example.org"])
    email.attach("bao-cao.csv", "mã,tiêu đề\r\n", "text/csv")
    message = email.message()
    twin = copy.deepcopy(message)

    written = message_bytes(message, linesep=linesep)

    assert written == twin.as_bytes(linesep=linesep)
    # The standard library changes a boundary that is a line of the text (its check looks for
    # lines ending in "\n" only, so with CRLF it never finds one; the same bytes either way).
    clash = linesep == "\n" and body.startswith("Dòng một\n")
    assert message.get_boundary() == (f"{BOUNDARY}.0" if clash else BOUNDARY)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_both_reminder_emails_are_written_as_as_bytes_writes_them(language, mailoutbox):
    demo = make_demo(today=timezone.localdate())
    demo.lan.preferred_language = demo.focal.preferred_language = language
    demo.lan.save(update_fields=["preferred_language"])
    demo.focal.save(update_fields=["preferred_language"])
    notifications.deliver(kind=DIGEST, recipient_id=demo.lan.pk, period=PERIOD)
    notifications.deliver(kind=ESCALATION, recipient_id=demo.focal.pk, period=PERIOD)

    assert len(mailoutbox) == 2
    for email in mailoutbox:
        message = email.message()
        assert message_bytes(message) == message.as_bytes(linesep="\r\n")


class _RawInbox:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.contents.append(envelope.original_content)
        return "250 Message accepted"


@pytest.fixture
def raw_smtp(settings):
    inbox = _RawInbox()
    with smtp_server(inbox) as port:  # any aiosmtpd handler serves, not only an Inbox
        use_smtp(settings, port)
        yield inbox


def test_the_backend_sends_those_bytes_to_a_real_smtp_server(raw_smtp, monkeypatch):
    email = EmailMultiAlternatives(
        subject="Kiểm tra",
        body=BODIES["mixed, blank lines, no final newline"] + "\n.\n..dấu chấm đầu dòng\n",
        from_email="tracker@example.org",
        to=["lan@example.org"],
    )
    email.attach_alternative("<p>Kiểm tra</p>", "text/html")
    # The MIME message once, so that its boundary and date are those of the bytes compared.
    built = email.message()
    monkeypatch.setattr(email, "message", lambda: built)
    connection = get_connection()
    assert isinstance(connection, EmailBackend)

    assert connection.send_messages([email]) == 1

    [received] = raw_smtp.contents
    # The server undoes the dot-stuffing; smtplib ends the data with a line ending.
    assert received.rstrip(b"\r\n") == built.as_bytes(linesep="\r\n").rstrip(b"\r\n")


def test_a_refused_message_raises_and_fail_silently_counts_it_unsent(settings):
    inbox = Inbox(data_replies=["554 Transaction failed"] * 2)
    with smtp_server(inbox) as port:
        use_smtp(settings, port)
        email = EmailMessage("Kiểm tra", "Nội dung", "tracker@example.org", ["lan@example.org"])
        with pytest.raises(smtplib.SMTPDataError):
            get_connection().send_messages([email])
        assert get_connection(fail_silently=True).send_messages([email]) == 0
    assert inbox.received == []


def test_a_message_without_recipients_is_not_sent(raw_smtp):
    email = EmailMessage("Kiểm tra", "Nội dung", "tracker@example.org", [])

    assert get_connection().send_messages([email]) == 0
    assert raw_smtp.contents == []


@pytest.mark.parametrize(
    ("email_url", "backend"),
    [
        ("smtp://127.0.0.1:2525", "tracker.mail.EmailBackend"),
        ("smtp+tls://user:secret@mail.example.org:587", "tracker.mail.EmailBackend"),
        ("consolemail://", "django.core.mail.backends.console.EmailBackend"),
    ],
)
def test_email_url_selects_the_backend(email_url, backend, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "EMAIL_URL": email_url,
            "TRACKER_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == backend
