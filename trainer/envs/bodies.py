"""The bodies the env can simulate: the paper's Ant (ant.xml from pybullet_data), a reference hobby-servo
quadruped generated as URDF from documented parameters, or a user's own 8-joint URDF/MJCF.

A `Body` says how to write the model file for a morphology and what the env needs to know about it: joint and
foot names, the alive height, the control period, actuator limits.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.profile import ANT_FEET, ANT_JOINTS, ANT_TORQUE_PER_ACTION

from .morphology import LEGS, Morphology, damage_ant_mjcf


@dataclass(frozen=True)
class Servo:
    """A position-controlled actuator: PyBullet's position motor with a torque limit and a speed limit.

    stall_torque: N*m; max_speed: rad/s (no-load speed); position_gain, velocity_gain: PyBullet motor gains.
    """

    stall_torque: float
    max_speed: float
    position_gain: float = 0.3
    velocity_gain: float = 1.0


@dataclass(frozen=True)
class PDActuator:
    """Position targets tracked by the robot's own PD law: torque = kp (target - q) - kd dq, within +-torque_limit,
    and no torque driving a joint faster once it is past speed_limit. One entry per joint (N*m/rad, N*m*s/rad, N*m,
    rad/s). solver: "explicit" (the torque computed before every physics step) or "motor" (PyBullet's position
    motor tracking the law's velocity kp / kd (target - q), solved with the contacts; `hebbkit.runtime.robot_file`
    `PD_SOLVERS`)."""

    kp: tuple[float, ...]
    kd: tuple[float, ...]
    torque_limit: tuple[float, ...]
    speed_limit: tuple[float, ...]
    solver: str = "explicit"


@dataclass(frozen=True)
class Body:
    """What the env needs to simulate one robot.

    write_model: (morphology, folder) -> path of the model file for that morphology.
    model_format: "mjcf" or "urdf".
    joint_names, foot_links: actuated joints (action order) and the links whose ground contact counts.
    alive_height: the torso's height (m) below which the robot has fallen (episode terminates).
    control_period: seconds per control step; physics_substeps: physics steps per control step.
    torque_per_action: N*m per unit action in torque actuation.
    servo: the actuator model of position actuation.
    start_height: torso height at reset (URDF; MJCF files carry their own).
    parts_mean_includes_floor: reproduce pybullet_envs' quirk of averaging the floor's position into the body's
        x, y for the progress reward (the Ant only, for parity).
    length: nose-to-tail length of the torso (m), for speeds in body lengths per second (0: not defined).
    joint_legs: the leg (`LEGS`) each joint of `joint_names` moves, for bodies whose motors are weakened per leg
        (`leg:motor:scale`); empty: not known, and such bodies are refused.
    stand_pose: each joint's angle at reset before the U(-0.1, 0.1) noise (empty: 0 for every joint).
    command_limits: the range position actions map onto per joint (None: the joint limits the model gives).
    pd: the robot's PD law for position actuation (None: the `servo` model).
    solver_iterations: the constraint solver's iterations per physics step (pybullet_envs' 5 for the Ant).
    """

    name: str
    write_model: Callable[[Morphology, Path], Path]
    model_format: str
    joint_names: tuple[str, ...]
    foot_links: tuple[str, ...]
    alive_height: float
    control_period: float
    physics_substeps: int
    torque_per_action: float
    servo: Servo
    start_height: float = 0.0
    parts_mean_includes_floor: bool = False
    self_collision: bool = True
    length: float = 0.0
    notes: str = ""
    parameters: dict = field(default_factory=dict)
    joint_legs: tuple[str, ...] = ()
    stand_pose: tuple[float, ...] = ()
    command_limits: tuple[tuple[float, float], ...] | None = None
    pd: PDActuator | None = None
    solver_iterations: int = 5

    def strength_per_joint(self, morphology: Morphology) -> tuple[float, ...]:
        """Each joint's actuator strength factor in `morphology` (its legs' `motor` parts; 1 elsewhere)."""
        motors = morphology.motor_scales()
        if not motors:
            return (1.0,) * len(self.joint_names)
        if len(self.joint_legs) != len(self.joint_names):
            raise ConfigError(f"body {self.name} does not say which leg each joint moves (Body.joint_legs): "
                              f"morphology {morphology.name!r} weakens leg motors")
        return tuple(motors.get(leg, 1.0) for leg in self.joint_legs)


# -------------------------------------------------------------------------------------------------------- the Ant


def ant_mjcf_path() -> Path:
    """ant.xml as shipped in pybullet_data."""
    import pybullet_data

    return Path(pybullet_data.getDataPath()) / "mjcf" / "ant.xml"


def model_file_tag(morphology: Morphology, *extra: object) -> str:
    """A file-name-safe tag of a morphology: its name (characters other than letters, digits, '.', '_', '-'
    replaced, at most 40 kept: a spec can be long and holds ':' and '+') and a hash of the body (and `extra`)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", morphology.name)[:40]
    return f"{readable}_{abs(hash((morphology, *extra))) & 0xFFFFFF:06x}"


