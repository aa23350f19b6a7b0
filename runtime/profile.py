"""Robot profiles: the one observation/action spec that the sim env, the ROS node and the bridge all read.

A profile travels inside every policy artifact, so a consumer never guesses the joint order, the observation
layout, the scales or the action's units. Observations are assembled from named raw measurements by
`ObservationAssembler` and actions turned into physical commands by `RobotProfile.command_from_action`: the env,
the ROS node and the bridge call these same functions.

Raw measurements (SI units; every consumer provides the ones its profile's `observation_sources` name):

| key | shape | meaning |
|---|---|---|
| `joint_position` | [n_joints] | rad, in `joint_names` order |
| `joint_velocity` | [n_joints] | rad/s |
| `roll_pitch_yaw` | [3] | rad, torso orientation (IMU) |
| `angular_velocity` | [3] | rad/s, torso frame (IMU gyro) |
| `foot_contact` | [n_feet] | 1.0 touching the ground, else 0.0 |
| `linear_velocity_body` | [3] | m/s, world velocity rotated by -yaw (sim only) |
| `height_above_start` | [1] | m, torso height minus its height at reset (sim only) |
| `target_direction` | [2] | sin and cos of the angle from heading to the walk target (sim only) |
| `previous_action` | [n_actions] | the previous step's network action (zeros after a reset; `CONTROLLER_SUPPLIED`) |

Each observation entry is `clip(scale * measurement[source][index] + offset, -clip, clip)`.

Every robot hebbkit knows is described by its robot file (`hebbkit.runtime.robot_file`, `runtime/robots/*.toml`);
`ROBOTS` reads them (joints with their command limits, feet, torque per action),
and `robot_profile(robot, observation, actuation)` gives the profile the env trains with. A profile says explicitly
which robot, observation layout and actuation it is (`robot`, `observation`, `actuation`) and carries the joints'
limits (`joint_limits`); its `name` is a label only. Profiles written before these fields existed get them from
their name when loaded (`RobotProfile.from_dict`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, ObservationError
from .robot_file import builtin_robot_names, is_robot_file, resolve_robot

ACTION_MODES = ("torque", "position", "velocity")
MAX_PROFILE_MAGNITUDE = 1e6
"""Bound on |x| of every physical number of a profile (action limits, scales, offsets, observation scales, offsets
and clip): finite, and small enough that a command computed from them stays finite."""
MAX_NAME_LENGTH = 256
"""Longest label (profile, robot, layout, joint, action, observation or foot name) a profile may hold."""
_LABEL_FIELDS = ("name", "robot", "observation")
_LABEL_LIST_FIELDS = ("observation_names", "action_names", "joint_names", "foot_names")
MAX_MEASUREMENT_INDEX = 4095
"""Largest index into one raw measurement an observation entry may read (the assembler allocates up to it)."""
_PHYSICAL_FIELDS = ("action_low", "action_high", "action_scale", "action_offset", "observation_scale",
                    "observation_offset")
MEASUREMENTS = (
    "joint_position",
    "joint_velocity",
    "roll_pitch_yaw",
    "angular_velocity",
    "foot_contact",
    "linear_velocity_body",
    "height_above_start",
    "target_direction",
    "previous_action",
)
CONTROLLER_SUPPLIED = ("previous_action",)
"""Measurements a controller supplies itself rather than reading them from the robot: its own previous action."""


@dataclass(frozen=True)
class RobotProfile:
    """Observation and action spec of one robot.

    name: profile label, e.g. "ant28" (consumers read `robot`, `observation` and `actuation`, never the name).
    observation_names: one name per observation entry, in network-input order.
    action_names: one name per action entry, in network-output order.
    action_mode: what an action entry commands: "torque" (N*m), "position" (rad) or "velocity" (rad/s).
    action_low, action_high: per-entry limits of the action in the network's units; actions are clipped to them.
    action_scale, action_offset: command = offset + scale * clip(action): network units to physical units.
    joint_names: the actuated joints, in action order (empty when actions are not per joint).
    observation_sources: per entry, (measurement key, index) it is computed from (see the module docstring);
        None when the producer hands over finished observations.
    observation_scale, observation_offset: per entry, applied to the raw measurement.
    observation_clip: observations are clipped to [-clip, clip]; None for no clipping.
    foot_names: the links whose ground contact `foot_contact` reports, in order.
    robot: the body the profile drives (a key of `ROBOTS`, or a custom body's name; "" for none, e.g. CarRacing).
    observation: the observation layout ("ant28", "proprio", "proprio_contacts"; "" for other layouts).
    joint_limits: per joint (lower, upper) in rad, in `joint_names` order; None when not known.
    The actuation is `action_mode` (also readable as `actuation`).
    """

    name: str
    observation_names: tuple[str, ...]
    action_names: tuple[str, ...]
    action_mode: str = "torque"
    action_low: tuple[float, ...] | None = None
    action_high: tuple[float, ...] | None = None
    action_scale: tuple[float, ...] | None = None
    action_offset: tuple[float, ...] | None = None
    joint_names: tuple[str, ...] = ()
    observation_sources: tuple[tuple[str, int], ...] | None = None
    observation_scale: tuple[float, ...] | None = None
    observation_offset: tuple[float, ...] | None = None
    observation_clip: float | None = None
    foot_names: tuple[str, ...] = ()
    robot: str = ""
    observation: str = ""
    joint_limits: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        for name in ("observation_names", "action_names", "joint_names", "foot_names"):
            object.__setattr__(self, name, tuple(str(item) for item in getattr(self, name)))
        for name in _LABEL_FIELDS:
            check_label(getattr(self, name), f"profile {name}")
        for name in _LABEL_LIST_FIELDS:
            for index, item in enumerate(getattr(self, name)):
                check_label(item, f"profile {name}[{index}]")
        for name in _PHYSICAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(item) for item in value))
                bad = [i for i, item in enumerate(getattr(self, name)) if not abs(item) <= MAX_PROFILE_MAGNITUDE]
                if bad:
                    raise ConfigError(f"profile {self.name!r}: {name} must be finite with |x| <= "
                                      f"{MAX_PROFILE_MAGNITUDE:g}, found {[value[i] for i in bad[:5]]} at {bad[:5]}")
        if self.observation_sources is not None:
            object.__setattr__(
                self, "observation_sources", tuple((str(key), int(index)) for key, index in self.observation_sources)
            )
        if self.joint_limits is not None:
            limits = tuple((float(lower), float(upper)) for lower, upper in self.joint_limits)
            object.__setattr__(self, "joint_limits", limits)
            if len(limits) != len(self.joint_names):
                raise ConfigError(f"profile {self.name!r}: {len(limits)} joint_limits for "
                                  f"{len(self.joint_names)} joint_names")
            bad = [i for i, (lower, upper) in enumerate(limits)
                   if not (abs(lower) <= MAX_PROFILE_MAGNITUDE and abs(upper) <= MAX_PROFILE_MAGNITUDE
                           and lower <= upper)]
            if bad:
                raise ConfigError(f"profile {self.name!r}: joint_limits must be finite with lower <= upper, "
                                  f"found {[limits[i] for i in bad[:5]]} at {bad[:5]}")
        if self.action_mode not in ACTION_MODES:
            raise ConfigError(f"unknown action_mode {self.action_mode!r}; expected one of {ACTION_MODES}")
        n_actions, n_observations = self.n_actions, self.n_observations
        for name in ("action_low", "action_high", "action_scale", "action_offset"):
            value = getattr(self, name)
            if value is not None and len(value) != n_actions:
                raise ConfigError(f"profile {self.name!r}: {name} has {len(value)} entries, expected {n_actions}")
        for name in ("observation_sources", "observation_scale", "observation_offset"):
            value = getattr(self, name)
            if value is not None and len(value) != n_observations:
                raise ConfigError(
                    f"profile {self.name!r}: {name} has {len(value)} entries, expected {n_observations}"
                )
        if self.joint_names and len(self.joint_names) != n_actions:
            raise ConfigError(f"profile {self.name!r}: {len(self.joint_names)} joint_names for {n_actions} actions")
        if self.observation_sources is not None:
            unknown = sorted({key for key, _ in self.observation_sources} - set(MEASUREMENTS))
            if unknown:
                raise ConfigError(f"profile {self.name!r}: unknown measurements {unknown}; known: {MEASUREMENTS}")
            outside = [source for source in self.observation_sources if not 0 <= source[1] <= MAX_MEASUREMENT_INDEX]
            if outside:
                raise ConfigError(f"profile {self.name!r}: observation_sources indices must be in "
                                  f"[0, {MAX_MEASUREMENT_INDEX}], found {outside[:5]}")
        if self.action_low is not None and self.action_high is not None:
            bad = [i for i, (lo, hi) in enumerate(zip(self.action_low, self.action_high, strict=True)) if not lo <= hi]
            if bad:
                raise ConfigError(f"profile {self.name!r}: action_low > action_high at entries {bad}")
        if self.observation_clip is not None and not (
            math.isfinite(self.observation_clip) and 0 < self.observation_clip <= MAX_PROFILE_MAGNITUDE
        ):
            raise ConfigError(f"observation_clip must be finite and in (0, {MAX_PROFILE_MAGNITUDE:g}], "
                              f"got {self.observation_clip!r}")

    @property
    def n_observations(self) -> int:
        return len(self.observation_names)

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    @property
    def actuation(self) -> str:
        """What an action entry commands: "torque", "position" or "velocity" (the `action_mode`)."""
        return self.action_mode

    def command_from_action(self, action: np.ndarray) -> np.ndarray:
        """Physical command (float64) for a network action: offset + scale * clip(action, low, high)."""
        command = np.asarray(action, dtype=np.float64)
        if command.shape != (self.n_actions,):
            raise ObservationError(f"action should have shape ({self.n_actions},), found {command.shape}")
        low, high, scale, offset = self._action_arrays
        if low is not None and high is not None:
            command = np.minimum(np.maximum(command, low), high)  # np.clip's result, at half its call overhead
        if scale is not None:
            command = command * scale
        if offset is not None:
            command = command + offset
        return command

    def action_from_command(self, command: np.ndarray) -> np.ndarray:
        """The network action (float64) that `command_from_action` maps to `command`: (command - offset) / scale.
        Exact inverse for actions within [action_low, action_high] (outside, the command was clipped)."""
        action = np.asarray(command, dtype=np.float64)
        if action.shape != (self.n_actions,):
            raise ObservationError(f"command should have shape ({self.n_actions},), found {action.shape}")
        _, _, scale, offset = self._action_arrays
        if offset is not None:
            action = action - offset
        if scale is not None:
            action = action / scale
        return action

    @property
    def _action_arrays(self) -> tuple[np.ndarray | None, ...]:
        """action_low, action_high, action_scale, action_offset as float64 arrays, converted once (a control step
        calls `command_from_action` every period)."""
        arrays = self.__dict__.get("_cached_action_arrays")
        if arrays is None:
            arrays = tuple(None if values is None else np.asarray(values, dtype=np.float64)
                           for values in (self.action_low, self.action_high, self.action_scale, self.action_offset))
            object.__setattr__(self, "_cached_action_arrays", arrays)
        return arrays

    def to_dict(self) -> dict:
        """JSON-ready form (stored in the artifact's metadata)."""
        data: dict = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if key in ("observation_sources", "joint_limits") and value is not None:
                value = [list(item) for item in value]
            elif isinstance(value, tuple):
                value = list(value)
            data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> RobotProfile:
        """Inverse of `to_dict`; unknown keys are ignored, missing optional ones take their defaults. A profile
        written before `robot`, `observation` and `joint_limits` existed gets them from its name and its robot."""
        values = {key: data[key] for key in data if key in cls.__dataclass_fields__}
        if "robot" not in values and "observation" not in values:
            values["robot"], values["observation"] = identity_from_name(str(values.get("name", "")))
            robot = ROBOTS.get(values["robot"])
            if "joint_limits" not in values and robot is not None and \
                    tuple(values.get("joint_names", ())) == robot.joint_names:
                values["joint_limits"] = robot.joint_limits
        return cls(**values)


def check_label(value: object, what: str) -> None:
    """Raise `ConfigError` unless `value` is a label: a string of at most `MAX_NAME_LENGTH` printable characters
    (`str.isprintable`: no control characters such as NUL, newline, CR, tab or ESC, no invisible format characters
    such as bidirectional overrides, no line separators, no unpaired surrogates). Names travel into logs, terminals,
    ROS messages and exported C source, where such characters could never be part of a valid label."""
    if type(value) is not str:
        raise ConfigError(f"{what} should be a string, found {type(value).__name__}")
    if len(value) > MAX_NAME_LENGTH:
        raise ConfigError(f"{what} should be at most {MAX_NAME_LENGTH} characters, found {len(value)}")
    if not value.isprintable():
        bad = next(char for char in value if not char.isprintable())
        raise ConfigError(f"{what} should hold printable characters only, found U+{ord(bad):04X} in "
                          f"{ascii(value)[:80]}")


def identity_from_name(name: str) -> tuple[str, str]:
    """(robot, observation) of a profile written before they were fields, from its name (the env wrote
    `ant28`, `ant28_{actuation}`, `ant28_{robot}_{actuation}`, `{observation}_{robot}_{actuation}`); ("", "") for
    names of no quadruped layout (image, generic)."""
    observation = next((kind for kind in ("ant28", "proprio_contacts", "proprio") if name.startswith(kind)), "")
    if not observation:
        return "", ""
    others = [robot for robot in ROBOTS if robot != "ant" and robot in name]
    return (max(others, key=len) if others else "ant"), observation


class ObservationAssembler:
    """Builds a profile's observation vector from raw measurements, the same way on every consumer."""

    def __init__(self, profile: RobotProfile) -> None:
        if profile.observation_sources is None:
            raise ConfigError(f"profile {profile.name!r} names no observation_sources to assemble from")
        self.profile = profile
        self.keys = tuple(dict.fromkeys(key for key, _ in profile.observation_sources))
        self._sizes: dict[str, int] = {}
        for key, index in profile.observation_sources:
            self._sizes[key] = max(self._sizes.get(key, 0), index + 1)
        offsets, start = {}, 0
        for key in self.keys:
            offsets[key] = start
            start += self._sizes[key]
        self._raw = np.zeros(start, dtype=np.float64)
        self._slices = {key: slice(offsets[key], offsets[key] + self._sizes[key]) for key in self.keys}
        self._gather = np.array([offsets[key] + index for key, index in profile.observation_sources], dtype=np.intp)
        n = profile.n_observations
        self._scale = np.asarray(profile.observation_scale if profile.observation_scale else np.ones(n))
        self._offset = np.asarray(profile.observation_offset if profile.observation_offset else np.zeros(n))
        self._clip = profile.observation_clip

    def __call__(self, measurements: Mapping[str, Sequence[float] | np.ndarray]) -> np.ndarray:
        """The float32 observation; raises `ObservationError` for a missing or too short measurement."""
        raw, sizes, slices = self._raw, self._sizes, self._slices
        for key in self.keys:
            try:
                values = measurements[key]
            except KeyError:
                raise ObservationError(f"profile {self.profile.name!r} needs measurement {key!r}") from None
            if type(values) is not np.ndarray or values.ndim != 1:  # lists, tuples, scalars, other shapes
                values = np.asarray(values, dtype=np.float64).reshape(-1)
            size = sizes[key]
            if values.size < size:
                raise ObservationError(f"measurement {key!r} should have >= {size} entries, found {values.size}")
            raw[slices[key]] = values[:size]
        observation = self._raw[self._gather] * self._scale + self._offset
        if self._clip is not None:
            np.minimum(np.maximum(observation, -self._clip, out=observation), self._clip, out=observation)
        return observation.astype(np.float32)


def joint_position_normalisation(lower: float, upper: float) -> tuple[float, float]:
    """(scale, offset) mapping [lower, upper] to [-1, 1]: 2 * (q - mid) / (upper - lower)."""
    span = upper - lower
    return 2.0 / span, -(upper + lower) / span


def _add_foot_contacts(foot_names: Sequence[str], names: list[str], sources: list[tuple[str, int]],
                       scale: list[float], offset: list[float]) -> None:
    """Append one unscaled `foot_contact` entry per foot to a profile under construction."""
    for index, foot in enumerate(foot_names):
        names.append(f"{foot}_contact")
        sources.append(("foot_contact", index))
        scale.append(1.0)
        offset.append(0.0)


ANT_JOINTS = ("hip_1", "ankle_1", "hip_2", "ankle_2", "hip_3", "ankle_3", "hip_4", "ankle_4")
ANT_FEET = ("front_left_foot", "front_right_foot", "left_back_foot", "right_back_foot")
_HIP = 0.6981317400932312  # 40 degrees, as PyBullet reads ant.xml
ANT_JOINT_LIMITS = (
    (-_HIP, _HIP), (0.5235987901687622, 1.7453292608261108),
    (-_HIP, _HIP), (-1.7453292608261108, -0.5235987901687622),
    (-_HIP, _HIP), (-1.7453292608261108, -0.5235987901687622),
    (-_HIP, _HIP), (0.5235987901687622, 1.7453292608261108),
)
ANT_TORQUE_PER_ACTION = 250.0
"""pybullet_envs applies power (2.5) x power_coef (100; the MJCF gear of 150 is not used) x clip(action, -1, 1)."""


def ant28_profile(
    joint_names: Sequence[str] = ANT_JOINTS,
    joint_limits: Sequence[tuple[float, float]] = ANT_JOINT_LIMITS,
    foot_names: Sequence[str] = ANT_FEET,
    torque_per_action: float = ANT_TORQUE_PER_ACTION,
    name: str = "ant28",
    robot: str = "ant",
) -> RobotProfile:
    """pybullet_envs' AntBulletEnv-v0 observation (28 entries for 8 joints, 4 feet) with torque actions.

    Layout: height above start, sin/cos of the angle to the target, 0.3 x body-frame velocity (3), roll, pitch,
    then per joint its position scaled to [-1, 1] over its limits and 0.1 x its velocity, then foot contacts.
    """
    names: list[str] = ["height_above_start", "sin_angle_to_target", "cos_angle_to_target",
                        "velocity_x_body", "velocity_y_body", "velocity_z_body", "roll", "pitch"]
    sources: list[tuple[str, int]] = [("height_above_start", 0), ("target_direction", 0), ("target_direction", 1),
                                      ("linear_velocity_body", 0), ("linear_velocity_body", 1),
                                      ("linear_velocity_body", 2), ("roll_pitch_yaw", 0), ("roll_pitch_yaw", 1)]
    scale = [1.0, 1.0, 1.0, 0.3, 0.3, 0.3, 1.0, 1.0]
    offset = [0.0] * 8
    for index, (joint, (lower, upper)) in enumerate(zip(joint_names, joint_limits, strict=True)):
        joint_scale, joint_offset = joint_position_normalisation(lower, upper)
        names += [f"{joint}_position", f"{joint}_velocity"]
        sources += [("joint_position", index), ("joint_velocity", index)]
        scale += [joint_scale, 0.1]
        offset += [joint_offset, 0.0]
    _add_foot_contacts(foot_names, names, sources, scale, offset)
    return _joint_profile(name, robot, "ant28", names, sources, scale, offset, joint_names, joint_limits, foot_names,
                          "torque", torque_per_action)


def proprio_profile(
    joint_names: Sequence[str],
    joint_limits: Sequence[tuple[float, float]],
    foot_names: Sequence[str] = (),
    action_mode: str = "position",
    torque_per_action: float = 1.0,
    name: str = "proprio",
    robot: str = "",
    previous_action: bool = False,
) -> RobotProfile:
    """What a servo quadruped can measure: joint positions (scaled to [-1, 1] over their limits) and velocities
    (x 0.1), IMU roll, pitch and angular velocity (x 0.25), and, if `foot_names` is given, foot contacts; with
    `previous_action`, the previous step's action too (layout "proprio_contacts_action"). No global position,
    height or body velocity.

    action_mode "position": actions in [-1, 1] map linearly onto each joint's range; "torque": onto
    +-torque_per_action N*m.
    """
    names: list[str] = []
    sources: list[tuple[str, int]] = []
    scale: list[float] = []
    offset: list[float] = []
    for index, (joint, (lower, upper)) in enumerate(zip(joint_names, joint_limits, strict=True)):
        joint_scale, joint_offset = joint_position_normalisation(lower, upper)
        names.append(f"{joint}_position")
        sources.append(("joint_position", index))
        scale.append(joint_scale)
        offset.append(joint_offset)
    for index, joint in enumerate(joint_names):
        names.append(f"{joint}_velocity")
        sources.append(("joint_velocity", index))
        scale.append(0.1)
        offset.append(0.0)
    for index, axis in enumerate(("roll", "pitch")):
        names.append(axis)
        sources.append(("roll_pitch_yaw", index))
        scale.append(1.0)
        offset.append(0.0)
    for index, axis in enumerate("xyz"):
        names.append(f"angular_velocity_{axis}")
        sources.append(("angular_velocity", index))
        scale.append(0.25)
        offset.append(0.0)
    _add_foot_contacts(foot_names, names, sources, scale, offset)
    layout = "proprio_contacts" if foot_names else "proprio"
    if previous_action:
        layout += "_action" if foot_names else "_previous_action"
        for index, joint in enumerate(joint_names):
            names.append(f"{joint}_previous_action")
            sources.append(("previous_action", index))
            scale.append(1.0)
            offset.append(0.0)
    return _joint_profile(name, robot, layout, names, sources, scale, offset,
                          joint_names, joint_limits, foot_names, action_mode, torque_per_action)


def _joint_profile(name: str, robot: str, observation: str, names: Sequence[str],
                   sources: Sequence[tuple[str, int]], scale: Sequence[float], offset: Sequence[float],
                   joint_names: Sequence[str], joint_limits: Sequence[tuple[float, float]],
                   foot_names: Sequence[str], action_mode: str, torque_per_action: float) -> RobotProfile:
    """The profile of a jointed robot from its observation layout and how actions in [-1, 1] reach its joints:
    "position" maps them linearly onto each joint's range, "torque" onto +-torque_per_action N*m."""
    n_joints = len(joint_names)
    if action_mode == "position":
        action_scale = tuple((upper - lower) / 2 for lower, upper in joint_limits)
        action_offset = tuple((upper + lower) / 2 for lower, upper in joint_limits)
        action_names = tuple(f"{joint}_position_target" for joint in joint_names)
    elif action_mode == "torque":
        action_scale = (torque_per_action,) * n_joints
        action_offset = (0.0,) * n_joints
        action_names = tuple(f"{joint}_torque" for joint in joint_names)
    else:
        raise ConfigError(f"proprio profiles support action modes 'position' and 'torque', not {action_mode!r}")
    return RobotProfile(
        name=name,
        observation_names=tuple(names),
        action_names=action_names,
        action_mode=action_mode,
        action_low=(-1.0,) * n_joints,
        action_high=(1.0,) * n_joints,
        action_scale=action_scale,
        action_offset=action_offset,
        joint_names=tuple(joint_names),
        observation_sources=tuple(sources),
        observation_scale=tuple(scale),
        observation_offset=tuple(offset),
        observation_clip=5.0,
        foot_names=tuple(foot_names),
        robot=robot,
        observation=observation,
        joint_limits=tuple(joint_limits),
    )


@dataclass(frozen=True)
class Robot:
    """What the profiles need to know about one body: its actuated joints (command order) with their limits (rad),
    the links whose ground contact counts, and the torque (N*m) of one unit of torque action."""

    name: str
    joint_names: tuple[str, ...]
    joint_limits: tuple[tuple[float, float], ...]
    foot_names: tuple[str, ...]
    torque_per_action: float


SERVO_LEGS = ("front_left", "front_right", "rear_left", "rear_right")
SERVO_JOINTS = tuple(f"{leg}_{joint}" for leg in SERVO_LEGS for joint in ("shoulder", "knee"))
SERVO_FEET = tuple(f"{leg}_lower" for leg in SERVO_LEGS)
SERVO_SHOULDER_LIMITS = (-1.30899694, 1.30899694)  # +-75 degrees, as PyBullet reads the generated URDF (9 digits)
SERVO_KNEE_LIMITS = (-0.523598776, 1.91986218)  # -30 to 110 degrees
SERVO_STALL_TORQUE = 0.25
"""N*m; the servo quadruped's `hebbkit.trainer.envs.bodies.ServoQuadrupedParameters` defaults (tested equal)."""


def robot_of_file(value: str) -> Robot:
    """The `Robot` of a built-in robot's name or a robot file's path (`hebbkit.runtime.robot_file`)."""
    spec = resolve_robot(value)
    return Robot(spec.name, spec.joint_names, spec.command_limits, spec.feet, spec.torque_per_action)


QUADRUPED_OBSERVATIONS = ("ant28", "proprio", "proprio_contacts", "proprio_contacts_action")


def quadruped_profile(robot: str, observation: str, actuation: str, joint_names: Sequence[str],
                      joint_limits: Sequence[tuple[float, float]], foot_names: Sequence[str],
                      torque_per_action: float) -> RobotProfile:
    """The profile of a quadruped env: `observation` ("ant28": AntBulletEnv-v0's 28 entries; "proprio": what a
    servo robot measures; "proprio_contacts": that and foot contacts) with `actuation` ("torque" or "position")
    for the body `robot` with these joints, limits and feet."""
    if observation == "ant28":
        profile = ant28_profile(joint_names, joint_limits, foot_names, torque_per_action, robot=robot)
        if robot != "ant" or actuation != "torque":
            position = proprio_profile(joint_names, joint_limits, (), actuation, torque_per_action)
            profile = RobotProfile.from_dict({
                **profile.to_dict(),
                **{key: position.to_dict()[key] for key in ("action_names", "action_mode", "action_scale",
                                                             "action_offset")},
                "name": f"ant28_{robot}_{actuation}" if robot != "ant" else f"ant28_{actuation}",
            })
        return profile
    if observation not in QUADRUPED_OBSERVATIONS:
        raise ConfigError(f"unknown observation {observation!r}; expected one of {QUADRUPED_OBSERVATIONS}")
    feet = foot_names if observation in ("proprio_contacts", "proprio_contacts_action") else ()
    return proprio_profile(joint_names, joint_limits, feet, actuation, torque_per_action,
                           name=f"{observation}_{robot}_{actuation}", robot=robot,
                           previous_action=observation == "proprio_contacts_action")


def robot_profile(robot: str, observation: str, actuation: str) -> RobotProfile:
    """The profile the env trains a built-in `robot` (a key of `ROBOTS`, or a robot file's path) with;
    ConfigError names the robots."""
    body = ROBOTS.get(robot)
    if body is None:
        if not is_robot_file(robot):
            raise ConfigError(f"unknown robot {robot!r}; expected one of {sorted(ROBOTS)} or a robot file (.toml)")
        body = robot_of_file(robot)
        robot = body.name
    return quadruped_profile(robot, observation, actuation, body.joint_names, body.joint_limits, body.foot_names,
                             body.torque_per_action)


ROBOTS = {name: robot_of_file(name) for name in builtin_robot_names()}
"""Every built-in robot, read from its file (`runtime/robots/NAME.toml`): the paper's Ant, the reference
hobby-servo quadruped and the Unitree A1 (the constants above are tested equal to the first two files)."""

ANT28 = ant28_profile()
"""pybullet_envs' AntBulletEnv-v0 layout and action scaling, for the standard Ant."""

BUILTIN_PROFILES = {ANT28.name: ANT28}


def image_profile(n_actions: int, name: str = "image") -> RobotProfile:
    """One image observation (the network's frontend gives its shape) and numbered actions."""
    return RobotProfile(name=name, observation_names=("image",),
                        action_names=tuple(f"action_{i}" for i in range(n_actions)))


def generic_profile(n_observations: int, n_actions: int) -> RobotProfile:
    """A profile with numbered entries, for networks that drive no particular robot (tests, benchmarks)."""
    return RobotProfile(
        name=f"generic_{n_observations}x{n_actions}",
        observation_names=tuple(f"obs_{i}" for i in range(n_observations)),
        action_names=tuple(f"action_{i}" for i in range(n_actions)),
    )
