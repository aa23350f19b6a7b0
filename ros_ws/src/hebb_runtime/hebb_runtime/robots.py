"""What each robot offers the controller, where the shipped models are, and the choices ant.launch.py derives
from them. No rclpy here: the launch file, the nodes and the tests import it.

The serial robot (`serial_bridge`) is the servo quadruped of `hebbkit.runtime.profile.ROBOTS`: it drives its
joints by position targets (rad) and reports, per STATE frame, what its `proprio` profile observes (joint positions
and velocities, the IMU's roll/pitch/yaw and angular velocity); it has no foot contacts, no height and no body
velocity. With `sim:=false` the launch file tells the controller so (`robot`, `joint_names`, `actuation`,
`measurements`, all read from that profile), and the controller refuses a model trained for another body. The simulation
simulates whatever body the model was trained on, so with `sim:=true` nothing is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from hebbkit.runtime.profile import robot_profile
from hebbkit.runtime.robot_match import describe_robot

PACKAGE = "hebb_runtime"
SERIAL_ROBOT = "servo_quadruped"
"""The serial_bridge's default robot."""


def serial_profile(robot: str = SERIAL_ROBOT):
    """What `robot` offers over the serial bridge: its joints (the serial_bridge's default order and limits),
    position targets (the firmware's servos), proprioceptive measurements (a STATE frame's). ConfigError names the
    robots there are."""
    return robot_profile(robot, "proprio", "position")


SERVO_JOINTS = serial_profile().joint_names
SERIAL_MAX_SLEW = 6.0
"""rad/s: the controller's `max_slew` on the serial robot (`sim:=false`) unless the parameter file sets a finite one;
about a standard hobby servo's no-load speed (0.17 s per 60 degrees), so a target never jumps faster than the servo
could follow (the shipped servo model's targets jump up to 2.6 rad in one 20 ms step in simulation)."""
DEFAULT_MODELS = {"ant": "models/ant-robust/model.npz", "servo_quadruped": "models/servo-proprio/model.npz"}
"""The shipped model of each robot, relative to the repository root; setup.py installs them under the package's
share directory with the same relative paths."""
SOURCE_PACKAGE = Path(__file__).resolve().parents[1]  # ros_ws/src/hebb_runtime when run from the source tree


def share_directory() -> Path | None:
    """The installed package's share directory (after `source install/setup.bash`), or None."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:
        return None
    try:
        return Path(get_package_share_directory(PACKAGE))
    except (PackageNotFoundError, LookupError, ValueError, OSError):  # OSError: no AMENT_PREFIX_PATH
        return None


def source_root() -> Path | None:
    """The repository root when hebb_runtime runs from its source tree (pip-only installs, tests), or None."""
    if (SOURCE_PACKAGE / "package.xml").is_file() and SOURCE_PACKAGE.parent.parent.name == "ros_ws":
        return SOURCE_PACKAGE.parents[2]
    return None


def model_search_path(share: Path | None = None) -> list[Path]:
    """Where a relative model path is looked up, in order: the working directory, the installed package's share
    directory, the source checkout."""
    share = share if share is not None else share_directory()
    return [Path.cwd(), *(folder for folder in (share, source_root()) if folder is not None)]


def resolve_model_path(path: str | Path, share: Path | None = None) -> Path:
    """An absolute path of the model `path` names: absolute paths as they are; a relative one in the first folder
    of `model_search_path` that holds it; when none does, against the working directory (loading it then fails
    with the path it tried)."""
    path = Path(path).expanduser()
    if path.is_absolute() or not str(path) or str(path) == ".":
        return path
    for folder in model_search_path(share):
        if (folder / path).is_file():
            return (folder / path).resolve()
    return Path.cwd() / path


def launch_robot(robot: str) -> str:
    """The `robot` launch argument checked: a built-in robot's name as it is, a robot file (.toml) as its absolute
    path; ValueError (one line) otherwise."""
    from hebbkit.runtime.errors import ConfigError
    from hebbkit.runtime.robot_file import builtin_robot_names, is_robot_file, resolve_robot, robot_file_path

    if not is_robot_file(robot) and robot not in builtin_robot_names():
        raise ValueError(f"robot should be one of {list(builtin_robot_names())} or a robot file (.toml), found "
                         f"{robot!r}")
    try:
        resolve_robot(robot)
        return str(robot_file_path(robot)) if is_robot_file(robot) else robot
    except ConfigError as error:
        raise ValueError(str(error)) from None


def default_model(robot: str) -> str:
    """The shipped model of `robot` (relative path); ValueError names the robots there are (a robot without a
    shipped model, e.g. the Unitree A1 or a robot file, needs model:=PATH)."""
    try:
        return DEFAULT_MODELS[robot]
    except KeyError:
        raise ValueError(f"no model is shipped for robot {robot!r}: give model:=PATH (robots with a shipped model: "
                         f"{sorted(DEFAULT_MODELS)})") from None


def bridge_parameter(parameters: Mapping | None, name: str):
    """Parameter `name` of the serial_bridge in a parsed parameter file (node key `serial_bridge`,
    `/serial_bridge` or `/**`), or None."""
    for key in ("serial_bridge", "/serial_bridge", "/**"):
        section = (parameters or {}).get(key)
        value = section.get("ros__parameters", {}).get(name) if isinstance(section, Mapping) else None
        if value:
            return value
    return None


def bridge_robot(parameters: Mapping | None) -> str:
    """The robot the serial_bridge drives: its `robot` parameter in a parsed parameter file, or `SERIAL_ROBOT`."""
    return str(bridge_parameter(parameters, "robot") or SERIAL_ROBOT)


def bridge_joint_names(parameters: Mapping | None) -> tuple[str, ...]:
    """The serial_bridge's joint_names in a parsed parameter file, or its robot's (the bridge's default)."""
    names = bridge_parameter(parameters, "joint_names")
    if names:
        return tuple(str(name) for name in names)
    return serial_profile(bridge_robot(parameters)).joint_names


def controller_robot_parameters(sim: bool, parameters: Mapping | None = None) -> dict:
    """The controller parameters describing the robot it drives: none for the simulation (it simulates the
    model's own body), otherwise the body, joints, actuation and measurements the serial_bridge's robot offers
    (`serial_profile`; the robot and any rewired joint_names from the parameter file)."""
    if sim:
        return {}
    robot = bridge_robot(parameters)
    offered = describe_robot(serial_profile(robot))
    return {"robot": robot, "joint_names": list(bridge_joint_names(parameters)),
            "actuation": offered.action_mode, "measurements": list(offered.measurements or ())}


def chosen_body(body: str, morphology: str, warn: Callable[[str], None]) -> str:
    """The simulated body: `body`, or `morphology` (its old name; `warn` is told) when that is set."""
    if not morphology:
        return body
    warn(f"morphology is deprecated, use body (simulating {morphology!r})")
    return morphology
