"""The ROS 2 nodes as separate processes over real DDS (rclpy wheels from PyPI): every safety behaviour of the
controller, and the simulated ant walking through ROS topics.

This module is also the corpus of bad input at the ROS surface (kept in one module: the tests share one rclpy
context and DDS domain). Guaranteed:
- A missing or corrupt model, wrong joint names, or a model whose profile does not fit the robot (joints, actuation,
  measurements; e.g. the Ant torque model on the servo robot) fails the controller's configure with one clear line.
- The sim node with a missing or corrupt model and the serial bridge without its port exit with code 1 and one
  FATAL line, no traceback (the launch file then stops the launch: tests/ros/test_ros_package.py).
- The e-stop and a fall latch until `~/reset`; NaN input is rejected and counted, never commanded; the watchdog
  stops commanding when sensors go quiet.
- Diagnostics are never OK while no policy step runs (WARN while holding or waiting, ERROR with nothing commanded).
- The sensors' start-up counts neither as rejected input nor as a watchdog trip; re-configuring keeps one
  diagnostics timer; loop statistics stay bounded.
- A latched e-stop holds through cleanup -> configure -> activate until `~/reset`, and one sent while unconfigured
  latches; `ros2 param set` on a configured controller is refused with the reason; a bad trigger fails configure; a
  bad sim mode or an out-of-range parameter from a file ends the node with one FATAL line.
- Falls and watchdog trips are logged; the serial bridge disables torque on exit; nodes end when their launcher is
  killed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="the `ros` extra is not installed")  # installed in CI: never skipped there

from builtin_interfaces.msg import Time  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from hebb_runtime.conversions import (  # noqa: E402
    imu_measurements,
    imu_message,
    joint_state_message,
    measurements_message,
)
from hebb_runtime.launcher import DEFAULT_PARAMS, change_state, node_process, stop  # noqa: E402
from hebb_runtime.sim_node import LATCHED  # noqa: E402
from rclpy.qos import qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import Imu, JointState  # noqa: E402
from std_msgs.msg import Empty, Float64, Float64MultiArray  # noqa: E402
from std_srvs.srv import Trigger  # noqa: E402

from hebbkit.runtime import NetworkSpec, Policy, load_artifact, new_artifact, save_artifact  # noqa: E402
from hebbkit.runtime.loop_stats import LOOP_SAMPLES_KEPT  # noqa: E402
from hebbkit.runtime.profile import ANT_JOINTS, ROBOTS, SERVO_JOINTS, robot_profile  # noqa: E402
from hebbkit.runtime.safety import ControllerCore, SafetyConfig  # noqa: E402
from tests.ros.domain import isolated_ros_domain  # noqa: E402
from tests.ros.processes import finished  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WALKING_MODEL = ROOT / "models" / "ant-paper" / "model.npz"
SERVO_PROFILE = robot_profile("servo_quadruped", "proprio", "position")


@pytest.fixture(scope="module", autouse=True)
def ros_domain():
    """An isolated DDS domain for this module, shared by the test process and the nodes it starts."""
    with isolated_ros_domain(40):
        yield


class FakeRobot:
    """The test's side of the topics: publishes sensor data, records commands and diagnostics."""

    def __init__(self) -> None:
        self.node = rclpy.create_node(f"fake_robot_{time.monotonic_ns()}")
        self.joints = self.node.create_publisher(JointState, "joint_states", qos_profile_sensor_data)
        self.imu = self.node.create_publisher(Imu, "imu", qos_profile_sensor_data)
        self.extras = self.node.create_publisher(Float64MultiArray, "sim_measurements", qos_profile_sensor_data)
        self.estop = self.node.create_publisher(Empty, "emergency_stop", 10)
        self.commands: list[np.ndarray] = []
        self.diagnostics: list[dict] = []
        self.node.create_subscription(Float64MultiArray, "joint_commands",
                                      lambda m: self.commands.append(np.array(m.data)), 10)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_diagnostics(self, message: DiagnosticArray) -> None:
        for status in message.status:
            if status.name == "hebb_controller":
                self.diagnostics.append({"level": int.from_bytes(status.level, "little") if isinstance(
                    status.level, bytes) else int(status.level), "message": status.message,
                    **{kv.key: kv.value for kv in status.values}})

    def publish(self, position=0.1, velocity=0.5, roll=0.0, stamp: tuple[int, int] | None = None,
                sim_measurements: bool = True) -> None:
        """One sensor snapshot; `stamp` (sec, nanosec) goes into every header (unstamped by default); without
        `sim_measurements` only what a real robot measures (joint_states, imu)."""
        header_stamp = Time(sec=stamp[0], nanosec=stamp[1]) if stamp is not None else Time()
        self.imu.publish(imu_message(header_stamp, (roll, 0.0, 0.0), (0.0, 0.0, 0.0)))
        extras = {"height_above_start": np.zeros(1), "target_direction": np.array([0.0, 1.0]),
                  "linear_velocity_body": np.zeros(3), "foot_contact": np.ones(4)}
        if stamp is not None:
            extras["stamp"] = np.array([stamp[0] + 1e-9 * stamp[1]])
        if sim_measurements:
            self.extras.publish(measurements_message(extras))
        # with trigger "state" the controller answers once all three have arrived
        self.joints.publish(joint_state_message(header_stamp, ANT_JOINTS, [position] * 8, [velocity] * 8))

    def spin(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.01)

    def spin_until(self, condition, seconds: float = 10.0) -> bool:
        """Spin until `condition()` holds (True) or `seconds` pass (False): a deadline for a test that fails, not a
        bound on how fast a loaded machine delivers."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() >= deadline:
                return False
            rclpy.spin_once(self.node, timeout_sec=0.01)
        return True

    def stream_until(self, condition, seconds: float = 10.0, period: float = 0.02, **state) -> bool:
        """Publish a snapshot every `period` until `condition()` holds (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() >= deadline:
                return False
            self.publish(**state)
            self.spin(period)
        return True

    def diagnostics_since(self, index: int, **expected) -> list[dict]:
        """The diagnostics received after the first `index` whose fields equal `expected`."""
        return [d for d in self.diagnostics[index:] if all(d.get(key) == value for key, value in expected.items())]

    def step(self, settle: float = 0.15, **state) -> np.ndarray:
        """Publish one state and return the newest command after the controller answered."""
        count = len(self.commands)
        self.publish(**state)
        deadline = time.monotonic() + 5
        while len(self.commands) == count and time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.01)
        self.spin(settle)
        assert len(self.commands) > count, "the controller did not answer"
        return self.commands[-1]

    def call(self, service: str) -> bool:
        client = self.node.create_client(Trigger, service)
        assert client.wait_for_service(timeout_sec=10)
        future = client.call_async(Trigger.Request())
        rclpy.spin_until_future_complete(self.node, future, timeout_sec=10)
        return future.result().success


