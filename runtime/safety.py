"""The controller's safety layer, in plain Python so every ROS node, bridge or script shares one tested copy.

`ControllerCore` turns timestamped measurements into one physical command per control step:

    core = ControllerCore(policy, SafetyConfig())
    core.activate(now)                                  # fresh weights, soft start from the current pose
    command = core.update(now, measurements, stamps)    # stamps: {key: seconds} or one time for all

Guarantees (whatever `now`, `measurements` and `stamps` hold: NaN, Inf, garbage objects, times out of order):
- `update()` never raises and its command is finite, inside the profile's command range (for position actuation
  also inside its `joint_limits`, the tighter of both, minus `position_margin`) and within `max_slew` x the time
  the clock (below) advanced since the previous command;
- e-stop: `emergency_stop()` latches the safe state until `reset()`; `activate()` and `deactivate()` keep it, and
  the state shows it even while inactive; a `StopLatch` shared by successive cores keeps it across them too;
- fall: a finite |roll| or |pitch| above `tilt_limit` while active latches the safe state until `reset()`, whatever
  the other inputs hold;
- watchdog: a needed measurement without a finite stamp, or stamped more than `sensor_timeout` before (or after)
  the clock -> safe state (state "watchdog"); when fresh data returns the policy's command fades in again;
- bad input (missing, malformed, non-finite, a non-finite `now`, a non-finite policy action) never reaches the
  policy or the actuator -> safe command for that step (state "holding", counted in `stats.rejected_inputs`);
- soft start: after activation, and whenever the policy resumes after a step without it, its command fades in from
  the safe command over `soft_start_time` (the fade stays within [0, 1]);
- the state says whether this step's command came from the policy: only "active" does (`stats.policy_steps`
  counts those steps).

Time: the controller's clock is the newest finite `now` seen (a `now` earlier than that counts as no time passing);
`activate()` (and `reset()` of an active controller) re-base it. With a finite `max_slew` a command cannot move
while the clock stands still.

The safe command ("hold"): position actuation holds the measured pose, or, when `joint_position` is unusable, the
last command sent (the range's middle before any command); torque actuation applies the damping torque
-damping x joint velocity, or no torque when the velocities are unusable or the data are stale. The policy's own
guard (weight norm bound, reset to the initial weights) stays active.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

import numpy as np

from .errors import ConfigError, HebbkitError
from .policy import Policy
from .profile import CONTROLLER_SUPPLIED, ObservationAssembler, RobotProfile


class ControllerState(StrEnum):
    """The controller's state after each step. A `str`: it compares equal to its value ("active") and prints, formats
    and serialises (JSON, diagnostics) as that value."""

    INACTIVE = "inactive"  # not activated
    ACTIVE = "active"  # this step ran the policy
    HOLDING = "holding"  # active, but this step's input (or the policy's action) was unusable: safe command
    WATCHDOG = "watchdog"  # active, but a needed measurement is stale: safe command
    ESTOP = "estop"  # emergency stop, latched until `reset()`
    FALLEN = "fallen"  # a fall, latched until `reset()`


STATES = tuple(ControllerState)
LATCHED_STATES = (ControllerState.ESTOP, ControllerState.FALLEN)
JOINT_KEYS = ("joint_position", "joint_velocity")
STATE_CHANGES_KEPT = 100


@dataclass(frozen=True)
class SafetyConfig:
    """Safety limits of the controller (SI units).

    sensor_timeout: seconds after which a measurement is stale (watchdog); finite.
    soft_start_time: seconds over which the policy's command fades in after activation (0: at once).
    tilt_limit: radians of |roll| or |pitch| that count as a fall.
    max_slew: largest change of a command per second (rad/s for position, N*m/s for torque); inf: none.
    damping: N*m*s/rad of the safe state's damping torque (torque actuation).
    position_margin: radians kept clear of each joint's limits (position actuation); at most half the narrowest
        joint range (checked by `ControllerCore`).
    Each field's metadata holds its one-line `help` and the `range` a configuration interface accepts (the ROS
    controller node declares its parameters from them).
    """

    sensor_timeout: float = field(default=0.1, metadata={
        "help": "s; older sensor data trips the watchdog", "range": (0.001, 10.0)})
    soft_start_time: float = field(default=1.0, metadata={
        "help": "s; the policy's command fades in over this time after activation", "range": (0.0, 60.0)})
    tilt_limit: float = field(default=1.0, metadata={
        "help": "rad of |roll| or |pitch| that counts as a fall", "range": (0.05, 3.2)})
    max_slew: float = field(default=math.inf, metadata={
        "help": "largest command change per second (rad/s or N*m/s); inf: none", "range": (1e-6, math.inf)})
    damping: float = field(default=5.0, metadata={
        "help": "N*m*s/rad of the safe state's damping torque (torque actuation)", "range": (0.0, 1e4)})
    position_margin: float = field(default=0.0, metadata={
        "help": "rad kept clear of the joint limits (position actuation)", "range": (0.0, 1.0)})

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
                raise ConfigError(f"invalid safety config: {item.name} should be a number, found {value!r}")
        checks = {
            "sensor_timeout": 0 < self.sensor_timeout < math.inf,
            "soft_start_time": 0 <= self.soft_start_time < math.inf,
            "tilt_limit": 0 < self.tilt_limit < math.inf,
            "max_slew": self.max_slew > 0,
            "damping": 0 <= self.damping < math.inf,
            "position_margin": 0 <= self.position_margin < math.inf,
        }
        expected = {"sensor_timeout": "finite and > 0", "tilt_limit": "finite and > 0", "max_slew": "> 0 (inf: none)"}
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"invalid safety config: {name} should be {expected.get(name, 'finite and >= 0')}, "
                                  f"found {getattr(self, name)!r}")


@dataclass
class SafetyStats:
    """Counters for diagnostics. `policy_steps` counts the steps whose command came from the policy; the other
    `steps - policy_steps` sent the safe command."""

    steps: int = 0
    policy_steps: int = 0
    rejected_inputs: int = 0
    watchdog_trips: int = 0
    falls: int = 0
    estops: int = 0
    clamped: int = 0
    slew_limited: int = 0
    last_problem: str = ""
    state_changes: deque[str] = field(default_factory=lambda: deque(maxlen=STATE_CHANGES_KEPT))


def as_time(value: object) -> float | None:
    """`value` as finite seconds, or None when it is not a finite real number (NaN, Inf, str, None, objects)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        seconds = float(value)
    except Exception:  # a Real subclass may fail in any way; an unusable time is the caller's answer
        return None
    return seconds if math.isfinite(seconds) else None


