"""What ant.launch.py starts, decided from its arguments in plain Python (no launch, no rclpy: tested without a ROS
installation). The launch file only turns the plan into launch actions and event handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from .robots import controller_robot_parameters, default_model, resolve_model_path


@dataclass(frozen=True)
class LaunchPlan:
    """The nodes of one launch and their parameters.

    sim: the PyBullet simulation (True) or the serial bridge (False).
    params_file: the parameter YAML every node reads (the package's config/ant.yaml unless the user gave one).
    model: the artifact the controller runs and the simulation simulates the body of (absolute where found).
    namespace: of all nodes and topics.
    controller: parameter overrides of hebb_controller (model, backend, clock, and the robot's description).
    robot_node: executable and node name of the robot's side: "pybullet_sim" or "serial_bridge".
    robot_node_parameters: its parameter overrides.
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


def plan_launch(arguments: Mapping[str, str], share: Path) -> LaunchPlan:
    """The plan for ant.launch.py's `arguments` (launch argument -> text), `share` the package's share directory.
    Raises ValueError (an unknown robot, a non-boolean flag) or FileNotFoundError (params_file) with one line."""
    sim = as_bool("sim", arguments["sim"])
    use_sim_time = as_bool("use_sim_time", arguments["use_sim_time"])
    params_file = Path(arguments["params_file"] or share / "config" / "ant.yaml").expanduser()
    if not params_file.is_file():
        raise FileNotFoundError(f"params_file {str(params_file)!r} is not a file")
    robot = arguments["robot"]
    shipped = default_model(robot)  # also checks the robot's name
    model = resolve_model_path(arguments["model"] or shipped, share)
    controller = {"model_path": str(model), "backend": arguments["backend"], "use_sim_time": use_sim_time,
                  **controller_robot_parameters(sim, yaml.safe_load(params_file.read_text()))}
    if sim:
        robot_node = "pybullet_sim"
        robot_parameters = {"robot": robot, "model_path": str(model), "morphology": arguments["morphology"],
                            "publish_clock": use_sim_time, "use_sim_time": False}
    else:
        robot_node = "serial_bridge"
        robot_parameters = {"port": arguments["port"]}  # the robot it drives: the parameter file's (servo_quadruped)
    return LaunchPlan(sim=sim, params_file=params_file.resolve(), model=model, namespace=arguments["namespace"],
                      controller=controller, robot_node=robot_node, robot_node_parameters=robot_parameters)
