"""Waiting for node processes that the ROS 2 tests start (`hebb_runtime.launcher.node_process`)."""

from __future__ import annotations

import subprocess

from hebb_runtime.launcher import stop


def finished(process: subprocess.Popen, timeout: float = 60.0) -> tuple[int | None, str]:
    """(exit code, output) of a node process expected to end by itself (None: it kept running and was stopped)."""
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        (output,) = stop([process])
        return None, output