def describe(value: object) -> str:
    """A short repr of `value` for messages; never raises."""
    try:
        return reprlib.repr(value)
    except Exception:  # a repr may fail in any way; the message must not
        return f"<{type(value).__name__}>"


def as_vector(value: object) -> np.ndarray | str:
    """`value` as a new 1-D float64 array, or why it is not a vector of real numbers."""
    if isinstance(value, (str, bytes, Mapping)):
        return f"should be numbers, found {type(value).__name__}"
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":  # complex, strings, objects (ragged lists, arbitrary objects)
            return f"should be real numbers, found {type(value).__name__} of dtype {array.dtype}"
        return array.astype(np.float64).reshape(-1)
    except Exception as error:  # any object can arrive here; reading it must not stop the control loop
        return f"cannot be read as numbers ({type(error).__name__})"


class StopLatch:
    """A latched stop (ESTOP or FALLEN, None: none) that can outlive any one `ControllerCore`.

    An integration that builds cores again and again (the ROS node: one per configure) keeps one latch for its whole
    life and hands it to every core, so tearing a core down and building the next cannot clear a stop, and a stop
    latched before any core exists (an e-stop sent to an unconfigured controller) holds for the first one. Only
    `clear()` (what the core's `reset()` calls) ends it.
    """

    def __init__(self) -> None:
        self.state: ControllerState | None = None

    def latch(self, state: ControllerState) -> None:
        """Latch `state` (ESTOP or FALLEN); an e-stop is never downgraded to a fall."""
        if self.state != ControllerState.ESTOP:
            self.state = state

    def clear(self) -> None:
        self.state = None


