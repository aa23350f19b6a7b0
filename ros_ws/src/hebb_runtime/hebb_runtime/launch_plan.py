"""What ant.launch.py starts, decided from its arguments in plain Python (no launch, no rclpy: tested without a ROS
installation). The launch file only turns the plan into launch actions and event handlers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from .robots import (
    SERIAL_MAX_SLEW,
    chosen_body,
    controller_robot_parameters,
    default_model,
    launch_robot,
    resolve_model_path,
)


@dataclass(frozen=True)
class LaunchPlan:
    """The nodes of one launch and their parameters.

    sim: the PyBullet simulation (True) or the serial bridge (False).
    params_file: the parameter YAML the nodes' parameters come from (the package's config/ant.yaml unless the user
        gave one).
    model: the artifact the controller runs and the simulation simulates the body of (absolute where found).
    namespace: of all nodes and topics.
    controller: every parameter of hebb_controller: the file's (`node_parameters`) and the launch's own (model,
        backend, clock, the robot's description, and on the serial robot a finite `max_slew`).
    robot_node: executable and node name of the robot's side: "pybullet_sim" or "serial_bridge".
    robot_node_parameters: its parameters, the file's and the launch's.
    The launch file hands the nodes these dicts, not the file: launch_ros matches a file's sections against a node's
    full name, so the package's file (sections `hebb_controller`, ...) gave nothing to nodes started under a
    `namespace`, their safety settings included.
    """

    sim: bool
    params_file: Path
    model: Path
    namespace: str
    controller: dict
    robot_node: str
    robot_node_parameters: dict


def as_bool(name: str, text: str) -> bool:
    value = str(text).strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ValueError(f"launch argument {name} should be true or false, found {text!r}")
    return value in ("true", "1")


def node_parameters(parameters: Mapping | None, node: str, namespace: str = "") -> dict:
    """The parameters a parsed parameter file gives the node `node` started under `namespace`: its sections `/**`,
    `/**/node`, `node`, `/node`, `namespace/node` and `/namespace/node`, merged in that order (a later one wins).
    A file written for the nodes without a namespace (the package's) so still reaches them under one."""
    namespace = namespace.strip("/")
    keys = ["/**", f"/**/{node}", node, f"/{node}"]
    if namespace:
        keys += [f"{namespace}/{node}", f"/{namespace}/{node}"]
    merged: dict = {}
    for key in keys:
        section = (parameters or {}).get(key)
        if isinstance(section, Mapping) and isinstance(section.get("ros__parameters"), Mapping):
            merged.update(section["ros__parameters"])
    return merged


def launch_body(arguments: Mapping[str, str]) -> str:
    """The simulated body: `body:=`, or `morphology:=` (its old name, with a warning on stderr) when given."""
    return chosen_body(arguments["body"], arguments.get("morphology", ""),
                       lambda text: print(f"ant.launch.py: warning: {text}", file=sys.stderr))


def plan_launch(arguments: Mapping[str, str], share: Path) -> LaunchPlan:
    """The plan for ant.launch.py's `arguments` (launch argument -> text), `share` the package's share directory.
    Raises ValueError (an unknown robot, a non-boolean flag, a parameter file that is no YAML mapping) or
    FileNotFoundError (params_file) with one line."""
    sim = as_bool("sim", arguments["sim"])
    use_sim_time = as_bool("use_sim_time", arguments["use_sim_time"])
    params_file = Path(arguments["params_file"] or share / "config" / "ant.yaml").expanduser()
    if not params_file.is_file():
        raise FileNotFoundError(f"params_file {str(params_file)!r} is not a file")
    try:
        parsed = yaml.safe_load(params_file.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ValueError(f"params_file {str(params_file)!r} is not readable YAML: {error}") from None
    if parsed is not None and not isinstance(parsed, Mapping):
        raise ValueError(f"params_file {str(params_file)!r} should hold a mapping of node -> ros__parameters")
    namespace = arguments["namespace"]
    robot = arguments["robot"]
    robot = launch_robot(robot)  # a built-in name, or a robot file's absolute path; checks either
    model = resolve_model_path(arguments["model"] or default_model(robot), share)
    bridge = {"serial_bridge": {"ros__parameters": node_parameters(parsed, "serial_bridge", namespace)}}
    controller = {**node_parameters(parsed, "hebb_controller", namespace), "model_path": str(model),
                  "backend": arguments["backend"], "use_sim_time": use_sim_time,
                  **controller_robot_parameters(sim, bridge)}
    if not sim and controller.get("max_slew", math.inf) == math.inf:  # none, or .inf: "no limit"
        controller["max_slew"] = SERIAL_MAX_SLEW  # real servos: never a jump faster than they can follow
    if sim:
        robot_node = "pybullet_sim"
        robot_parameters = {"robot": robot, "model_path": str(model), "body": launch_body(arguments),
                            "publish_clock": use_sim_time, "use_sim_time": False}
    else:
        robot_node = "serial_bridge"
        robot_parameters = {"port": arguments["port"]}  # the robot it drives: the parameter file's (servo_quadruped)
    robot_parameters = {**node_parameters(parsed, robot_node, namespace), **robot_parameters}
    return LaunchPlan(sim=sim, params_file=params_file.resolve(), model=model, namespace=namespace,
                      controller=controller, robot_node=robot_node, robot_node_parameters=robot_parameters)


class LifecycleSequence:
    """The controller's lifecycle transitions the launch makes by itself: one configure at start, and one activate
    after that configure only.

    A later configure (an operator's cleanup -> configure) is the operator's business: the launch does not activate
    the controller again (which resumed a robot with nobody asking, e-stop or not), and a later configure that fails
    does not end the launch (the simulation or the bridge keep running; fix the parameter and configure again). Only
    the launch's own configure failing ends it. The launch file asks `configured()` and `refused()` from its
    lifecycle event handlers and acts on the answer.
    """

    def __init__(self) -> None:
        self.started = False  # the launch's own configure has finished, either way

    def configured(self) -> bool:
        """The controller went configuring -> inactive: True when the launch should activate it (the first time)."""
        first, self.started = not self.started, True
        return first

    def refused(self) -> bool:
        """The controller went configuring -> unconfigured: True when the launch should stop (the first time)."""
        first, self.started = not self.started, True
        return first