def controller(model: Path, **overrides):
    return node_process("controller_node", DEFAULT_PARAMS, {"model_path": str(model), **overrides},
                        "hebb_controller")


def test_missing_model_file_fails_configuration_with_a_clear_message(tmp_path):
    process = controller(tmp_path / "missing.npz")
    try:
        with pytest.raises(RuntimeError, match="lifecycle transition 1 failed"):
            change_state("hebb_controller", (1,))
    finally:
        (output,) = stop([process])
    assert "no policy artifact at" in output


def test_wrong_joint_names_fail_configuration(untrained):
    names = "[" + ",".join(f"'{name}'" for name in reversed(ANT_JOINTS)) + "]"
    process = controller(untrained, joint_names=names)
    try:
        with pytest.raises(RuntimeError, match="lifecycle transition 1 failed"):
            change_state("hebb_controller", (1,))
    finally:
        (output,) = stop([process])
    assert "does not fit this robot: it needs joints in the order" in output


def test_estop_latch_reset_fall_and_nan_input(untrained):
    # sensor_timeout 2 s: the topics arrive in any order, and the previous step's imu must not count as stale
    process = controller(untrained, trigger="state", soft_start_time=0.0, damping=2.0, tilt_limit=0.8,
                         diagnostics_period=0.2, sensor_timeout=2.0)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        safe = np.full(8, -2.0 * 0.5)  # damping x velocity
        for _ in range(5):  # discovery: the first best-effort messages of a new topic may be lost
            policy_command = robot.step()
        assert np.isfinite(policy_command).all() and not np.allclose(policy_command, safe)

        nan_command = robot.step(position=float("nan"))  # never reaches the policy, never published as NaN
        np.testing.assert_allclose(nan_command, safe)

        robot.estop.publish(Empty())
        robot.spin(0.2)
        for _ in range(3):
            np.testing.assert_allclose(robot.step(), safe)  # latched
        assert robot.call("/hebb_controller/reset")
        assert not np.allclose(robot.step(), safe)

        robot.publish(roll=1.2)  # the imu reports the fall; the next state is answered with the safe command
        robot.spin(0.2)
        np.testing.assert_allclose(robot.step(roll=1.2), safe)  # a fall
        np.testing.assert_allclose(robot.step(roll=0.0), safe)  # latched
        assert robot.call("/hebb_controller/emergency_stop")
        assert robot.call("/hebb_controller/reset")
        assert not np.allclose(robot.step(), safe)

        robot.spin(0.5)
        latest = robot.diagnostics[-1]
        assert {"loop_rate_hz", "jitter_p99_ms", "overruns", "sensor_to_command_p99_ms", "weight_norms",
                "guard_resets", "watchdog_trips", "estop", "falls", "rejected_inputs"} <= set(latest)
        assert int(latest["falls"]) == 1 and int(latest["rejected_inputs"]) >= 1
    finally:
        robot.node.destroy_node()
        stop([process])


