"""The benchmark's CPU accounting per process (``bench/bench.py``), on real processes: one that
ends between the two snapshots still counts, and only for its time between them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.bench import ProcessCpu, cpu_per_label, cpu_snapshot

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux's /proc")

# Burns the CPU seconds given on its command line, then, if asked, waits for a line on stdin and
# burns the second amount.
BURNER = """
import sys, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
burn(float(sys.argv[1]))
if len(sys.argv) > 2:
    print("burnt", flush=True)
    sys.stdin.readline()
    burn(float(sys.argv[2]))
"""


def label_this_process(pid: int, pgid: int, comm: str) -> str:
    return "this test" if pid == os.getpid() else "other"


def test_a_child_started_and_ended_between_snapshots_counts_for_its_parent() -> None:
    before = cpu_snapshot(label_this_process)
    subprocess.run([sys.executable, "-c", BURNER, "0.5"], check=True)
    spent = cpu_per_label(before, cpu_snapshot(label_this_process))
    # Its own 0.5 s (10 ms ticks; the interpreter's start-up adds a little).
    assert 0.45 <= spent["this test"] <= 1.5


def test_a_child_running_at_the_first_snapshot_counts_only_after_it() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", BURNER, "0.6", "0.3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "burnt"
    before = cpu_snapshot(label_this_process)
    assert before[child.pid].ticks >= 0.55 * os.sysconf("SC_CLK_TCK")
    child.stdin.write("go\n")
    child.stdin.close()
    assert child.wait(timeout=60) == 0
    spent = cpu_per_label(before, cpu_snapshot(label_this_process))
    # The 0.3 s it burnt after the first snapshot, not the 0.6 s before it.
    assert 0.25 <= spent["this test"] <= 0.55


def test_labels_add_up_and_ended_processes_without_a_known_parent_are_left_out() -> None:
    before = {
        1: ProcessCpu(label="db", parent=0, ticks=100, reaped_ticks=50),
        2: ProcessCpu(label="db", parent=1, ticks=30, reaped_ticks=0),  # ends, reaped by 1
        3: ProcessCpu(label="worker", parent=0, ticks=10, reaped_ticks=0),
        4: ProcessCpu(label="worker", parent=99, ticks=7, reaped_ticks=0),  # ends, parent unseen
    }
    after = {
        1: ProcessCpu(label="db", parent=0, ticks=110, reaped_ticks=50 + 45),  # 2 ended at 45
        3: ProcessCpu(label="worker", parent=0, ticks=25, reaped_ticks=0),
        5: ProcessCpu(label="worker", parent=3, ticks=4, reaped_ticks=0),  # new
    }
    hz = os.sysconf("SC_CLK_TCK")
    spent = cpu_per_label(before, after)
    assert spent == {"db": pytest.approx((10 + 45 - 30) / hz), "worker": pytest.approx((15 + 4) / hz)}
