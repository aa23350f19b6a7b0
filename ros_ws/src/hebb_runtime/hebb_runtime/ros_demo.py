"""`hebbkit ros-demo`: the ROS 2 pipeline without a ROS installation (pip wheels of rclpy and the messages).

Starts the same nodes as `ros2 launch hebb_runtime ant.launch.py` (controller and PyBullet simulation, separate
processes, real DDS on this machine) with the same parameter file, configures and activates the controller, then
watches the simulated ant walk for a while and reports the distance.

It lives in the ROS package because it drives ROS nodes; the trainer's CLI names it in its command table (by module
name, imported only when `hebbkit` builds its parser or runs the command), so the trainer itself never imports ROS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .launcher import DEFAULT_PARAMS, change_state, node_process, stop


@dataclass(frozen=True)
class RosDemoConfig:
    """`hebbkit ros-demo`: controller + PyBullet nodes over ROS 2 topics (needs the `ros` extra)."""

    model: Path = field(default=Path("models/ant-robust/model.npz"), metadata={"help": "policy artifact"})
    params_file: Path | None = field(default=None, metadata={"help": "parameter YAML (default: the package's)"})
    seconds: float = field(default=20.0, metadata={"help": "how long to watch (wall time)"})
    mode: str = field(default="realtime", metadata={"help": "realtime (timer at 60 Hz) or lockstep"})
    body: str = field(default="standard", metadata={
        "help": "simulated body: a preset or leg:segment:scale parts (see hebbkit eval --help)",
        "aliases": ("morphology",)})
    backend: str = field(default="numpy", metadata={"help": "runtime backend: numpy or onnx"})
    seed: int = field(default=0, metadata={"help": "seed of the weights and the simulation"})
    robot: str = field(default="", metadata={
        "help": "the robot file (.toml) of a model trained on your own robot (built-in robots: the model says)"})

    def __post_init__(self) -> None:
        import math

        from hebbkit.runtime.errors import ConfigError

        if not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ConfigError(f"--seconds must be a finite number > 0, got {self.seconds}")


def run_ros_demo(config: RosDemoConfig) -> int:
    from hebbkit.runtime import load_artifact
    from hebbkit.runtime.errors import DependencyError
    from hebbkit.runtime.shipped import find_model

    config = replace(config, model=find_model(config.model))  # the default also from outside the checkout
    load_artifact(config.model)  # a clear error now rather than a FAILURE in the node's log
    try:
        import rclpy
        from std_msgs.msg import Float64
    except ImportError as error:
        raise DependencyError(f"hebbkit ros-demo needs the ROS 2 wheels: pip install 'hebbkit[ros]' ({error})") \
            from error
    params = config.params_file or DEFAULT_PARAMS
    lockstep = config.mode == "lockstep"
    sim_parameters = {"mode": config.mode, "body": config.body, "seed": config.seed,
                      "model_path": str(config.model.resolve())}
    if config.robot:
        from hebbkit.runtime.robot_file import robot_file_path

        sim_parameters["robot"] = str(robot_file_path(config.robot))
    sim = node_process("sim_node", params, sim_parameters, "pybullet_sim")
    controller = node_process("controller_node", params, {
        "model_path": str(config.model.resolve()), "backend": config.backend, "seed": config.seed,
        "trigger": "state" if lockstep else "timer"}, "hebb_controller")
    rclpy.init()
    node = rclpy.create_node("hebb_ros_demo")
    latest = {"distance": None}
    node.create_subscription(Float64, "/pybullet_sim/distance", lambda m: latest.update(distance=m.data), 10)
    try:
        change_state("hebb_controller", (1, 3))  # configure, activate
        print(f"controller active ({config.model}); watching the simulated ant for {config.seconds:.0f} s "
              f"({config.mode})", flush=True)
        started = time.monotonic()
        next_report = 5.0
        while time.monotonic() - started < config.seconds:
            rclpy.spin_once(node, timeout_sec=0.1)
            elapsed = time.monotonic() - started
            if elapsed >= next_report and latest["distance"] is not None:
                print(f"  {elapsed:5.1f} s: distance {latest['distance']:7.1f}", flush=True)
                next_report += 5.0
        if latest["distance"] is None:
            print("no distance received from the simulation node: see its log below", flush=True)
        else:
            print(f"distance walked (summed progress, as in training): {latest['distance']:.1f}")
    finally:
        node.destroy_node()
        rclpy.shutdown()
        outputs = stop([controller, sim])
    for name, output in zip(("controller", "simulation"), outputs, strict=True):
        tail = [line for line in output.splitlines() if "build time" not in line][-3:]
        print(f"--- {name} log (last lines)\n" + "\n".join(tail))
    return 0