def write_ant_model(morphology: Morphology, folder: Path) -> Path:
    """The nominal ant.xml for the standard body; otherwise a damaged copy written into `folder`."""
    source = ant_mjcf_path()
    if not morphology.segment_scales():  # motors only: the geometry is the nominal one
        return source
    tree = damage_ant_mjcf(ElementTree.parse(source), morphology)  # type: ignore[arg-type]
    path = Path(folder) / f"ant_{model_file_tag(morphology)}.xml"
    tree.write(path)
    return path


ANT_JOINT_LEGS = ("front_left", "front_left", "rear_left", "rear_left", "rear_right", "rear_right", "front_right",
                  "front_right")
"""The leg each of `ANT_JOINTS` moves (hip_k, ankle_k of ant.xml's k-th leg body; see `ANT_LEG_PARTS`)."""


ANT = Body(
    name="ant",
    write_model=write_ant_model,
    model_format="mjcf",
    joint_names=ANT_JOINTS,
    joint_legs=ANT_JOINT_LEGS,
    foot_links=ANT_FEET,
    alive_height=0.26,
    control_period=0.0165,
    physics_substeps=4,
    torque_per_action=ANT_TORQUE_PER_ACTION,
    servo=Servo(stall_torque=ANT_TORQUE_PER_ACTION, max_speed=10.0),
    parts_mean_includes_floor=True,
    notes="pybullet_data mjcf/ant.xml, as pybullet_envs' AntBulletEnv-v0 loads it",
)


# ------------------------------------------------------------------------------------- the reference servo quadruped


@dataclass(frozen=True)
class ServoQuadrupedParameters:
    """A Petoi Bittle class 8-DOF hobby-servo quadruped (SI units). Legs: a shoulder (pitch) and a knee (pitch)
    servo each, hanging straight down at zero angles."""

    body_length: float = 0.20
    body_width: float = 0.11
    body_height: float = 0.04
    body_mass: float = 0.17  # frame, board, battery and the 8 servos' cases
    upper_leg_length: float = 0.05
    lower_leg_length: float = 0.06
    leg_thickness: float = 0.012
    foot_radius: float = 0.008
    upper_leg_mass: float = 0.018
    lower_leg_mass: float = 0.012
    shoulder_range: tuple[float, float] = (-math.radians(75), math.radians(75))
    knee_range: tuple[float, float] = (-math.radians(30), math.radians(110))
    stall_torque: float = 0.25  # N*m
    no_load_speed: float = math.radians(60) / 0.1  # rad/s (0.1 s per 60 degrees)
    control_period: float = 0.02  # 50 Hz
    foot_friction: float = 0.9

    @property
    def total_mass(self) -> float:
        return self.body_mass + 4 * (self.upper_leg_mass + self.lower_leg_mass)

    @property
    def standing_height(self) -> float:
        return self.body_height / 2 + self.upper_leg_length + self.lower_leg_length + self.foot_radius


