"""Robot profiles: the one observation/action spec that the sim env, the ROS node and the bridge all read.

A profile travels inside every policy artifact, so a consumer never guesses the joint order, the observation
layout or the action's units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError

ACTION_MODES = ("torque", "position", "velocity")


@dataclass(frozen=True)
class RobotProfile:
    """Observation and action spec of one robot.

    name: profile id, e.g. "ant28".
    observation_names: one name per observation entry, in network-input order.
    action_names: one name per action entry, in network-output order.
    action_mode: what an action entry commands: "torque", "position" or "velocity".
    action_low, action_high: per-entry limits of the action, in the network's units (before `action_scale`).
    action_scale: per-entry factor from the network's units to physical units (e.g. N*m or rad).
    joint_names: the actuated joints, in action order (empty when actions are not per joint).
    observation_scale: per-entry factor applied to the raw measurement, or None if the producer already scales.
    observation_clip: observations are clipped to [-clip, clip] by the producer; None for no clipping.
    """

    name: str
    observation_names: tuple[str, ...]
    action_names: tuple[str, ...]
    action_mode: str = "torque"
    action_low: tuple[float, ...] | None = None
    action_high: tuple[float, ...] | None = None
    action_scale: tuple[float, ...] | None = None
    joint_names: tuple[str, ...] = ()
    observation_scale: tuple[float, ...] | None = None
    observation_clip: float | None = None

    def __post_init__(self) -> None:
        for name in ("observation_names", "action_names", "joint_names"):
            object.__setattr__(self, name, tuple(str(item) for item in getattr(self, name)))
        for name in ("action_low", "action_high", "action_scale", "observation_scale"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(item) for item in value))
        if self.action_mode not in ACTION_MODES:
            raise ConfigError(f"unknown action_mode {self.action_mode!r}; expected one of {ACTION_MODES}")
        n_actions = len(self.action_names)
        for name in ("action_low", "action_high", "action_scale"):
            value = getattr(self, name)
            if value is not None and len(value) != n_actions:
                raise ConfigError(f"profile {self.name!r}: {name} has {len(value)} entries, expected {n_actions}")
        if self.joint_names and len(self.joint_names) != n_actions:
            raise ConfigError(
                f"profile {self.name!r}: {len(self.joint_names)} joint_names for {n_actions} actions"
            )
        if self.observation_scale is not None and len(self.observation_scale) != self.n_observations:
            raise ConfigError(
                f"profile {self.name!r}: observation_scale has {len(self.observation_scale)} entries, "
                f"expected {self.n_observations}"
            )
        if self.action_low is not None and self.action_high is not None:
            bad = [i for i, (lo, hi) in enumerate(zip(self.action_low, self.action_high, strict=True)) if not lo <= hi]
            if bad:
                raise ConfigError(f"profile {self.name!r}: action_low > action_high at entries {bad}")
        if self.observation_clip is not None and not (
            math.isfinite(self.observation_clip) and self.observation_clip > 0
        ):
            raise ConfigError(f"observation_clip must be > 0 and finite, got {self.observation_clip!r}")

    @property
    def n_observations(self) -> int:
        return len(self.observation_names)

    @property
    def n_actions(self) -> int:
        return len(self.action_names)

    def to_dict(self) -> dict:
        """JSON-ready form (stored in the artifact's metadata)."""
        return {
            "name": self.name,
            "observation_names": list(self.observation_names),
            "action_names": list(self.action_names),
            "action_mode": self.action_mode,
            "action_low": None if self.action_low is None else list(self.action_low),
            "action_high": None if self.action_high is None else list(self.action_high),
            "action_scale": None if self.action_scale is None else list(self.action_scale),
            "joint_names": list(self.joint_names),
            "observation_scale": None if self.observation_scale is None else list(self.observation_scale),
            "observation_clip": self.observation_clip,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RobotProfile:
        """Inverse of `to_dict`."""
        return cls(**{key: data[key] for key in data if key in cls.__dataclass_fields__})


ANT_JOINTS = ("hip_1", "ankle_1", "hip_2", "ankle_2", "hip_3", "ankle_3", "hip_4", "ankle_4")
ANT_FEET = ("front_left_foot", "front_right_foot", "left_back_foot", "right_back_foot")

ANT28 = RobotProfile(
    name="ant28",
    observation_names=(
        "height_above_start",
        "sin_angle_to_target",
        "cos_angle_to_target",
        "velocity_x_body",
        "velocity_y_body",
        "velocity_z_body",
        "roll",
        "pitch",
        *(f"{joint}_{quantity}" for joint in ANT_JOINTS for quantity in ("position", "velocity")),
        *(f"{foot}_contact" for foot in ANT_FEET),
    ),
    action_names=tuple(f"{joint}_torque" for joint in ANT_JOINTS),
    action_mode="torque",
    action_low=(-1.0,) * 8,
    action_high=(1.0,) * 8,
    action_scale=(375.0,) * 8,
    joint_names=ANT_JOINTS,
    observation_clip=5.0,
)
"""pybullet_envs' AntBulletEnv-v0 layout: 8 body entries, (position, velocity) per joint, 4 foot contacts.
Actions in [-1, 1] scale to torque by power 2.5 x gear 150 = 375 (the env applies it)."""

BUILTIN_PROFILES = {ANT28.name: ANT28}


def generic_profile(n_observations: int, n_actions: int) -> RobotProfile:
    """A profile with numbered entries, for networks that drive no particular robot (tests, benchmarks)."""
    return RobotProfile(
        name=f"generic_{n_observations}x{n_actions}",
        observation_names=tuple(f"obs_{i}" for i in range(n_observations)),
        action_names=tuple(f"action_{i}" for i in range(n_actions)),
    )
