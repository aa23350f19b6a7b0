"""A controller's sensor inputs and the lockstep trigger: when a complete sensor snapshot is due an answer.

`SensorInputs` keeps the latest raw measurements (keys of `hebbkit.runtime.profile.MEASUREMENTS`), when each
arrived (monotonic seconds: the safety layer's watchdog reads them) and the header stamp of the message it came in
(seconds; 0.0 for unstamped). `LockstepTrigger` decides, for a state-triggered controller (a lockstep simulation),
when to command: once per sensor snapshot, when every needed measurement arrived after the last command, the
stamped ones carry one header stamp (no mix of two states), and that stamp has not been answered yet (a republished
state is not answered twice). Unstamped measurements match any stamp. No ROS here: the controller node moves
messages in and out and asks these two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np


class SensorInputs:
    """Latest measurements with their arrival times (`arrivals`, monotonic s) and message stamps (`stamps`, s)."""

    def __init__(self) -> None:
        self.measurements: dict[str, np.ndarray] = {}
        self.arrivals: dict[str, float] = {}
        self.stamps: dict[str, float] = {}

    def store(self, measurements: Mapping[str, np.ndarray], now: float, stamp: float = 0.0) -> None:
        """Measurements of one message that arrived at `now`, stamped `stamp` (0.0: unstamped)."""
        for key, values in measurements.items():
            self.measurements[key] = values
            self.arrivals[key] = now
            self.stamps[key] = stamp

    def drop(self, key: str) -> None:
        """Forget a measurement whose latest message was unusable (the watchdog then sees it missing)."""
        self.measurements.pop(key, None)
        self.arrivals.pop(key, None)

    def missing(self, needed: Iterable[str], now: float, timeout: float) -> list[str]:
        """The `needed` measurements not received within `timeout` of `now`."""
        return [key for key in needed if now - self.arrivals.get(key, -math.inf) > timeout]

    def newest_arrival(self, default: float) -> float:
        """Arrival time of the newest measurement (`default` when none came)."""
        return max(self.arrivals.values(), default=default)


class LockstepTrigger:
    """One command per sensor snapshot (see the module docstring)."""

    def __init__(self) -> None:
        self.last_command_at = -math.inf  # monotonic time of the last command
        self.last_snapshot: float | None = None  # stamp of the last answered snapshot

    def due(self, inputs: SensorInputs, needed: Iterable[str]) -> tuple[bool, float | None]:
        """(whether a command is due, the stamp of the snapshot it answers; None when all are unstamped)."""
        needed = tuple(needed)
        if not all(inputs.arrivals.get(key, -math.inf) > self.last_command_at for key in needed):
            return False, None
        stamps = {inputs.stamps.get(key, 0.0) for key in needed} - {0.0}
        if len(stamps) > 1:
            return False, None
        snapshot = stamps.pop() if stamps else None
        if snapshot is not None and snapshot == self.last_snapshot:
            return False, None
        return True, snapshot

    def answer(self, snapshot: float | None) -> None:
        """The command for `snapshot` is about to go out."""
        self.last_snapshot = snapshot

    def commanded(self, now: float) -> None:
        """A command went out at `now` (any trigger): the next snapshot must arrive after it."""
        self.last_command_at = now
