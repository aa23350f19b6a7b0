"""`pybullet_sim`: the trainer's quadruped env as a ROS 2 node, the same topics a real robot's bridge offers.

Publishes joint_states and imu (and sim_measurements: the sim-only quantities of the faithful ant28 observation,
and ~/distance: the summed progress, once per step), applies joint_commands (physical units, profile order) at the
control rate. The three sensor topics of one state carry the same header stamp (`stamp` in sim_measurements).
mode "realtime": a timer steps the physics at the control rate with the latest command. mode "lockstep": one
physics step per received command, as fast as the controller answers (deterministic; for tests and benchmarks).
With publish_clock, /clock carries the simulated time (for use_sim_time). With model_path, robot, observation and
actuation come from that artifact's profile (the launch file passes the controller's model). With stop_after N,
the physics stops after N control steps (tests read the distance after exactly N steps).

A node that cannot start (a missing or corrupt model, an unknown body, a mode other than realtime or lockstep, bad
perturbations, a parameter of the wrong type) logs one FATAL line and
exits with code 1, so that `ros2 launch` stops instead of running a controller with nothing to drive.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, qos_profile_sensor_data
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float64, Float64MultiArray

from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.robot_file import robot_for

from .conversions import imu_message, joint_state_message, measurements_message, stamp_seconds
from .node_runner import ranged_descriptor, run_node
from .parameter_rules import SIM_CHOICES, check_choices
from .robots import chosen_body, resolve_model_path

LATCHED = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL)
SIM_ONLY = ("height_above_start", "target_direction", "linear_velocity_body", "foot_contact")
SIM_RANGES = {"seed": (0, 2**31 - 1), "burn_in_steps": (0, 100_000), "max_episode_steps": (1, 2**31 - 1),
              "stop_after": (0, 2**31 - 1)}
"""Bounds of the sim's integer parameters, checked by rclpy when they are declared (out of them: one FATAL line; a
negative seed used to end the node with a gymnasium traceback)."""


def body_of_artifact(path: str) -> tuple[str, str, str]:
    """(robot, observation, actuation) of the env an artifact was trained in, read from its profile. Raises
    `ArtifactError` for a missing or corrupt artifact, `ConfigError` for one that drives no quadruped."""
    from hebbkit.runtime import load_artifact

    profile = load_artifact(path).profile
    if not profile.robot or not profile.observation:
        raise ConfigError(f"{path}: profile {profile.name!r} drives no quadruped the simulation knows")
    return profile.robot, profile.observation, profile.actuation


def perturbations_from_json(text: str):
    """`Perturbations` from the `perturbations` parameter (a JSON object of its fields; "events": a list of
    ScheduledEvent fields). Raises `ConfigError` saying what is wrong."""
    from hebbkit.trainer.envs.perturbations import perturbations_from_dict

    try:
        options = json.loads(text or "{}")
        if not isinstance(options, dict):
            raise TypeError(f"found a JSON {type(options).__name__}")
        return perturbations_from_dict(options)
    except (ValueError, TypeError) as error:  # bad JSON, unknown or ill-typed fields
        raise ConfigError(f"perturbations should be a JSON object of Perturbations fields, found {text!r}: "
                          f"{error}") from None


class PyBulletSim(Node):
    """Thin ROS plumbing around hebbkit.trainer.envs.QuadrupedEnv."""

    def __init__(self, **kwargs) -> None:
        super().__init__("pybullet_sim", **kwargs)
        for name, default in (("robot", "ant"), ("body", "standard"), ("morphology", ""), ("observation", "ant28"),
                              ("actuation", "torque"), ("mode", "realtime"), ("seed", 0), ("burn_in_steps", 40),
                              ("max_episode_steps", 1_000_000), ("perturbations", "{}"), ("publish_clock", False),
                              ("model_path", ""), ("stop_after", 0)):
            self.declare_parameter(name, default, ranged_descriptor(SIM_RANGES.get(name)))
        check_choices({name: self.get_parameter(name).value for name in SIM_CHOICES}, SIM_CHOICES)
        from hebbkit.trainer.envs import QuadrupedEnv

        robot, observation, actuation = (self.get_parameter(name).value
                                         for name in ("robot", "observation", "actuation"))
        model_path = self.get_parameter("model_path").value
        if model_path:  # the body and profile the controller's artifact was trained on
            trained = body_of_artifact(resolve_model_path(model_path))
            trained = (robot_for(robot, trained[0]), *trained[1:])  # a robot file of the model's robot: used
            if trained != (robot, observation, actuation):
                self.get_logger().info(f"simulating {'/'.join(trained)} as the artifact was trained (parameters "
                                       f"said {robot}/{observation}/{actuation})")
            robot, observation, actuation = trained
        perturbations = perturbations_from_json(self.get_parameter("perturbations").value)
        self.body = chosen_body(self.get_parameter("body").value, self.get_parameter("morphology").value,
                                lambda text: self.get_logger().warning(f"parameter {text}"))
        self.env = QuadrupedEnv(robot=robot, morphology=self.body,
                                observation=observation, actuation=actuation, perturbations=perturbations,
                                max_episode_steps=self.get_parameter("max_episode_steps").value)
        self.profile = self.env.profile
        self._joint_states = self.create_publisher(JointState, "joint_states", qos_profile_sensor_data)
        self._imu = self.create_publisher(Imu, "imu", qos_profile_sensor_data)
        self._extras = self.create_publisher(Float64MultiArray, "sim_measurements", qos_profile_sensor_data)
        self._distance = self.create_publisher(Float64, "~/distance", LATCHED)  # late joiners get the latest
        publish_clock = self.get_parameter("publish_clock").value
        self._clock_publisher = self.create_publisher(Clock, "/clock", 10) if publish_clock else None
        self.create_subscription(Float64MultiArray, "joint_commands", self._on_command, 10)
        self.distance = 0.0
        self.sim_time = 0.0
        self.steps = 0
        self._action = np.zeros(self.profile.n_actions, dtype=np.float32)
        self.env.reset(seed=self.get_parameter("seed").value)
        for _ in range(self.get_parameter("burn_in_steps").value):  # let the body settle, as in training
            self.env.step(self._action)
            self.sim_time += self.env.dt
        self.lockstep = self.get_parameter("mode").value == "lockstep"
        self._stop_after = self.get_parameter("stop_after").value
        self._state_stamp = self.get_clock().now().to_msg()
        if self.lockstep:
            self._publish_state()
            self.create_timer(0.5, self._republish_if_idle)  # late joiners get the current state
            self._idle = 0
        else:
            self.create_timer(self.env.dt, self._tick)
        self.get_logger().info(f"{self.env.body.name} ({self.body}), profile "
                               f"{self.profile.name}, {'lockstep' if self.lockstep else 'real time'} at "
                               f"{1 / self.env.dt:.1f} Hz")

    def _on_command(self, message: Float64MultiArray) -> None:
        command = np.asarray(message.data, dtype=np.float64)
        if command.shape != (self.profile.n_actions,) or not np.isfinite(command).all():
            self.get_logger().warning(f"ignoring malformed joint_commands ({command.shape})",
                                      throttle_duration_sec=5.0)
            return
        self._action = self.profile.action_from_command(command).astype(np.float32)
        if self.lockstep:
            self._idle = 0
            self._step()

    def _tick(self) -> None:
        self._step()

    def _republish_if_idle(self) -> None:
        self._idle += 1
        if self._idle >= 2:
            self._publish_state()

    def _step(self) -> None:
        if 0 < self._stop_after <= self.steps:
            return  # the run is over: the last state and distance stay as they are
        _, _, _, _, info = self.env.step(self._action)
        self.distance += info["progress"]
        self.sim_time += self.env.dt
        self.steps += 1
        self._state_stamp = self.get_clock().now().to_msg()  # one stamp per state, kept when it is republished
        self._publish_state()
        self._distance.publish(Float64(data=self.distance))  # once per step: message k is the distance after k

    def _publish_state(self) -> None:
        measurements = self.env.last_measurements
        stamp = self._state_stamp  # the same on all three topics: the controller matches them by it
        joints = joint_state_message(stamp, self.profile.joint_names, measurements["joint_position"],
                                     measurements["joint_velocity"])
        imu = imu_message(stamp, measurements["roll_pitch_yaw"], measurements["angular_velocity"])
        extras = {key: measurements[key] for key in SIM_ONLY}
        extras["stamp"] = np.array([stamp_seconds(stamp)])
        self._extras.publish(measurements_message(extras))
        self._imu.publish(imu)
        self._joint_states.publish(joints)  # last: a state-triggered controller then has everything
        if self._clock_publisher is not None:
            clock = Clock()
            clock.clock.sec = int(self.sim_time)
            clock.clock.nanosec = int((self.sim_time % 1) * 1e9)
            self._clock_publisher.publish(clock)


def main(args=None) -> int:
    """Run the node; 0 after an interrupt, 1 (and one FATAL log line, no traceback) when it cannot start."""
    return run_node(PyBulletSim, lambda node: node.env.close(), args=args, fatal_logger="pybullet_sim", verb="start")


if __name__ == "__main__":
    sys.exit(main())