def command_range(profile: RobotProfile) -> tuple[np.ndarray, np.ndarray]:
    """Per action entry, the lowest and highest physical command the controller sends: the action limits mapped
    through the action scaling, and for position actuation also within the profile's own `joint_limits` (the
    tighter of both), so a profile whose scaling maps past its joints cannot command them past their limits.
    Raises `ConfigError` when the two ranges do not overlap for some joint (no command could respect both)."""
    n = profile.n_actions
    low = np.asarray(profile.action_low or (-1.0,) * n, dtype=np.float64)
    high = np.asarray(profile.action_high or (1.0,) * n, dtype=np.float64)
    corners = np.stack([profile.command_from_action(low), profile.command_from_action(high)])
    range_low, range_high = corners.min(axis=0), corners.max(axis=0)
    if profile.action_mode != "position" or not profile.joint_limits:
        return range_low, range_high  # joint limits are positions (rad): they bound no torque or velocity
    limits = np.asarray(profile.joint_limits, dtype=np.float64)
    apart = np.flatnonzero((range_low > limits[:, 1]) | (range_high < limits[:, 0]))
    if apart.size:
        names = profile.joint_names or tuple(f"action {i}" for i in range(n))
        spans = ", ".join(f"{names[i]} commands [{range_low[i]:g}, {range_high[i]:g}] vs limits "
                          f"[{limits[i, 0]:g}, {limits[i, 1]:g}]" for i in apart[:3])
        raise ConfigError(f"profile {profile.name!r}: the action mapping's position commands lie outside the joint "
                          f"limits ({spans}): no command respects both")
    return np.maximum(range_low, limits[:, 0]), np.minimum(range_high, limits[:, 1])


