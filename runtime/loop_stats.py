"""Timing of a control loop: rate, jitter, overruns and sensor-to-command latency, for a controller's diagnostics.

The ROS controller node calls `tick` at each control step and `latency` after each command, and publishes
`figures()` on /diagnostics; nothing here needs ROS, so it is tested without it.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

LOOP_SAMPLES_KEPT = 1000
"""Loop intervals and sensor-to-command latencies kept for the rate, jitter and latency figures."""
OVERRUN_FACTOR = 1.5
"""An interval longer than this many control periods counts as an overrun (timer-driven loops only)."""


class LoopStats:
    """The last `kept` loop intervals and latencies (seconds, one monotonic clock) and the overruns so far.

    period: the control period (s) the intervals are held against (jitter, overruns).
    """

    def __init__(self, period: float = math.nan, kept: int = LOOP_SAMPLES_KEPT) -> None:
        self.period = period
        self.intervals: deque[float] = deque(maxlen=kept)
        self.latencies: deque[float] = deque(maxlen=kept)
        self.overruns = 0
        self._last_tick: float | None = None

    def restart(self) -> None:
        """A new run of the loop (activation): the next tick starts a fresh interval."""
        self._last_tick = None

    def clear(self) -> None:
        """Forget every sample and overrun (and the last tick)."""
        self.intervals.clear()
        self.latencies.clear()
        self.overruns = 0
        self._last_tick = None

    def tick(self, now: float, timed: bool = True) -> None:
        """A control step starts at `now`; `timed`: the loop runs on a timer, so a late step is an overrun (a
        state-triggered loop runs when the data come)."""
        if self._last_tick is not None:
            interval = now - self._last_tick
            self.intervals.append(interval)
            if timed and interval > OVERRUN_FACTOR * self.period:
                self.overruns += 1
        self._last_tick = now

    def latency(self, seconds: float) -> None:
        """Time from the newest measurement's arrival to the command that used it."""
        self.latencies.append(seconds)

    def figures(self) -> dict[str, str]:
        """loop_rate_hz, jitter_p99_ms (|interval - period|), overruns, sensor_to_command_p99_ms, as diagnostics
        text ("nan" before there are samples)."""
        intervals = np.array(self.intervals) if self.intervals else np.array([math.nan])
        latencies = np.array(self.latencies) if self.latencies else np.array([math.nan])
        return {"loop_rate_hz": f"{1.0 / np.mean(intervals):.2f}",
                "jitter_p99_ms": f"{1e3 * np.percentile(np.abs(intervals - self.period), 99):.3f}",
                "overruns": str(self.overruns),
                "sensor_to_command_p99_ms": f"{1e3 * np.percentile(latencies, 99):.3f}"}
