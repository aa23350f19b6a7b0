"""The controller's safety layer, in plain Python so every ROS node, bridge or script shares one tested copy.

`ControllerCore` turns timestamped measurements into one physical command per control step:

    core = ControllerCore(policy, SafetyConfig())
    core.activate(now, measurements)              # soft start from the current pose
    command = core.update(now, measurements, stamps)   # always finite, limited, slew-limited

and guarantees, in this order of precedence:
- e-stop: `emergency_stop()` latches the safe state until `reset()`;
- fall: |roll| or |pitch| above `tilt_limit` latches the safe state until `reset()`;
- watchdog: a measurement older than `sensor_timeout` -> safe state (clears when fresh data returns);
- bad input: non-finite or missing measurements never reach the policy -> safe state for that step (counted);
- soft start: after activation the command fades from the safe command to the policy's over `soft_start_time`;
- limits: every command is clamped to the profile's range and slew-limited (`max_slew` per second);
- NaN/Inf are never output.
The safe state is "hold" (position actuation: hold the measured pose; torque actuation: damping torque
-damping x joint velocity). The policy's own guard (weight norm bound, reset to the initial weights) stays active.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError, ObservationError
from .policy import Policy
from .profile import ObservationAssembler

STATES = ("inactive", "active", "estop", "fallen", "watchdog")


@dataclass(frozen=True)
class SafetyConfig:
    """Safety limits of the controller (SI units).

    sensor_timeout: seconds after which a measurement is stale (watchdog).
    soft_start_time: seconds over which the policy's command fades in after activation (0: at once).
    tilt_limit: radians of |roll| or |pitch| that count as a fall.
    max_slew: largest change of a command per second (rad/s for position, N*m/s for torque); inf: none.
    damping: N*m*s/rad of the safe state's damping torque (torque actuation).
    position_margin: radians kept clear of each joint's limits (position actuation).
    """

    sensor_timeout: float = 0.1
    soft_start_time: float = 1.0
    tilt_limit: float = 1.0
    max_slew: float = math.inf
    damping: float = 5.0
    position_margin: float = 0.0

    def __post_init__(self) -> None:
        if not (self.sensor_timeout > 0 and self.soft_start_time >= 0 and self.tilt_limit > 0 and self.max_slew > 0
                and self.damping >= 0 and self.position_margin >= 0):
            raise ConfigError(f"invalid safety config {self}: timeouts, limits and gains must be positive")


@dataclass
class SafetyStats:
    """Counters for diagnostics."""

    steps: int = 0
    policy_steps: int = 0
    rejected_inputs: int = 0
    watchdog_trips: int = 0
    falls: int = 0
    estops: int = 0
    clamped: int = 0
    slew_limited: int = 0
    last_problem: str = ""
    state_changes: list[str] = field(default_factory=list)


class ControllerCore:
    """Safety around a `Policy`: measurements in, one safe physical command out per step."""

    def __init__(self, policy: Policy, config: SafetyConfig = SafetyConfig()) -> None:
        self.policy = policy
        self.profile = policy.artifact.profile
        self.config = config
        self.assemble = ObservationAssembler(self.profile)
        self.needed = tuple(dict.fromkeys((*self.assemble.keys, "joint_position", "joint_velocity", "roll_pitch_yaw")))
        n = self.profile.n_actions
        low = np.asarray(self.profile.action_low or (-1.0,) * n)
        high = np.asarray(self.profile.action_high or (1.0,) * n)
        corners = np.stack([self.profile.command_from_action(low), self.profile.command_from_action(high)])
        self.command_low = corners.min(axis=0)
        self.command_high = corners.max(axis=0)
        if self.profile.action_mode == "position":
            self.command_low = self.command_low + config.position_margin
            self.command_high = self.command_high - config.position_margin
        self.state = "inactive"
        self.stats = SafetyStats()
        self._last_command: np.ndarray | None = None
        self._last_time: float | None = None
        self._activated_at = 0.0
        self._latched = False

    # ------------------------------------------------------------------ transitions

    def activate(self, now: float, seed: int | None = None) -> None:
        """Start controlling: fresh random weights (`seed`), soft start from now."""
        self.policy.reset(seed)
        self._activated_at = now
        self._set_state("active")

    def deactivate(self) -> None:
        self._set_state("inactive")

    def emergency_stop(self) -> None:
        """Latch the safe state until `reset()`."""
        self.stats.estops += 1
        self._latched = True
        self._set_state("estop")

    def reset(self, now: float, seed: int | None = None) -> None:
        """Clear a latched e-stop or fall and start again with fresh weights and a soft start."""
        self._latched = False
        self.activate(now, seed)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.stats.state_changes.append(f"{self.state}->{state}")
            self.state = state

    # ------------------------------------------------------------------ one step

    def update(self, now: float, measurements: Mapping[str, np.ndarray],
               stamps: Mapping[str, float] | None = None) -> np.ndarray:
        """The command for this step (physical units, profile order). Never raises for bad data: it holds."""
        self.stats.steps += 1
        problem = self._check_inputs(now, measurements, stamps or {})
        if self.state == "active" and problem == "stale":
            self.stats.watchdog_trips += 1
            self._set_state("watchdog")
        elif self.state == "watchdog" and problem != "stale":
            self._activated_at = now  # fresh data again: fade back in from the safe state
            self._set_state("active")
        if self.state == "active" and problem is None:
            roll, pitch = (float(v) for v in np.asarray(measurements["roll_pitch_yaw"])[:2])
            if max(abs(roll), abs(pitch)) > self.config.tilt_limit:
                self.stats.falls += 1
                self._latched = True
                self._set_state("fallen")
        safe = self._safe_command(measurements, fresh=problem != "stale")
        if self.state == "active" and problem is None:
            action = self.policy.step(self.assemble(measurements))
            self.stats.policy_steps += 1
            command = self.profile.command_from_action(action)
            fade = 1.0 if self.config.soft_start_time == 0 else min(
                1.0, (now - self._activated_at) / self.config.soft_start_time)
            command = fade * command + (1.0 - fade) * safe
        else:
            if problem not in (None, "stale"):
                self.stats.rejected_inputs += 1
            command = safe
        return self._limit(now, command)

    def _check_inputs(self, now: float, measurements, stamps) -> str | None:
        for key in self.needed:
            if key not in measurements:
                self.stats.last_problem = f"missing {key}"
                return "missing"
            if stamps.get(key) is not None and now - stamps[key] > self.config.sensor_timeout:
                self.stats.last_problem = f"{key} is {now - stamps[key]:.3f} s old"
                return "stale"
            values = np.asarray(measurements[key], dtype=np.float64)
            if not np.isfinite(values).all():
                self.stats.last_problem = f"{key} holds NaN/Inf"
                return "nonfinite"
        try:
            self.assemble(measurements)
        except ObservationError as error:
            self.stats.last_problem = str(error)
            return "malformed"
        return None

    def _safe_command(self, measurements, fresh: bool = True) -> np.ndarray:
        n = self.profile.n_actions
        if self.profile.action_mode == "position":
            positions = np.asarray(measurements.get("joint_position", np.full(n, np.nan)), dtype=np.float64)
            if positions.shape == (n,) and np.isfinite(positions).all():
                return positions
            return self._last_command.copy() if self._last_command is not None else (
                (self.command_low + self.command_high) / 2)
        velocities = np.asarray(measurements.get("joint_velocity", np.zeros(n)), dtype=np.float64)
        if not fresh or velocities.shape != (n,) or not np.isfinite(velocities).all():
            return np.zeros(n)  # no trustworthy velocity to damp: no torque
        return -self.config.damping * velocities

    def _limit(self, now: float, command: np.ndarray) -> np.ndarray:
        command = np.asarray(command, dtype=np.float64)
        if not np.isfinite(command).all():
            command = np.where(np.isfinite(command), command, 0.0)
            self.stats.rejected_inputs += 1
        clamped = np.clip(command, self.command_low, self.command_high)
        if not np.array_equal(clamped, command):
            self.stats.clamped += 1
        if self._last_command is not None and self._last_time is not None and math.isfinite(self.config.max_slew):
            step = max(now - self._last_time, 0.0) * self.config.max_slew
            limited = np.clip(clamped, self._last_command - step, self._last_command + step)
            if not np.array_equal(limited, clamped):
                self.stats.slew_limited += 1
            clamped = limited
        self._last_command, self._last_time = clamped.copy(), now
        return clamped