SERVO_LEG_POSITIONS = {  # hip position relative to the body centre, by leg (x forward, y left)
    "front_left": (1, 1), "front_right": (1, -1), "rear_left": (-1, 1), "rear_right": (-1, -1),
}


def _box_inertia(mass: float, x: float, y: float, z: float) -> str:
    return (f'<inertia ixx="{mass * (y * y + z * z) / 12:.9g}" iyy="{mass * (x * x + z * z) / 12:.9g}" '
            f'izz="{mass * (x * x + y * y) / 12:.9g}" ixy="0" ixz="0" iyz="0"/>')


def servo_quadruped_urdf(parameters: ServoQuadrupedParameters, morphology: Morphology) -> str:
    """URDF text of the servo quadruped with the morphology's segment scales applied."""
    p = parameters
    scales = morphology.segment_scales()
    parts = ['<robot name="servo_quadruped">',
             '<link name="torso"><inertial><origin xyz="0 0 0"/>'
             f'<mass value="{p.body_mass}"/>{_box_inertia(p.body_mass, p.body_length, p.body_width, p.body_height)}'
             '</inertial>'
             f'<visual><geometry><box size="{p.body_length} {p.body_width} {p.body_height}"/></geometry></visual>'
             f'<collision><geometry><box size="{p.body_length} {p.body_width} {p.body_height}"/></geometry>'
             '</collision></link>']
    t = p.leg_thickness
    for leg in LEGS:
        sx, sy = SERVO_LEG_POSITIONS[leg]
        hip = (sx * (p.body_length / 2 - t), sy * (p.body_width / 2 + t / 2 + 0.002), -p.body_height / 2)
        upper = p.upper_leg_length * scales.get((leg, "upper"), 1.0)
        lower = p.lower_leg_length * scales.get((leg, "lower"), 1.0)
        for segment, length, mass, parent, origin, limits in (
            ("upper", upper, p.upper_leg_mass, "torso", hip, p.shoulder_range),
            ("lower", lower, p.lower_leg_mass, f"{leg}_upper", (0.0, 0.0, -upper), p.knee_range),
        ):
            joint = f"{leg}_{'shoulder' if segment == 'upper' else 'knee'}"
            link = f"{leg}_{segment}"
            shapes = ""
            if length > 1e-6:
                box = f'<geometry><box size="{t} {t} {length:.9g}"/></geometry>'
                shapes += (f'<visual><origin xyz="0 0 {-length / 2:.9g}"/>{box}</visual>'
                           f'<collision><origin xyz="0 0 {-length / 2:.9g}"/>{box}</collision>')
            if segment == "lower":
                sphere = f'<geometry><sphere radius="{p.foot_radius}"/></geometry>'
                shapes += (f'<visual><origin xyz="0 0 {-length:.9g}"/>{sphere}</visual>'
                           f'<collision><origin xyz="0 0 {-length:.9g}"/>{sphere}</collision>')
            scaled_mass = max(mass * max(length, 0.0) / (p.upper_leg_length if segment == "upper"
                                                         else p.lower_leg_length), mass * 0.05)
            parts.append(
                f'<link name="{link}"><inertial><origin xyz="0 0 {-length / 2:.9g}"/>'
                f'<mass value="{scaled_mass:.9g}"/>{_box_inertia(scaled_mass, t, t, max(length, t))}</inertial>'
                f'{shapes}</link>'
                f'<joint name="{joint}" type="revolute"><parent link="{parent}"/><child link="{link}"/>'
                f'<origin xyz="{origin[0]:.9g} {origin[1]:.9g} {origin[2]:.9g}"/><axis xyz="0 1 0"/>'
                f'<limit lower="{limits[0]:.9g}" upper="{limits[1]:.9g}" effort="{p.stall_torque}" '
                f'velocity="{p.no_load_speed:.9g}"/><dynamics damping="0.001" friction="0"/></joint>'
            )
    parts.append("</robot>")
    return "\n".join(parts)


