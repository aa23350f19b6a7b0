"""`end_with_parent`: a child process that ends when the process that started it ends, however that ends.

A parent killed with SIGKILL (or a `ros2 launch` stopped with SIGTERM, which launch answers by exiting without
stopping its nodes) cannot tell its children to stop, so the children must notice themselves. On Linux the kernel
does it: `prctl(PR_SET_PDEATHSIG)` sends a signal when the parent ends. Elsewhere a daemon thread polls the parent's
process id. The pool workers of `hebbkit train` and every node of `hebb_runtime` call it at start.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
"""prctl option: the signal this process gets when its parent ends (linux/prctl.h)."""


def end_with_parent(signum: int = signal.SIGTERM, parent: int | None = None, poll: float = 0.5) -> None:
    """Have `signum` delivered to this process when its parent ends (SIGKILL of the parent included).

    parent: the process id the caller knows its parent by (default: the current parent); if the process already has
    another parent (the one it knew ended before this call), `signum` is delivered at once. poll: seconds between
    checks where the kernel cannot do it (not Linux).
    """
    expected = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux") and _parent_death_signal(signum):
        if os.getppid() != expected:  # the parent ended before the kernel was told
            os.kill(os.getpid(), signum)
        return
    watcher = threading.Thread(target=_watch, args=(expected, signum, poll), name="end-with-parent", daemon=True)
    watcher.start()


def _parent_death_signal(signum: int) -> bool:
    """Ask the kernel for `signum` when the parent ends; False when it cannot be asked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int, signum: int, poll: float) -> None:
    while os.getppid() == parent:
        time.sleep(poll)
    os.kill(os.getpid(), signum)