def test_watchdog_stops_commanding_when_sensors_go_quiet(untrained):
    """Ordered, not timed: the policy commands while data flow, the watchdog takes over when they stop, the policy
    resumes when they return (the deadlines only end a failing test; a loaded machine may take longer)."""
    process = controller(untrained, trigger="timer", sensor_timeout=0.3, soft_start_time=0.0,
                         diagnostics_period=0.2)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        assert robot.stream_until(lambda: bool(robot.commands) and not np.allclose(robot.commands[-1], 0.0))
        quiet = len(robot.diagnostics)  # no sensor data from now on
        assert robot.spin_until(lambda: bool(robot.diagnostics_since(quiet, state="watchdog", level=2)))
        # torque actuation: no torque, from the step that tripped the watchdog on
        assert robot.spin_until(lambda: np.allclose(robot.commands[-1], 0.0))
        resumed = len(robot.diagnostics)
        assert robot.stream_until(lambda: bool(robot.diagnostics_since(resumed, state="active")))
        assert robot.stream_until(lambda: not np.allclose(robot.commands[-1], 0.0))
    finally:
        robot.node.destroy_node()
        stop([process])


def test_state_trigger_answers_each_stamped_snapshot_once(untrained):
    process = controller(untrained, trigger="state", soft_start_time=0.0, sensor_timeout=5.0)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        for second in range(1, 6):  # discovery: the first best-effort messages of a new topic may be lost
            robot.step(stamp=(second, 0))
        count = len(robot.commands)
        robot.publish(stamp=(5, 0))  # the same snapshot again (a lockstep sim republishing while idle)
        robot.spin(0.5)
        assert len(robot.commands) == count, "a republished state must not be answered twice"
        robot.imu.publish(Imu())  # a stray unstamped imu message alone does not complete a snapshot
        robot.spin(0.3)
        assert len(robot.commands) == count
        robot.step(stamp=(6, 0))  # the next snapshot is answered
        assert len(robot.commands) == count + 1
    finally:
        robot.node.destroy_node()
        stop([process])


