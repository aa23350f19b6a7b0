"""Does a model fit the robot it is about to drive? A policy's `RobotProfile` against what the robot offers.

A model trained on one body can be loaded for another: the Ant's torque model on the servo robot configures, then
every input is rejected (the servo robot reports no `height_above_start`) or, worse, its torques are sent as
position targets. `profile_mismatches` lists every way the profile does not fit, so the controller refuses the
model at configuration with one message instead of running a robot that reports OK while doing the wrong thing.

    problems = profile_mismatches(artifact.profile, describe_robot(robot_profile("servo_quadruped", "proprio",
                                                                                 "position")))

What the robot offers (`RobotDescription`, every field optional: None is "not known, not checked"):
- robot: which body it is (a key of `hebbkit.runtime.profile.ROBOTS`); the profile's `robot` must be it;
- joint_names: its actuated joints in command order; the profile must name the same joints in the same order
  (a profile without joint names must have as many actions as the robot has joints);
- action_mode: what its actuators take ("torque", "position", "velocity"); the profile's `actuation` must be it;
- measurements: the raw measurements it provides (keys of `hebbkit.runtime.profile.MEASUREMENTS`); the profile's
  `observation_sources` and any `needed` extra (the safety layer's) must come from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import ConfigError
from .profile import ACTION_MODES, CONTROLLER_SUPPLIED, MEASUREMENTS, RobotProfile


class RobotMismatchError(ConfigError):
    """A model's profile does not fit the robot: other joints, another actuation, or measurements it lacks."""


@dataclass(frozen=True)
class RobotDescription:
    """What a robot offers a controller (None: unknown, not checked).

    robot: which body it is (a key of `hebbkit.runtime.profile.ROBOTS`, or a custom body's name).
    joint_names: actuated joints, in the order the robot takes commands.
    action_mode: what its actuators take: "torque" (N*m), "position" (rad) or "velocity" (rad/s).
    measurements: raw measurement keys it provides (see `hebbkit.runtime.profile`).
    """

    joint_names: tuple[str, ...] | None = None
    action_mode: str | None = None
    measurements: tuple[str, ...] | None = None
    robot: str | None = None

    def __post_init__(self) -> None:
        if self.joint_names is not None:
            object.__setattr__(self, "joint_names", tuple(str(name) for name in self.joint_names))
        if self.measurements is not None:
            object.__setattr__(self, "measurements", tuple(str(key) for key in self.measurements))
            unknown = sorted(set(self.measurements) - set(MEASUREMENTS))
            if unknown:
                raise ConfigError(f"robot description: unknown measurements {unknown}; known: {list(MEASUREMENTS)}")
        if self.action_mode is not None and self.action_mode not in ACTION_MODES:
            raise ConfigError(f"robot description: action_mode should be one of {list(ACTION_MODES)}, "
                              f"found {self.action_mode!r}")


def describe_robot(profile: RobotProfile) -> RobotDescription:
    """What a robot whose native profile is `profile` offers: its body, joints, actuation and the measurements its
    observation is assembled from."""
    sources = profile.observation_sources or ()
    return RobotDescription(joint_names=profile.joint_names or None, action_mode=profile.actuation,
                            measurements=tuple(dict.fromkeys(key for key, _ in sources
                                                             if key not in CONTROLLER_SUPPLIED)) or None,
                            robot=profile.robot or None)


def _joint_mismatch(profile: RobotProfile, joints: Sequence[str]) -> str | None:
    if not profile.joint_names:
        if profile.n_actions != len(joints):
            return f"{profile.n_actions} actions for a robot with {len(joints)} joints"
        return None
    if tuple(profile.joint_names) == tuple(joints):
        return None
    if len(profile.joint_names) != len(joints):
        return (f"{len(profile.joint_names)} joints {list(profile.joint_names)}, the robot has {len(joints)} "
                f"{list(joints)}")
    if set(profile.joint_names) == set(joints):
        return f"joints in the order {list(profile.joint_names)}, the robot takes {list(joints)}"
    return f"joints {list(profile.joint_names)}, the robot has {list(joints)}"


def profile_mismatches(profile: RobotProfile, robot: RobotDescription, needed: Iterable[str] = ()) -> list[str]:
    """Every way `profile` does not fit `robot`, one short sentence each; empty when it fits.

    needed: measurements the consumer requires beyond the profile's own observation sources (the safety layer
    reads joint positions, velocities and roll/pitch whatever the model observes).
    """
    problems: list[str] = []
    if robot.robot is not None and profile.robot and profile.robot != robot.robot:
        problems.append(f"the {profile.robot} body, this robot is the {robot.robot}")
    if robot.joint_names is not None:
        problem = _joint_mismatch(profile, robot.joint_names)
        if problem is not None:
            problems.append(problem)
    if robot.action_mode is not None and profile.actuation != robot.action_mode:
        problems.append(f"{profile.actuation} commands, the robot takes {robot.action_mode} commands")
    if robot.measurements is not None:
        if profile.observation_sources is None:
            problems.append("an observation the robot cannot measure (the profile names no measurement sources)")
        else:
            wanted = dict.fromkeys([*(key for key, _ in profile.observation_sources), *needed])
            missing = [key for key in wanted if key not in robot.measurements and key not in CONTROLLER_SUPPLIED]
            if missing:
                problems.append(f"measurements {missing} the robot does not provide (it provides "
                                f"{list(robot.measurements)})")
    return problems


def check_robot_match(profile: RobotProfile, robot: RobotDescription, needed: Iterable[str] = ()) -> None:
    """Raise `RobotMismatchError` with every mismatch in one message when `profile` does not fit `robot`."""
    problems = profile_mismatches(profile, robot, needed)
    if problems:
        raise RobotMismatchError(f"profile {profile.name!r} does not fit this robot: it needs " + "; ".join(problems))
