"""Robot description files: one TOML file says everything hebbkit needs to know about a legged robot.

A robot file names the model (URDF or MJCF, relative to the file or to `pybullet_data`), the actuated joints in
command order with their limits (read from a URDF, overridable; an MJCF's must be given), the feet, the legs and
their segments (for body damage), the actuation (position targets tracked by a PD loop or a servo, or torques) with
torque and speed limits, the control rate, the standing pose, start and fall heights and the observation the robot
offers. `docs/robots.md` documents every key. The built-in robots are such files (`runtime/robots/*.toml`, shipped
with the package); `hebbkit.runtime.profile.ROBOTS` reads them.

Reading a file needs the standard library only (`tomllib`, `xml.etree`), so a robot that installed the runtime
alone reads the same file the trainer simulates.
"""

from __future__ import annotations

import importlib.util
import math
import tomllib
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RobotFileError

if TYPE_CHECKING:
    from .profile import RobotProfile

BUILTIN_FOLDER = Path(__file__).resolve().parent / "robots"
LEGS = ("front_left", "front_right", "rear_left", "rear_right")
"""Legs by where they stand relative to the walking direction (+x), as `hebbkit.trainer.envs.morphology` names them."""
SEGMENTS = ("upper", "lower")
JOINT_ROLES = ("hip_abduction", "hip", "knee", "")
ACTUATIONS = ("torque", "position")
ACTUATORS = ("servo", "pd")
"""How position targets are tracked: "servo" (PyBullet's position motor, torque and speed limited) or "pd" (the
robot's own PD law, torque = kp (target - q) - kd dq within the torque and speed limits)."""
PD_SOLVERS = ("explicit", "motor")
"""How the simulation integrates a "pd" actuator: "explicit" (the torque computed before every physics step, one
`stepSimulation` each: exact, but stable only for physics steps well below the joint's inertia / kd) or "motor"
(PyBullet's position motor, solved with the contacts in every physics step, set to the PD law's tracking velocity
kp / kd (target - q) within the torque and speed limits: stable at any step, one `stepSimulation` per control
step). docs/robots.md compares them."""
GENERATORS = ("servo_quadruped",)
"""Models written by hebbkit itself from parameters (`hebbkit.trainer.envs.bodies`) instead of read from a file."""
OBSERVATIONS = ("ant28", "proprio", "proprio_contacts", "proprio_contacts_action")
CONTROLLER_MEASUREMENTS = ("previous_action",)
"""Measurements the controller supplies itself (its own last action): a robot never has to offer them."""
MAX_JOINTS = 64

_TOP_KEYS = {"name", "description", "model", "generator", "format", "length", "self_collision", "feet",
             "parts_mean_includes_floor", "control", "pose", "actuation", "observation", "joints", "legs"}
_TABLE_KEYS = {
    "control": {"period", "physics_substeps", "solver_iterations"},
    "pose": {"start_height", "fall_height"},
    "actuation": {"mode", "model", "pd_solver", "torque_limit", "speed_limit", "torque_per_action", "position_gain",
                  "velocity_gain"},
    "observation": {"layout", "offers"},
}


@dataclass(frozen=True)
class JointSpec:
    """One actuated joint. Limits in rad (the model's, or the file's override); `command` the range position
    targets are mapped onto (defaults to the limits); `stand` its angle in the standing pose; `kp`, `kd` its PD
    gains (N*m/rad, N*m*s/rad; "pd" actuators); torque (N*m) and speed (rad/s) limits of its actuator."""

    name: str
    lower: float
    upper: float
    leg: str = ""
    role: str = ""
    stand: float = 0.0
    command: tuple[float, float] | None = None
    kp: float = 0.0
    kd: float = 0.0
    torque_limit: float = 0.0
    speed_limit: float = 0.0

    @property
    def command_range(self) -> tuple[float, float]:
        return self.command if self.command is not None else (self.lower, self.upper)


@dataclass(frozen=True)
class LegSpec:
    """A leg's segments in the model: URDF links, or for MJCF the geoms (`upper`, `lower`) and the bodies that hold
    them (`upper_body`, `lower_body`). Empty: that segment cannot be damaged."""

    upper: str = ""
    lower: str = ""
    upper_body: str = ""
    lower_body: str = ""