def test_sim_takes_the_body_and_profile_from_the_controllers_artifact(tmp_path):
    from hebbkit.trainer.envs import QuadrupedEnv

    profile = QuadrupedEnv(robot="servo_quadruped", observation="proprio", actuation="position").profile
    servo = save_artifact(new_artifact(NetworkSpec(layer_sizes=(profile.n_observations, 16, profile.n_actions),
                                                   activations=("tanh", "tanh")),
                                       profile=profile, seed=2), tmp_path / "servo.npz")
    sim = node_process("sim_node", DEFAULT_PARAMS, {"mode": "lockstep", "model_path": str(servo)}, "pybullet_sim")
    listener = rclpy.create_node("joint_listener")
    names: list[list[str]] = []
    listener.create_subscription(JointState, "joint_states", lambda m: names.append(list(m.name)),
                                 qos_profile_sensor_data)
    try:
        deadline = time.monotonic() + 30
        while not names and time.monotonic() < deadline:
            rclpy.spin_once(listener, timeout_sec=0.05)
    finally:
        listener.destroy_node()
        (output,) = stop([sim])
    assert names and names[0] == list(profile.joint_names), output  # the yaml said robot: ant
    assert "simulating servo_quadruped/proprio/position" in output


def reference_distances(model: Path, steps: int, seed: int) -> np.ndarray:
    """The same pipeline in one process: env -> ROS message conversions -> ControllerCore -> env.
    Returns the distance after each step."""
    from hebb_runtime.sim_node import SIM_ONLY

    from hebbkit.trainer.envs import QuadrupedEnv

    artifact = load_artifact(model)
    env = QuadrupedEnv(max_episode_steps=10**6)
    env.reset(seed=seed)
    for _ in range(40):
        env.step(np.zeros(8, dtype=np.float32))
    core = ControllerCore(Policy(artifact, seed=seed), SafetyConfig(soft_start_time=0.0, sensor_timeout=1e9))
    core.activate(0.0, seed=seed)
    profile = artifact.profile
    distance, distances = 0.0, []
    for step in range(steps):
        raw = env.last_measurements
        imu = imu_message(Time(), raw["roll_pitch_yaw"], raw["angular_velocity"])  # what the sim node publishes
        measurements = {"joint_position": raw["joint_position"], "joint_velocity": raw["joint_velocity"],
                        **imu_measurements(imu), **{key: raw[key] for key in SIM_ONLY}}
        command = core.update(step * env.dt, measurements, step * env.dt)
        _, _, _, _, info = env.step(profile.action_from_command(command).astype(np.float32))
        distance += info["progress"]
        distances.append(distance)
    return np.array(distances)


@pytest.mark.skipif(not WALKING_MODEL.exists(), reason="no shipped model yet")
def test_the_simulated_ant_walks_through_ros_topics():
    """Lockstep through real topics reproduces the in-process trajectory exactly: one command per state, no state
    answered twice or mixed with the next (header stamps), whatever the timing of the machine."""
    steps, seed = 600, 0
    expected = reference_distances(WALKING_MODEL, steps, seed)[-1]
    sim = node_process("sim_node", DEFAULT_PARAMS, {"mode": "lockstep", "seed": seed, "stop_after": steps},
                       "pybullet_sim")
    process = controller(WALKING_MODEL, trigger="state", soft_start_time=0.0, seed=seed, sensor_timeout=5.0)
    watcher = rclpy.create_node("distance_watcher")
    distances: list[float] = []  # under load a watcher may miss some; the last one (after `steps`) stays
    watcher.create_subscription(Float64, "/pybullet_sim/distance", lambda m: distances.append(m.data), LATCHED)
    try:
        change_state("hebb_controller", (1, 3))
        deadline, quiet_since, seen = time.monotonic() + 120, time.monotonic(), 0
        while time.monotonic() < deadline and (not distances or time.monotonic() - quiet_since < 2.0):
            rclpy.spin_once(watcher, timeout_sec=0.05)
            if len(distances) != seen:
                seen, quiet_since = len(distances), time.monotonic()
    finally:
        watcher.destroy_node()
        logs = "\n".join(stop([process, sim]))
    assert distances, "the simulation never stepped\n" + logs
    assert expected > 20, f"the shipped model should walk in-process ({expected:.1f})"
    walked = distances[-1]
    assert walked == pytest.approx(expected, rel=1e-9, abs=1e-9), \
        f"the ROS trajectory left the in-process one ({walked:.3f} vs {expected:.3f} after {steps} steps)\n{logs}"
    print(f"ROS lockstep: {walked:.3f} after {steps} steps ({len(distances)} distance messages seen), identical "
          "to the in-process trajectory")


