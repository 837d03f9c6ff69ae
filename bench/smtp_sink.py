"""A local SMTP sink for the digest benchmark: accepts every message and counts it.

    python bench/smtp_sink.py PORT STATS_FILE

Runs aiosmtpd on 127.0.0.1:PORT and rewrites STATS_FILE (JSON: messages, bytes, first and last
acceptance times on the monotonic clock) ten times a second, so the benchmark can read how many
messages it has accepted and when. Messages are counted and dropped, never stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.first: float | None = None
        self.last: float | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        self.first = self.first if self.first is not None else now
        self.last = now
        self.messages += 1
        self.bytes += len(envelope.content or b"")
        return "250 Message accepted"

    def stats(self) -> dict[str, Any]:
        return {"messages": self.messages, "bytes": self.bytes, "first": self.first, "last": self.last}


def main() -> None:
    port, stats_file = int(sys.argv[1]), Path(sys.argv[2])
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    stopping = False

    def stop(*_args: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    controller.start()
    try:
        while not stopping:
            tmp = stats_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(handler.stats()))
            os.replace(tmp, stats_file)
            time.sleep(0.1)
    finally:
        controller.stop()
        stats_file.write_text(json.dumps(handler.stats()))


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