@dataclass(frozen=True)
class RobotSpec:
    """A robot as its file describes it (see the module docstring and docs/robots.md)."""

    name: str
    source: str
    model: str
    model_format: str
    joints: tuple[JointSpec, ...]
    feet: tuple[str, ...]
    legs: tuple[tuple[str, LegSpec], ...] = ()
    generator: str = ""
    description: str = ""
    actuation: str = "position"
    actuator: str = "servo"
    torque_per_action: float = 1.0
    position_gain: float = 0.3
    velocity_gain: float = 1.0
    control_period: float = 0.02
    physics_substeps: int = 4
    solver_iterations: int = 5
    pd_solver: str = "explicit"
    start_height: float = 0.3
    fall_height: float = 0.0
    length: float = 0.0
    self_collision: bool = False
    parts_mean_includes_floor: bool = False
    observation: str = "proprio"
    offers: tuple[str, ...] = ("joint_position", "joint_velocity", "roll_pitch_yaw", "angular_velocity")
    model_found: bool = field(default=True, compare=False)

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(joint.name for joint in self.joints)

    @property
    def joint_limits(self) -> tuple[tuple[float, float], ...]:
        """Each joint's (lower, upper) in rad: the physical range."""
        return tuple((joint.lower, joint.upper) for joint in self.joints)

    @property
    def command_limits(self) -> tuple[tuple[float, float], ...]:
        """Each joint's command range in rad: what position actions in [-1, 1] map onto, and what the safety layer
        clamps to (within the joint limits)."""
        return tuple(joint.command_range for joint in self.joints)

    @property
    def joint_legs(self) -> tuple[str, ...]:
        """The leg of each joint (empty when any joint names none)."""
        legs = tuple(joint.leg for joint in self.joints)
        return legs if all(legs) else ()

    @property
    def stand_pose(self) -> tuple[float, ...]:
        return tuple(joint.stand for joint in self.joints)

    @property
    def leg_parts(self) -> dict[str, LegSpec]:
        return dict(self.legs)

    def profile(self, observation: str | None = None, actuation: str | None = None,
                check: bool = False) -> RobotProfile:
        """The profile a policy for this robot trains and runs with (`observation`, `actuation`: the file's
        defaults when None). With `check`, RobotFileError when the real robot does not offer what the observation
        reads (the simulation offers everything)."""
        from .profile import CONTROLLER_SUPPLIED, quadruped_profile

        observation = observation or self.observation
        actuation = actuation or self.actuation
        profile = quadruped_profile(self.name, observation, actuation, self.joint_names, self.command_limits,
                                    self.feet, self.torque_per_action)
        if not check:
            return profile
        wanted = dict.fromkeys(key for key, _ in profile.observation_sources or ())
        missing = [key for key in wanted if key not in self.offers and key not in CONTROLLER_SUPPLIED]
        if missing:
            raise RobotFileError(f"{self.source}: observation {observation!r} reads {missing}, which robot "
                                 f"{self.name!r} does not offer (observation.offers: {list(self.offers)})")
        return profile


# ------------------------------------------------------------------------------------------------- reading


def builtin_robot_names() -> tuple[str, ...]:
    """Names of the robots shipped with hebbkit (`runtime/robots/NAME.toml`)."""
    return tuple(sorted(path.stem for path in BUILTIN_FOLDER.glob("*.toml")))


def is_robot_file(value: str | Path) -> bool:
    """Whether `value` names a robot file rather than a built-in robot (a .toml path, or an existing file)."""
    text = str(value)
    return text.endswith(".toml") or ("/" in text and Path(text).is_file())


def robot_file_path(value: str | Path) -> Path:
    """The file of a built-in robot's name, or `value` as a path (absolute) when it names a file."""
    if not is_robot_file(value):
        if str(value) not in builtin_robot_names():
            raise RobotFileError(f"unknown robot {str(value)!r}; expected one of {list(builtin_robot_names())} or a "
                                 "robot file (NAME.toml, see docs/robots.md)")
        return BUILTIN_FOLDER / f"{value}.toml"
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise RobotFileError(f"no robot file at {value}")
    return path


def resolve_robot(value: str | Path | RobotSpec) -> RobotSpec:
    """A built-in robot by name, a robot file by path, or a `RobotSpec` as it is."""
    if isinstance(value, RobotSpec):
        return value
    return load_robot_file(robot_file_path(value))