def test_serial_bridge_publishes_the_firmwares_state_and_forwards_commands():
    from hebbkit.firmware_bridge.simulator import FirmwareSimulator

    firmware = FirmwareSimulator()
    bridge = node_process("bridge_node", DEFAULT_PARAMS, {"port": firmware.port_name}, "serial_bridge")
    node = rclpy.create_node("bridge_watcher")
    states: list[JointState] = []
    node.create_subscription(JointState, "joint_states", states.append, qos_profile_sensor_data)
    commands = node.create_publisher(Float64MultiArray, "joint_commands", 10)
    try:
        deadline = time.monotonic() + 30
        while not states and time.monotonic() < deadline:
            rclpy.spin_once(node, timeout_sec=0.05)
        assert states and states[-1].name[0] == "front_left_shoulder" and len(states[-1].position) == 8
        # the bridge's robot parameter (servo_quadruped) gives the firmware its joints' limits, from the runtime
        limits = ROBOTS["servo_quadruped"].joint_limits
        np.testing.assert_allclose(firmware.core.lower, [lower for lower, _ in limits], atol=1e-6)
        np.testing.assert_allclose(firmware.core.upper, [upper for _, upper in limits], atol=1e-6)
        target = [0.4, 0.6, 0.4, 0.6, 0.4, 0.6, 0.4, 5.0]  # the last one beyond its limit (110 degrees)
        expected = [*target[:7], limits[7][1]]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            commands.publish(Float64MultiArray(data=target))
            rclpy.spin_once(node, timeout_sec=0.02)
            if np.allclose(states[-1].position, expected, atol=1e-3):
                break
        np.testing.assert_allclose(states[-1].position, expected, atol=1e-3)
        assert firmware.enabled and not firmware.watchdog_tripped
    finally:
        node.destroy_node()
        stop([bridge])
        firmware.close()


# ---------------------------------------------------------------------- issue 13: a robot that reports OK while
# doing the wrong thing

SERVO_ROBOT = {"robot": "servo_quadruped", "joint_names": "[" + ",".join(f"'{name}'" for name in SERVO_JOINTS) + "]",
               "actuation": "position",
               "measurements": "[joint_position,joint_velocity,roll_pitch_yaw,angular_velocity]"}


def test_controller_refuses_the_ant_torque_model_for_the_servo_robot_in_one_line(untrained):
    process = controller(untrained, **SERVO_ROBOT)
    try:
        with pytest.raises(RuntimeError, match="lifecycle transition 1 failed"):
            change_state("hebb_controller", (1,))
    finally:
        (output,) = stop([process])
    lines = [line for line in output.splitlines() if "cannot configure" in line]
    assert len(lines) == 1, output
    line = lines[0]
    assert "[ERROR]" in line and "profile 'ant28' does not fit this robot" in line
    assert "the ant body, this robot is the servo_quadruped" in line
    assert "torque commands, the robot takes position commands" in line
    assert "height_above_start" in line and "front_left_shoulder" in line
    assert "Traceback" not in output


def test_controller_accepts_a_servo_model_for_the_servo_robot(tmp_path):
    servo = save_artifact(new_artifact(NetworkSpec(layer_sizes=(SERVO_PROFILE.n_observations, 8,
                                                                SERVO_PROFILE.n_actions), activations=("tanh", "tanh")),
                                       profile=SERVO_PROFILE, seed=3), tmp_path / "servo.npz")
    process = controller(servo, **SERVO_ROBOT)
    try:
        change_state("hebb_controller", (1,))  # raises when the configuration is refused
    finally:
        (output,) = stop([process])
    assert "configured" in output and "position commands for 8 joints" in output


