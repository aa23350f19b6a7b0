"""A controller's health for its diagnostics: is the policy running, and if not, why.

`HealthMonitor.report` classifies what happened since its previous report: OK only when the policy ran at every
control step; WARN when it ran at some only (or has not started, or is stopped on purpose: e-stop, inactive);
ERROR when it ran at none, the robot fell, the watchdog tripped, or the data it waits for stay incomplete. The ROS
controller node publishes the result on /diagnostics; nothing here needs ROS.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from .safety import ControllerState, SafetyStats


class HealthLevel(StrEnum):
    """How well the controller runs (a `str`, equal to its value; the ROS node maps it to DiagnosticStatus)."""

    OK = "OK"  # the policy ran at every control step since the previous report
    WARN = "WARN"  # it ran at some only, has not started yet, or is stopped on purpose (e-stop, inactive)
    ERROR = "ERROR"  # it ran at none, the robot fell, the watchdog tripped, or the data stay incomplete


OK, WARN, ERROR = HealthLevel.OK, HealthLevel.WARN, HealthLevel.ERROR
WAITING = "waiting"
"""The state a health report gives while the controller is activated but waits for its first complete data."""


class Health(NamedTuple):
    """level: OK, WARN or ERROR; state: the controller's state (or WAITING); message: one line saying why."""

    level: HealthLevel
    state: ControllerState | str
    message: str


class HealthMonitor:
    """Health since the previous report (the step counters at that report are kept here)."""

    def __init__(self) -> None:
        self._reported = (0, 0)  # (steps, policy_steps) at the previous report

    def restart(self) -> None:
        """Count from zero again (a new configuration)."""
        self._reported = (0, 0)

    def report(self, state: ControllerState | str, stats: SafetyStats, waiting: bool = False,
               missing: Sequence[str] = (), incomplete: bool = False) -> Health:
        """The health of a controller in `state` with `stats`.

        waiting: activated, waiting for the first complete set of measurements; missing: the measurements it waits
        for; incomplete: some data came, but not all of it within the sensor timeout.
        """
        steps, policy_steps = stats.steps - self._reported[0], stats.policy_steps - self._reported[1]
        self._reported = (stats.steps, stats.policy_steps)
        because = f": {stats.last_problem}" if stats.last_problem else ""
        if state in (ControllerState.WATCHDOG, ControllerState.FALLEN):
            return Health(ERROR, state, f"no policy step: {state}{because}")
        if state == ControllerState.ESTOP:
            return Health(WARN, state, "no policy step: emergency stop latched until ~/reset")
        if waiting:
            names = ", ".join(missing)
            if incomplete:
                return Health(ERROR, WAITING, f"no policy step: incomplete sensor data, no {names}" + (
                    f" ({stats.last_problem})" if stats.last_problem else ""))
            return Health(WARN, WAITING, f"no policy step yet: waiting for {names}")
        if state == ControllerState.INACTIVE:
            return Health(WARN, state, "no policy step: inactive")
        if policy_steps == 0:
            return Health(ERROR, state, f"no policy step in {steps} control steps{because}")
        if policy_steps < steps:
            return Health(WARN, state, f"safe command at {steps - policy_steps} of {steps} steps{because}")
        return Health(OK, state, "policy running")


def state_change_note(before: ControllerState | None, after: ControllerState, stats: SafetyStats
                      ) -> Health | None:
    """The log line for the controller's state going from `before` to `after` (None: the first step), or None when
    the log need not tell: a fall and a watchdog trip (ERROR) and the recovery from a watchdog trip (OK) are logged,
    not only shown on /diagnostics; steps between "active" and "holding" are the diagnostics' business."""
    because = f": {stats.last_problem}" if stats.last_problem else ""
    if after == before:
        return None
    if after == ControllerState.FALLEN:
        return Health(ERROR, after, f"FALL (|roll| or |pitch| above tilt_limit): safe state latched until ~/reset "
                                    f"(falls: {stats.falls})")
    if after == ControllerState.WATCHDOG:
        return Health(ERROR, after, f"WATCHDOG{because}: safe command until fresh sensor data return (trips: "
                                    f"{stats.watchdog_trips})")
    if before == ControllerState.WATCHDOG and after in (ControllerState.ACTIVE, ControllerState.HOLDING):
        return Health(OK, after, "sensor data fresh again after the watchdog trip: the policy resumes (soft start)")
    return None