def load_robot_file(path: str | Path) -> RobotSpec:
    """Read and check a robot file; RobotFileError says in one line what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RobotFileError(f"no robot file at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RobotFileError(f"{path}: cannot read it: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise RobotFileError(f"{path}: not valid TOML: {error}") from None
    return parse_robot(data, path)


def parse_robot(data: Mapping[str, Any], path: Path) -> RobotSpec:
    """A `RobotSpec` from a parsed robot file; `path` locates the model and names the file in errors."""
    reader = _Reader(path)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise RobotFileError(f"{path}: unknown keys {unknown}; expected some of {sorted(_TOP_KEYS)}")
    name = reader.text(data, "name", required=True)
    generator = reader.text(data, "generator")
    model_text = reader.text(data, "model")
    if bool(generator) == bool(model_text):
        raise RobotFileError(f"{path}: give either model (a URDF or MJCF file) or generator ({', '.join(GENERATORS)})")
    if generator and generator not in GENERATORS:
        raise RobotFileError(f"{path}: unknown generator {generator!r}; expected one of {list(GENERATORS)}")
    model, found = (locate_model(model_text, path.parent) if model_text else ("", True))
    model_format = reader.text(data, "format") or ("mjcf" if model_text.endswith(".xml") else "urdf")
    if model_format not in ("urdf", "mjcf"):
        raise RobotFileError(f"{path}: format should be urdf or mjcf, found {model_format!r}")
    control = reader.table(data, "control")
    pose = reader.table(data, "pose")
    actuation = reader.table(data, "actuation")
    observation = reader.table(data, "observation")
    for key, table in (("control", control), ("pose", pose), ("actuation", actuation), ("observation", observation)):
        unknown = sorted(set(table) - _TABLE_KEYS[key])
        if unknown:
            raise RobotFileError(f"{path}: [{key}]: unknown keys {unknown}; expected some of "
                                 f"{sorted(_TABLE_KEYS[key])}")
    mode = reader.choice(actuation, "mode", ACTUATIONS, default="position", where="actuation")
    actuator = reader.choice(actuation, "model", ACTUATORS, default="servo", where="actuation")
    pd_solver = reader.choice(actuation, "pd_solver", PD_SOLVERS, default="explicit", where="actuation")
    torque_limit = reader.number(actuation, "torque_limit", where="actuation", default=0.0, low=0.0)
    speed_limit = reader.number(actuation, "speed_limit", where="actuation", default=10.0, low=0.0)
    model_limits = urdf_joint_limits(model) if found and model_format == "urdf" and model else {}
    joints = _read_joints(reader, data, model_limits, torque_limit, speed_limit, actuator, pd_solver)
    feet = reader.names(data, "feet")
    legs = _read_legs(reader, data)
    for joint in joints:
        if joint.leg and joint.leg not in LEGS:
            raise RobotFileError(f"{path}: joint {joint.name!r}: unknown leg {joint.leg!r}; expected one of "
                                 f"{list(LEGS)}")
    offers = tuple(reader.names(observation, "offers", where="observation") or RobotSpec.offers)
    from .profile import MEASUREMENTS

    bad = [key for key in offers if key not in MEASUREMENTS or key in CONTROLLER_MEASUREMENTS]
    if bad:
        raise RobotFileError(f"{path}: observation.offers: unknown measurements {bad}; expected some of "
                             f"{[key for key in MEASUREMENTS if key not in CONTROLLER_MEASUREMENTS]}")
    layout = reader.choice(observation, "layout", OBSERVATIONS, default="proprio", where="observation")
    spec = RobotSpec(
        name=name, source=str(path), model=model, model_format=model_format, joints=joints, feet=feet, legs=legs,
        generator=generator, description=reader.text(data, "description"), actuation=mode, actuator=actuator,
        torque_per_action=reader.number(actuation, "torque_per_action", where="actuation",
                                        default=torque_limit or 1.0, low=0.0),
        position_gain=reader.number(actuation, "position_gain", where="actuation", default=0.3, low=0.0),
        velocity_gain=reader.number(actuation, "velocity_gain", where="actuation", default=1.0, low=0.0),
        control_period=reader.number(control, "period", where="control", default=0.02, low=1e-4, high=1.0),
        physics_substeps=int(reader.number(control, "physics_substeps", where="control", default=4, low=1,
                                           high=100, integer=True)),
        solver_iterations=int(reader.number(control, "solver_iterations", where="control", default=5, low=1,
                                            high=1000, integer=True)),
        pd_solver=pd_solver,
        start_height=reader.number(pose, "start_height", where="pose", default=0.3, low=0.0),
        fall_height=reader.number(pose, "fall_height", where="pose", default=0.0, low=0.0),
        length=reader.number(data, "length", default=0.0, low=0.0),
        self_collision=reader.flag(data, "self_collision", False),
        parts_mean_includes_floor=reader.flag(data, "parts_mean_includes_floor", False),
        observation=layout, offers=offers, model_found=found,
    )
    spec.profile(check=True)  # the default observation must be one the robot offers
    return spec


def locate_model(text: str, folder: Path) -> tuple[str, bool]:
    """(absolute path, found) of a model named relative to the robot file's folder or to `pybullet_data` (found
    without importing it, so the runtime stays NumPy-only); absolute paths as they are."""
    candidate = Path(text).expanduser()
    if candidate.is_absolute():
        return str(candidate), candidate.is_file()
    local = (folder / candidate).resolve()
    if local.is_file():
        return str(local), True
    spec = importlib.util.find_spec("pybullet_data")
    if spec is not None and spec.origin:
        shipped = Path(spec.origin).parent / candidate
        if shipped.is_file():
            return str(shipped), True
    return str(local), False


def urdf_joint_limits(path: str | Path) -> dict[str, tuple[float, float]]:
    """name -> (lower, upper) of every revolute or prismatic joint of a URDF with a <limit> (text parsed as PyBullet
    parses it); a file that is not readable URDF gives {}."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return {}
    limits: dict[str, tuple[float, float]] = {}
    for joint in root.iter("joint"):
        limit = joint.find("limit")
        if joint.get("type") in ("revolute", "prismatic") and limit is not None:
            try:
                limits[str(joint.get("name"))] = (float(limit.get("lower", "0")), float(limit.get("upper", "0")))
            except ValueError:
                continue
    return limits