def test_diagnostics_are_not_ok_while_no_policy_step_runs(untrained):
    """The Ant model fed what a real robot measures (no sim_measurements): nothing commanded, diagnostics ERROR
    naming what is missing; then complete data: OK; then NaN joint positions: ERROR again."""
    process = controller(untrained, trigger="timer", sensor_timeout=0.5, soft_start_time=0.0,
                         diagnostics_period=0.2)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        assert robot.stream_until(lambda: any(d["level"] == 2 and "height_above_start" in d["message"]
                                              for d in robot.diagnostics), sim_measurements=False), robot.diagnostics
        assert robot.commands == []  # the policy never started: nothing was commanded (no 0.0 targets)

        seen = len(robot.diagnostics)
        assert robot.stream_until(lambda: bool(robot.diagnostics_since(seen, level=0, state="active"))), \
            robot.diagnostics[seen:]
        assert robot.commands and not np.allclose(robot.commands[-1], 0.0)

        seen = len(robot.diagnostics)
        assert robot.stream_until(lambda: any(d["level"] == 2 and "no policy step" in d["message"] and "NaN" in
                                              d["message"] for d in robot.diagnostics[seen:]),
                                  position=float("nan")), robot.diagnostics[seen:]
    finally:
        robot.node.destroy_node()
        stop([process])


def test_the_start_up_of_the_sensors_is_neither_rejected_input_nor_a_watchdog_trip(untrained):
    """Activated long before the first measurement (as ant.launch.py does while the simulation loads): nothing is
    commanded and nothing counted until the first complete set arrives; diagnostics WARN meanwhile."""
    process = controller(untrained, trigger="timer", sensor_timeout=1.0, soft_start_time=0.0,
                         diagnostics_period=0.2)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        robot.spin(2.0)  # no sensor data for twice the sensor timeout
        assert robot.commands == []
        waiting = robot.diagnostics[-1]
        assert waiting["state"] == "waiting" and waiting["level"] == 1, waiting
        seen = len(robot.diagnostics)
        assert robot.stream_until(lambda: any(int(d["policy_steps"]) > 0
                                              for d in robot.diagnostics_since(seen, state="active")))
        running = robot.diagnostics_since(seen, state="active")[-1]  # received while the data flowed
        assert running["rejected_inputs"] == "0" and running["watchdog_trips"] == "0", running
    finally:
        robot.node.destroy_node()
        (output,) = stop([process])
    assert "first complete measurements after" in output


def in_process_controller(*parameters):
    """A HebbController in this process, in a namespace of its own: rclpy's LifecycleNode keeps its lifecycle
    services until the object is collected, so after `destroy_node()` a `/hebb_controller/change_state` would still
    answer the lifecycle calls of later tests."""
    from hebb_runtime.controller_node import HebbController

    return HebbController(namespace=f"in_process_{time.monotonic_ns()}", parameter_overrides=list(parameters))


def test_reconfiguring_keeps_one_diagnostics_timer_and_the_loop_statistics_are_bounded(untrained):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    node = in_process_controller(Parameter("model_path", value=str(untrained)))
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert len(list(node.timers)) == 1
        assert node.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
        assert len(list(node.timers)) == 0
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert len(list(node.timers)) == 1
        for _ in range(3 * LOOP_SAMPLES_KEPT):  # what a long run appends
            node.loop.tick(0.0165)
            node.loop.latency(0.001)
        assert len(node.loop.intervals) == len(node.loop.latencies) == LOOP_SAMPLES_KEPT
    finally:
        node.destroy_node()


@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_sim_node_exits_with_code_1_and_one_line_on_a_bad_model(tmp_path, problem):
    model = tmp_path / "model.npz"
    if problem == "corrupt":
        model.write_bytes(b"PK\x03\x04 not really a zip archive" * 10)
    sim = node_process("sim_node", DEFAULT_PARAMS, {"model_path": str(model)}, "pybullet_sim")
    code, output = finished(sim)
    assert code == 1, output
    assert "Traceback" not in output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and str(model) in fatal[0], output
    assert ("no policy artifact at" if problem == "missing" else "cannot read") in fatal[0]


