"""Measure the SMTP sink's own acceptance rate: raw smtplib, no Django, no Celery.

    python bench/smtp_blast.py PORT MESSAGES CONNECTIONS SIZE_BYTES [--reconnect]

Sends MESSAGES messages of about SIZE_BYTES from CONNECTIONS processes at once, each reusing one
SMTP session (or opening a new one per message with --reconnect, as a task sending one email
does), and prints one JSON line: messages, seconds, messages per second.
"""

from __future__ import annotations

import json
import smtplib
import sys
import time
from email.message import EmailMessage
from multiprocessing import Pool


def _message(number: int, size: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "bench@example.org"
    message["To"] = f"sink-{number}@example.org"
    message["Subject"] = f"Benchmark message {number}"
    line = "Kiến nghị LOAD-0000001 — Đẩy mạnh hợp tác quốc tế về chuyển đổi số, hạn 2030-01-01.\n"
    message.set_content(line * max(1, size // len(line.encode())))
    return message


def _send(job: tuple[int, int, int, int, bool]) -> int:
    port, first, count, size, reconnect = job
    messages = [_message(first + n, size) for n in range(count)]
    if reconnect:
        for message in messages:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.send_message(message)
    else:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            for message in messages:
                client.send_message(message)
    return count


def main() -> None:
    port, total, connections, size = (int(value) for value in sys.argv[1:5])
    reconnect = "--reconnect" in sys.argv[5:]
    share = total // connections
    jobs = [(port, n * share, share, size, reconnect) for n in range(connections)]
    with Pool(connections) as pool:
        # Start the processes before the clock: measure sending, not forking.
        pool.map(int, range(connections))
        started = time.perf_counter()
        sent = sum(pool.map(_send, jobs))
        seconds = time.perf_counter() - started
    print(json.dumps({"messages": sent, "seconds": seconds, "per_second": sent / seconds}))


if __name__ == "__main__":
    main()