SERVO_PHYSICS_SUBSTEPS = 8
SERVO_SOLVER_ITERATIONS = 50
"""The servo quadruped's physics: 8 steps of 2.5 ms per 20 ms control step, 50 constraint-solver iterations each.
Bang-bang commands (a saturated Hebbian network's) slam its light legs (12-18 g against a 170 g body) into the
ground. PyBullet meets a joint limit only once the joint stands past it, so an impact carries the joint a joint
speed x one physics step beyond: with the Ant's 5 iterations the knees went 0.7-1.25 rad past their limits and
`servo-proprio` walked on them; 50 iterations at 5 ms left up to 0.23 rad under bang-bang commands (worst of 10
seeds) and ~0.2 under a trained gait, and more iterations did not help at that step; halving the physics step took
it to 0.05, 0.14 on a damaged body (docs/envs.md, "Joint limits")."""


def make_servo_quadruped(parameters: ServoQuadrupedParameters = ServoQuadrupedParameters()) -> Body:
    """The reference servo quadruped as a `Body` (the URDF is generated per morphology)."""

    def write(morphology: Morphology, folder: Path) -> Path:
        path = Path(folder) / f"servo_quadruped_{model_file_tag(morphology, parameters)}.urdf"
        path.write_text(servo_quadruped_urdf(parameters, morphology))
        return path

    return Body(
        name="servo_quadruped",
        write_model=write,
        model_format="urdf",
        joint_names=tuple(f"{leg}_{joint}" for leg in LEGS for joint in ("shoulder", "knee")),
        joint_legs=tuple(leg for leg in LEGS for _ in ("shoulder", "knee")),
        foot_links=tuple(f"{leg}_lower" for leg in LEGS),
        alive_height=0.5 * parameters.standing_height,
        control_period=parameters.control_period,
        physics_substeps=SERVO_PHYSICS_SUBSTEPS,
        solver_iterations=SERVO_SOLVER_ITERATIONS,
        torque_per_action=parameters.stall_torque,
        servo=Servo(stall_torque=parameters.stall_torque, max_speed=parameters.no_load_speed),
        start_height=parameters.standing_height + 0.005,
        self_collision=False,
        length=parameters.body_length,
        notes="reference 8-DOF hobby-servo quadruped (Petoi Bittle class), generated URDF",
        parameters={k: getattr(parameters, k) for k in parameters.__dataclass_fields__},
    )


SERVO_QUADRUPED = make_servo_quadruped()


def custom_body(
    path: str | os.PathLike,
    joint_names: tuple[str, ...],
    foot_links: tuple[str, ...],
    *,
    alive_height: float,
    control_period: float = 0.02,
    torque_per_action: float = 1.0,
    servo: Servo | None = None,
    start_height: float = 0.3,
    model_format: str | None = None,
    damage: Callable[[Path, Morphology, Path], Path] | None = None,
) -> Body:
    """A user's own robot from a URDF or MJCF file. Morphology damage needs `damage(path, morphology, folder)`
    that writes the damaged model and returns its path; without it, only the standard morphology is allowed."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no robot model at {path}")
    kind = model_format or ("mjcf" if path.suffix == ".xml" else "urdf")

    def write(morphology: Morphology, folder: Path) -> Path:
        if not morphology.segment_scales():  # nominal geometry (weakened motors need no new model file)
            return path
        if damage is None:
            raise ConfigError(f"body {path.name} has no damage function: pass custom_body(..., damage=...)")
        return damage(path, morphology, folder)

    return Body(
        name=path.stem, write_model=write, model_format=kind, joint_names=tuple(joint_names),
        foot_links=tuple(foot_links), alive_height=alive_height, control_period=control_period, physics_substeps=4,
        torque_per_action=torque_per_action, servo=servo or Servo(torque_per_action, 10.0),
        start_height=start_height,
    )


BODIES = {"ant": ANT, "servo_quadruped": SERVO_QUADRUPED}


def resolve_body(robot: str | Body) -> Body:
    """A built-in robot by name (its file, `hebbkit.runtime.robot_file`), a robot file's path, or a `Body` (see
    `custom_body`)."""
    if isinstance(robot, Body):
        return robot
    from .robot_body import body_of_robot

    return body_of_robot(robot)