def test_serial_bridge_exits_with_code_1_and_one_line_without_its_port(tmp_path):
    port = tmp_path / "ttyACM9"
    bridge = node_process("bridge_node", DEFAULT_PARAMS, {"port": str(port)}, "serial_bridge")
    code, output = finished(bridge)
    assert code == 1, output
    assert "Traceback" not in output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and f"cannot open {port}" in fatal[0], output


def test_serial_bridge_exits_with_code_1_and_one_line_for_an_unknown_robot(tmp_path):
    bridge = node_process("bridge_node", DEFAULT_PARAMS, {"port": str(tmp_path / "ttyACM9"), "robot": "dog"},
                          "serial_bridge")
    code, output = finished(bridge)
    assert code == 1, output
    assert "Traceback" not in output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    expected = "robot should be one of ['ant', 'servo_quadruped', 'unitree_a1'], found 'dog'"
    assert len(fatal) == 1 and expected in fatal[0], output


# ---------------------------------------------------------------------- issue 28: nothing a parameter, a lifecycle
# transition or a signal does moves the robot unsafely

def test_a_latched_estop_survives_cleanup_and_configure_and_latches_while_unconfigured(untrained):
    """Only ~/reset clears an e-stop: one sent before configure holds through configure and activate, and one sent
    while active holds through deactivate, cleanup, configure and activate (the launch used to re-activate after
    every configure, and each configure built a fresh, unlatched safety core)."""
    process = controller(untrained, trigger="state", soft_start_time=0.0, damping=2.0, sensor_timeout=2.0)
    robot = FakeRobot()
    safe = np.full(8, -2.0 * 0.5)  # damping x velocity
    try:
        assert robot.call("/hebb_controller/emergency_stop")  # unconfigured: latches (it used to answer False)
        change_state("hebb_controller", (1, 3))  # configure, activate
        for _ in range(5):  # discovery: the first best-effort messages of a new topic may be lost
            np.testing.assert_allclose(robot.step(), safe)
        assert robot.call("/hebb_controller/reset")
        assert not np.allclose(robot.step(), safe)

        assert robot.call("/hebb_controller/emergency_stop")
        np.testing.assert_allclose(robot.step(), safe)
        change_state("hebb_controller", (4, 2, 1, 3))  # deactivate, cleanup, configure, activate
        for _ in range(3):
            np.testing.assert_allclose(robot.step(), safe)  # still latched: nobody asked for ~/reset
        assert robot.call("/hebb_controller/reset")
        assert not np.allclose(robot.step(), safe)
    finally:
        robot.node.destroy_node()
        (output,) = stop([process])
    assert "EMERGENCY STOP" in output and "unconfigured" in output


def test_parameter_changes_are_refused_while_configured_and_bad_choices_always(untrained):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    node = in_process_controller(Parameter("model_path", value=str(untrained)))
    try:
        result = node.set_parameters([Parameter("trigger", value="bogus")])[0]
        assert not result.successful and "trigger should be one of timer, state, found 'bogus'" in result.reason
        assert node.set_parameters([Parameter("max_slew", value=1.5)])[0].successful  # unconfigured: next configure
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.core.config.max_slew == 1.5
        for name, value in (("max_slew", 2.0), ("control_rate", 10.0), ("model_path", "other.npz"),
                            ("trigger", "state")):
            result = node.set_parameters([Parameter(name, value=value)])[0]
            assert not result.successful and "cannot change while hebb_controller is configured" in result.reason, name
        assert node.core.config.max_slew == 1.5 and node.parameter("trigger") == "timer"
    finally:
        node.destroy_node()


def test_a_bad_trigger_from_the_parameter_file_fails_configuration(untrained):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    node = in_process_controller(Parameter("model_path", value=str(untrained)), Parameter("trigger", value="bogus"))
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
        assert node.core is None
    finally:
        node.destroy_node()


