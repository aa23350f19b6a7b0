"""The evaluation pool's workers end with the process that started them: a SIGKILLed `hebbkit train` (the pool is
`trainer.pool.process_pool`, the one every local evaluation runs on) left its workers running for ever.

The test starts its own small parent process (a pool of two workers, no training), kills that parent with SIGKILL
and waits for the workers it reported; it only ever signals processes it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import os, sys, time
from hebbkit.trainer.pool import process_pool

pool = process_pool(2)
pids = set()
while len(pids) < 2:  # each worker reports its pid once it runs
    pids.update(future.result() for future in [pool.submit(os.getpid) for _ in range(8)])
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(600)
"""


def running(pid: int) -> bool:
    """`pid` runs (exists and is not a zombie)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_pool_workers_end_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(running(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)  # no cleanup of any kind can run in the parent
        parent.wait()
        deadline = time.monotonic() + 20
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(pid) for pid in workers), "pool workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in workers:  # only the workers this test's own parent reported
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_end_with_parent_signals_at_once_when_the_parent_is_already_gone():
    """A child that learns of its parent too late (the parent died before the kernel was asked) ends at once."""
    script = ("import os, time\nfrom hebbkit.runtime.lifetime import end_with_parent\n"
              "end_with_parent(parent=-1)\ntime.sleep(30)\n")  # -1: never its parent
    child = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert child.returncode == -signal.SIGTERM