class _Reader:
    """Typed access to a parsed robot file's keys, every error naming the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _key(self, where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def table(self, data: Mapping, key: str) -> Mapping:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise RobotFileError(f"{self.path}: [{key}] should be a table, found {type(value).__name__}")
        return value

    def text(self, data: Mapping, key: str, *, required: bool = False, default: str = "", where: str = "") -> str:
        if key not in data:
            if required:
                raise RobotFileError(f"{self.path}: missing key {self._key(where, key)!r}")
            return default
        value = data[key]
        if not isinstance(value, str) or (required and not value.strip()) or not value.isprintable():
            raise RobotFileError(f"{self.path}: {self._key(where, key)} should be a printable string, found "
                                 f"{value!r}")
        return value

    def choice(self, data: Mapping, key: str, choices: tuple[str, ...], *, default: str, where: str = "") -> str:
        """The text at `key`, which must be one of `choices`."""
        value = self.text(data, key, default=default, where=where)
        if value not in choices:
            raise RobotFileError(f"{self.path}: {self._key(where, key)} should be one of {list(choices)}, found "
                                 f"{value!r}")
        return value

    def number(self, data: Mapping, key: str, *, where: str = "", default: float | None = None,
               low: float = -math.inf, high: float = math.inf, integer: bool = False) -> float:
        if key not in data:
            if default is None:
                raise RobotFileError(f"{self.path}: missing key {self._key(where, key)!r}")
            return float(default)
        value = data[key]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) \
                or not low <= value <= high:
            kind = "an integer" if integer else "a finite number"
            raise RobotFileError(f"{self.path}: {self._key(where, key)} should be {kind}{bounds_text(low, high)}, "
                                 f"found {value!r}")
        return float(value)

    def flag(self, data: Mapping, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise RobotFileError(f"{self.path}: {key} should be true or false, found {value!r}")
        return value

    def names(self, data: Mapping, key: str, where: str = "") -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise RobotFileError(f"{self.path}: {self._key(where, key)} should be a list of names, found {value!r}")
        return tuple(value)


def bounds_text(low: float, high: float) -> str:
    """How a number's bounds read in a message: " within [low, high]", " >= low", " <= high", or nothing when it
    has none (not "within [-inf, inf]")."""
    if math.isinf(low) and math.isinf(high):
        return ""
    if math.isinf(high):
        return f" >= {low:g}"
    if math.isinf(low):
        return f" <= {high:g}"
    return f" within [{low:g}, {high:g}]"


def _read_joints(reader: _Reader, data: Mapping, model_limits: Mapping[str, tuple[float, float]],
                 torque_limit: float, speed_limit: float, actuator: str,
                 pd_solver: str = "explicit") -> tuple[JointSpec, ...]:
    path = reader.path
    rows = data.get("joints")
    if not isinstance(rows, list) or not rows or not all(isinstance(row, Mapping) for row in rows):
        raise RobotFileError(f"{path}: needs [[joints]] tables, one per actuated joint in command order")
    if len(rows) > MAX_JOINTS:
        raise RobotFileError(f"{path}: {len(rows)} joints; at most {MAX_JOINTS}")
    joints: list[JointSpec] = []
    for index, row in enumerate(rows):
        where = f"joints[{index}]"
        name = reader.text(row, "name", required=True, where=where)
        where = f"joint {name!r}"
        unknown = sorted(set(row) - {"name", "leg", "role", "lower", "upper", "stand", "command", "kp", "kd",
                                     "torque_limit", "speed_limit"})
        if unknown:
            raise RobotFileError(f"{path}: {where}: unknown keys {unknown}")
        model = model_limits.get(name)
        if ("lower" in row) != ("upper" in row):
            raise RobotFileError(f"{path}: {where}: give both lower and upper, or neither (then the model's)")
        if "lower" in row:
            lower = reader.number(row, "lower", where=where)
            upper = reader.number(row, "upper", where=where)
        elif model is not None:
            lower, upper = model
        elif model_limits:  # the URDF was read: the joint is not one of its moving joints
            raise RobotFileError(f"{path}: joint {name!r} is not in the model (its moving joints: "
                                 f"{sorted(model_limits)})")
        else:
            raise RobotFileError(f"{path}: {where}: no limits: the model gives none (an MJCF model, a generated or "
                                 "missing one, or no <limit> in the URDF); set lower and upper in rad")
        if not lower < upper:
            raise RobotFileError(f"{path}: {where}: limits inverted or empty: lower {lower:g} >= upper {upper:g}")
        command = None
        if "command" in row:
            value = row["command"]
            if not (isinstance(value, list) and len(value) == 2
                    and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
                raise RobotFileError(f"{path}: {where}: command should be [low, high] in rad, found {value!r}")
            command = (float(value[0]), float(value[1]))
            if not lower <= command[0] < command[1] <= upper:
                raise RobotFileError(f"{path}: {where}: command range {list(command)} should be increasing and within "
                                     f"the limits [{lower:g}, {upper:g}]")
        stand = reader.number(row, "stand", where=where, default=0.0)
        if "stand" in row and not lower <= stand <= upper:
            raise RobotFileError(f"{path}: {where}: standing angle {stand:g} is outside the limits "
                                 f"[{lower:g}, {upper:g}]")
        role = reader.text(row, "role", where=where)
        if role not in JOINT_ROLES:
            raise RobotFileError(f"{path}: {where}: unknown role {role!r}; expected one of {list(JOINT_ROLES[:-1])}")
        kp = reader.number(row, "kp", where=where, default=0.0, low=0.0)
        kd = reader.number(row, "kd", where=where, default=0.0, low=0.0)
        if actuator == "pd" and kp <= 0:
            raise RobotFileError(f"{path}: {where}: a pd actuator needs kp > 0 (N*m/rad)")
        if actuator == "pd" and pd_solver == "motor" and kd <= 0:
            raise RobotFileError(f"{path}: {where}: pd_solver = \"motor\" needs kd > 0 (N*m*s/rad): it tracks "
                                 "the PD law's velocity kp / kd (target - q)")
        joints.append(JointSpec(
            name=name, lower=lower, upper=upper, leg=reader.text(row, "leg", where=where), role=role, stand=stand,
            command=command, kp=kp, kd=kd,
            torque_limit=reader.number(row, "torque_limit", where=where, default=torque_limit, low=0.0),
            speed_limit=reader.number(row, "speed_limit", where=where, default=speed_limit, low=0.0)))
    names = [joint.name for joint in joints]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RobotFileError(f"{path}: joints {repeated} appear more than once")
    return tuple(joints)


def _read_legs(reader: _Reader, data: Mapping) -> tuple[tuple[str, LegSpec], ...]:
    table = reader.table(data, "legs")
    legs = []
    for leg, parts in table.items():
        if leg not in LEGS:
            raise RobotFileError(f"{reader.path}: unknown leg [legs.{leg}]; expected some of {list(LEGS)}")
        if not isinstance(parts, Mapping):
            raise RobotFileError(f"{reader.path}: [legs.{leg}] should be a table")
        unknown = sorted(set(parts) - {"upper", "lower", "upper_body", "lower_body"})
        if unknown:
            raise RobotFileError(f"{reader.path}: [legs.{leg}]: unknown keys {unknown}")
        legs.append((leg, LegSpec(**{key: reader.text(parts, key, where=f"legs.{leg}") for key in parts})))
    return tuple(sorted(legs, key=lambda item: LEGS.index(item[0])))


def robot_for(requested: str, trained: str) -> str:
    """What to simulate for a model trained on robot `trained` when `requested` was asked for: the file
    `requested` when it is a robot file describing `trained` (a robot that is not built in has no other way to be
    found), else `trained`."""
    if requested and is_robot_file(requested) and resolve_robot(requested).name == trained:
        return str(robot_file_path(requested))
    return trained