def test_out_of_range_parameters_end_the_controller_with_one_line(untrained, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("hebb_controller:\n  ros__parameters:\n    max_slew: -1.0\n")
    process = node_process("controller_node", params, {"model_path": str(untrained)}, "hebb_controller")
    code, output = finished(process)
    assert code == 1, output
    assert "Traceback" not in output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and "max_slew" in fatal[0], output


def test_sim_node_refuses_an_unknown_mode_in_one_line():
    sim = node_process("sim_node", DEFAULT_PARAMS, {"mode": "bogus"}, "pybullet_sim")
    code, output = finished(sim)
    assert code == 1, output
    assert "Traceback" not in output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and "mode should be one of realtime, lockstep, found 'bogus'" in fatal[0], output


def test_falls_and_watchdog_trips_are_logged(untrained):
    process = controller(untrained, trigger="timer", sensor_timeout=0.3, soft_start_time=0.0, diagnostics_period=0.2)
    robot = FakeRobot()
    try:
        change_state("hebb_controller", (1, 3))
        assert robot.stream_until(lambda: bool(robot.commands) and not np.allclose(robot.commands[-1], 0.0))
        quiet = len(robot.diagnostics)
        assert robot.spin_until(lambda: bool(robot.diagnostics_since(quiet, state="watchdog")))
        resumed = len(robot.diagnostics)
        assert robot.stream_until(lambda: bool(robot.diagnostics_since(resumed, state="active")))
        fell = len(robot.diagnostics)
        assert robot.stream_until(lambda: bool(robot.diagnostics_since(fell, state="fallen")), roll=1.2)
    finally:
        robot.node.destroy_node()
        (output,) = stop([process])
    assert "WATCHDOG" in output and "sensor data fresh again" in output, output
    assert "FALL" in output and "latched until ~/reset" in output, output


def test_serial_bridge_disables_torque_on_exit():
    from hebbkit.firmware_bridge.simulator import FirmwareSimulator

    firmware = FirmwareSimulator()
    bridge = node_process("bridge_node", DEFAULT_PARAMS, {"port": firmware.port_name}, "serial_bridge")
    try:
        deadline = time.monotonic() + 30
        while not firmware.enabled and time.monotonic() < deadline:
            time.sleep(0.05)
        assert firmware.enabled
    finally:
        (output,) = stop([bridge])
        enabled = firmware.enabled
        firmware.close()
    assert not enabled, output
    assert "torque disabled" in output


def process_gone(pid: int) -> bool:
    """True once `pid` no longer runs (gone, or a zombie waiting for whoever adopted it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_nodes_end_when_their_launcher_is_killed():
    """What `ros2 launch` does on SIGTERM (it exits, its nodes stay) or a SIGKILL of the launcher: the nodes must
    stop by themselves, and the serial bridge must disable torque on its way out."""
    import signal
    import subprocess
    import sys

    from hebbkit.firmware_bridge.simulator import FirmwareSimulator

    firmware = FirmwareSimulator()
    script = ("import sys, time\nfrom hebb_runtime.launcher import DEFAULT_PARAMS, node_process\n"
              f"node = node_process('bridge_node', DEFAULT_PARAMS, {{'port': {firmware.port_name!r}}}, "
              "'serial_bridge')\nprint(node.pid, flush=True)\ntime.sleep(600)\n")
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "ros_ws" / "src" / "hebb_runtime"),
                                                               os.environ.get("PYTHONPATH", "")]))
    launcher = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=environment)
    node_pid = None
    try:
        node_pid = int(launcher.stdout.readline())
        deadline = time.monotonic() + 30
        while not firmware.enabled and time.monotonic() < deadline:
            time.sleep(0.05)
        assert firmware.enabled
        launcher.kill()  # SIGKILL: the launcher cannot pass anything on
        launcher.wait()
        deadline = time.monotonic() + 20
        while not process_gone(node_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process_gone(node_pid), "the bridge kept running after its launcher was killed"
        assert not firmware.enabled, "the bridge left the torque on"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        if node_pid is not None and not process_gone(node_pid):
            os.kill(node_pid, signal.SIGKILL)  # the test's own child's child: never left behind
        firmware.close()