class ControllerCore:
    """Safety around a `Policy`: measurements in, one safe physical command out per step."""

    def __init__(self, policy: Policy, config: SafetyConfig = SafetyConfig(), latch: StopLatch | None = None
                 ) -> None:
        """`latch`: the stop latch to share (see `StopLatch`; default: a latch of this core's own). Raises
        `ConfigError` when the command range is not finite or `position_margin` inverts a joint's range."""
        self.policy = policy
        self.profile = policy.artifact.profile
        self.config = config
        self.assemble = ObservationAssembler(self.profile)
        self.needed = tuple(dict.fromkeys(key for key in (*self.assemble.keys, *JOINT_KEYS, "roll_pitch_yaw")
                                          if key not in CONTROLLER_SUPPLIED))  # the robot's measurements
        n = self.n = self.profile.n_actions
        self._previous_action = np.zeros(n)  # the policy's last action: the `previous_action` it observes
        sizes = {key: 0 for key in self.needed}
        for key, index in self.profile.observation_sources or ():
            if key in sizes:
                sizes[key] = max(sizes[key], index + 1)
        for key in JOINT_KEYS:
            sizes[key] = max(sizes[key], n)
        sizes["roll_pitch_yaw"] = max(sizes["roll_pitch_yaw"], 2)
        self._sizes = sizes
        self.range_low, self.range_high = command_range(self.profile)
        if not (np.isfinite(self.range_low).all() and np.isfinite(self.range_high).all()):
            raise ConfigError(f"profile {self.profile.name!r}: the command range should be finite, found "
                              f"[{self.range_low.tolist()}, {self.range_high.tolist()}]")
        self.command_low, self.command_high = self.range_low.copy(), self.range_high.copy()
        if self.profile.action_mode == "position":
            margin = config.position_margin
            self.command_low, self.command_high = self.range_low + margin, self.range_high - margin
            inverted = np.flatnonzero(self.command_low > self.command_high)
            if inverted.size:
                names = self.profile.joint_names or tuple(f"action {i}" for i in range(n))
                spans = ", ".join(f"{names[i]} [{self.range_low[i]:g}, {self.range_high[i]:g}]" for i in inverted)
                raise ConfigError(
                    f"invalid safety config: position_margin {margin:g} rad inverts the range of {spans}; it should "
                    f"be at most half the narrowest joint range ({(self.range_high - self.range_low).min() / 2:g} rad)")
        self.state = ControllerState.INACTIVE
        self.stats = SafetyStats()
        self._active = False
        self.stop_latch = latch if latch is not None else StopLatch()
        self._watchdog = False
        self._holding = False
        self._clock: float | None = None  # newest finite `now`; activate() and reset() re-base it
        self._fade_from: float | None = None  # start of the soft start; None: at the next policy step
        self._last_command: np.ndarray | None = None
        self._refresh_state()  # a shared latch may hold a stop already

    @property
    def active(self) -> bool:
        """Activated and not deactivated (a latched stop may still hold the safe state)."""
        return self._active

    @property
    def latched(self) -> ControllerState | None:
        """ESTOP or FALLEN while a stop is latched (until `reset()`), else None."""
        return self.stop_latch.state

    # ------------------------------------------------------------------ transitions

    def activate(self, now: float, seed: int | None = None) -> None:
        """Start controlling: fresh random weights (`seed`), soft start from `now`. A latched stop stays latched."""
        self.policy.reset(seed)
        self._previous_action = np.zeros(self.n)
        start = as_time(now)
        if start is not None:
            self._clock = start
        self._fade_from = start  # None (a bad `now`): the soft start begins at the first policy step
        self._active, self._watchdog, self._holding = True, False, False
        self._refresh_state()

    def deactivate(self) -> None:
        """Stop controlling: the safe command from now on. A latched stop stays latched."""
        self._active, self._watchdog, self._holding = False, False, False
        self._refresh_state()

    def emergency_stop(self) -> None:
        """Latch the safe state until `reset()`."""
        self.stats.estops += 1
        self.stop_latch.latch(ControllerState.ESTOP)
        self._refresh_state()

    def reset(self, now: float, seed: int | None = None) -> None:
        """Clear a latched e-stop or fall; an active controller starts again with fresh weights and a soft start
        (an inactive one stays inactive)."""
        self.stop_latch.clear()
        if self._active:
            self.activate(now, seed)
        else:
            self._refresh_state()

    def _refresh_state(self) -> None:
        state: ControllerState
        if self.stop_latch.state is not None:
            state = self.stop_latch.state
        elif not self._active:
            state = ControllerState.INACTIVE
        elif self._watchdog:
            state = ControllerState.WATCHDOG
        else:
            state = ControllerState.HOLDING if self._holding else ControllerState.ACTIVE
        if state != self.state:
            self.stats.state_changes.append(f"{self.state}->{state}")
            self.state = state

    # ------------------------------------------------------------------ one step

    def update(self, now: float, measurements: Mapping[str, object],
               stamps: Mapping[str, float] | float | None) -> np.ndarray:
        """The command for this step (physical units, profile order). Never raises for bad input: it holds.

        stamps: when each measurement was taken, in the clock of `now` (s), per key or one time for all; a needed
        measurement without a finite stamp counts as stale.
        """
        self.stats.steps += 1
        previous = self._clock
        now_seconds = as_time(now)
        if now_seconds is not None:
            self._clock = now_seconds if previous is None else max(previous, now_seconds)
        elapsed = 0.0 if previous is None or self._clock is None else self._clock - previous
        vectors, readings, stale, bad = self._read(measurements, stamps)
        if now_seconds is None:
            bad = f"now should be a finite time in seconds, found {describe(now)}"
        running = self._active and self.stop_latch.state is None
        if running and self._fallen(vectors.get("roll_pitch_yaw")):
            self.stats.falls += 1
            self.stop_latch.latch(ControllerState.FALLEN)
            running = False
        if running and stale is not None and not self._watchdog:
            self.stats.watchdog_trips += 1
        self._watchdog = running and stale is not None
        safe = self._safe_command(vectors, trust_velocity=stale is None)
        command = None
        if running and not self._watchdog and bad is None:
            command, bad = self._policy_command(readings, safe)
        if bad is not None:
            self.stats.rejected_inputs += 1
        problem = stale or bad
        if problem is not None:
            self.stats.last_problem = problem
        self._holding = running and not self._watchdog and command is None
        if command is None:
            command = safe
            self._fade_from = None  # the policy's command fades in again when it resumes
        self._refresh_state()
        return self._limit(command, elapsed)

    def _read(self, measurements: object, stamps: object
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], str | None, str | None]:
        """(every needed measurement readable as numbers, those fit for the policy, the first stale one, the first
        unusable one); the last two are None or say what is wrong."""
        vectors: dict[str, np.ndarray] = {}
        readings: dict[str, np.ndarray] = {}
        stale: str | None = None
        bad: str | None = None
        if not isinstance(measurements, Mapping):
            return vectors, readings, None, (f"measurements should be a mapping of name -> values, found "
                                             f"{type(measurements).__name__}")
        for key in self.needed:
            try:
                value = measurements[key] if key in measurements else None
            except Exception:  # a broken mapping is bad input like any other
                value = None
            if value is None:
                bad = bad or f"missing {key}"
                continue
            vector = as_vector(value)
            if isinstance(vector, str):
                bad = bad or f"{key} {vector}"
                continue
            vectors[key] = vector
            stale = stale or self._staleness(key, stamps)
            size = self._sizes[key]
            exact = key in JOINT_KEYS  # one entry per joint, in the profile's order
            if vector.size < size or (exact and vector.size != size):
                bad = bad or f"{key} should have {'' if exact else '>= '}{size} entries, found {vector.size}"
            elif not np.isfinite(vector).all():
                bad = bad or f"{key} holds NaN/Inf"
            else:
                readings[key] = vector
        return vectors, readings, stale, bad

    def _staleness(self, key: str, stamps: object) -> str | None:
        """None when `key`'s stamp is within `sensor_timeout` of the clock, else why not."""
        if isinstance(stamps, Mapping):
            try:
                value = stamps.get(key)
            except Exception:  # a broken mapping gives no stamp
                value = None
        else:
            value = stamps  # one time for every measurement (or none)
        stamp = as_time(value)
        if stamp is None:
            return f"{key} has no finite stamp (found {describe(value)})"
        if self._clock is None:
            return f"{key} cannot be aged: no finite time yet"
        age = self._clock - stamp
        if abs(age) > self.config.sensor_timeout:
            return f"{key} is {age:.3f} s old" if age > 0 else f"{key} is stamped {-age:.3f} s in the future"
        return None

    def _fallen(self, roll_pitch_yaw: np.ndarray | None) -> bool:
        if roll_pitch_yaw is None:
            return False
        tilt = np.abs(roll_pitch_yaw[:2])
        return bool((np.isfinite(tilt) & (tilt > self.config.tilt_limit)).any())

    def _policy_command(self, readings: dict[str, np.ndarray], safe: np.ndarray
                        ) -> tuple[np.ndarray | None, str | None]:
        """(the policy's command faded in from `safe`, None) or (None, why the policy's action is unusable)."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                readings = {**readings, "previous_action": self._previous_action}
                action = np.asarray(self.policy.step(self.assemble(readings)), dtype=np.float64)
        except HebbkitError as error:  # e.g. an observation that overflowed to Inf after scaling
            return None, f"policy step refused: {error}"
        if action.shape != (self.n,) or not np.isfinite(action).all():
            return None, f"policy action should be {self.n} finite values, found {action.tolist()}"
        self.stats.policy_steps += 1  # steps whose command comes from the policy
        self._previous_action = action
        command = np.clip(self.profile.command_from_action(action), self.command_low, self.command_high)
        if self._fade_from is None:
            self._fade_from = self._clock
        fade = 1.0
        if self.config.soft_start_time > 0 and self._clock is not None and self._fade_from is not None:
            fade = min(1.0, max(0.0, (self._clock - self._fade_from) / self.config.soft_start_time))
        return fade * command + (1.0 - fade) * safe, None

    def _safe_command(self, vectors: dict[str, np.ndarray], trust_velocity: bool) -> np.ndarray:
        """The hold command (see the module docstring), inside the limits."""
        n = self.n
        if self.profile.action_mode == "position":
            positions = vectors.get("joint_position")
            if positions is not None and positions.shape == (n,) and np.isfinite(positions).all():
                return self._clip(positions)
            if self._last_command is not None:
                return self._last_command.copy()
            return (self.command_low + self.command_high) / 2
        velocities = vectors.get("joint_velocity")
        if not trust_velocity or velocities is None or velocities.shape != (n,) or not np.isfinite(velocities).all():
            return self._clip(np.zeros(n))  # no trustworthy velocity to damp: no torque
        with np.errstate(over="ignore"):
            return self._clip(-self.config.damping * velocities)  # an overflow to +-Inf clips to the limit

    def _clip(self, command: np.ndarray) -> np.ndarray:
        """`command` inside the limits; the profile's range again in case the margin ever inverted them."""
        clipped = np.clip(np.clip(command, self.command_low, self.command_high), self.range_low, self.range_high)
        if not np.array_equal(clipped, command):
            self.stats.clamped += 1
        return clipped

    def _limit(self, command: np.ndarray, elapsed: float) -> np.ndarray:
        """Last line of defence: finite, inside the limits, slew-limited over `elapsed` seconds."""
        command = np.array(command, dtype=np.float64)
        finite = np.isfinite(command)
        if not finite.all():  # unreachable by construction
            fallback = self._last_command if self._last_command is not None else (
                (self.command_low + self.command_high) / 2)
            command = np.where(finite, command, fallback)
        command = self._clip(command)
        if self._last_command is not None and math.isfinite(self.config.max_slew):
            with np.errstate(over="ignore"):
                step = elapsed * self.config.max_slew
            limited = np.clip(command, self._last_command - step, self._last_command + step)
            if not np.array_equal(limited, command):
                self.stats.slew_limited += 1
            command = limited
        self._last_command = command.copy()
        return command
