"""Parameters the hebb_runtime nodes refuse, found by driving the real `ros2 launch` from outside (issue 28):

- `ros2 param set /hebb_controller use_sim_time true` on a configured controller answered "successful": its clock
  then waited for a /clock nobody published, so /diagnostics stopped at once and, after the next activate, every
  command, with nothing in the log. It is refused while configured, like the controller's own parameters.
- After activate with an e-stop still latched (sent while unconfigured, or kept through cleanup -> configure) the log
  said "policy on (fresh random weights, soft start)" while only the safe command went out.
- The serial bridge's and the sim's numeric parameters had no bounds: `watchdog_ms: 100000` or `heartbeat_period:
  -1.0` in a parameter file ended the bridge with a traceback, `heartbeat_period: 0.0` spun a zero-period timer, and
  a negative sim `seed` ended the sim with a gymnasium traceback. Each now ends the node with one FATAL line.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy", reason="the `ros` extra is not installed")  # installed in CI: never skipped there

from hebb_runtime.controller_node import PARAMETERS, start_note  # noqa: E402
from hebb_runtime.launcher import DEFAULT_PARAMS, node_process  # noqa: E402
from hebb_runtime.parameter_rules import controller_change_refusal  # noqa: E402

from hebbkit.runtime.safety import ControllerState  # noqa: E402
from tests.ros.domain import isolated_ros_domain  # noqa: E402
from tests.ros.processes import finished  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ros_domain():
    """An isolated DDS domain for this module, shared by the test process and the nodes it starts."""
    with isolated_ros_domain(100):
        yield


def in_process_controller(*parameters):
    """A HebbController in this process, in a namespace of its own (see tests/ros/test_ros_nodes.py)."""
    from hebb_runtime.controller_node import HebbController

    return HebbController(namespace=f"in_process_{time.monotonic_ns()}", parameter_overrides=list(parameters))


def test_use_sim_time_is_refused_while_configured():
    assert controller_change_refusal({"use_sim_time": True}, PARAMETERS, configured=False) is None
    reason = controller_change_refusal({"use_sim_time": True}, PARAMETERS, configured=True)
    assert reason is not None and "use_sim_time cannot change while hebb_controller is configured" in reason
    assert controller_change_refusal({"some_other_rclpy_parameter": 1}, PARAMETERS, configured=True) is None


def test_a_configured_controller_keeps_its_clock_when_use_sim_time_is_set(untrained):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    node = in_process_controller(Parameter("model_path", value=str(untrained)))
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        result = node.set_parameters([Parameter("use_sim_time", value=True)])[0]
        assert not result.successful and "use_sim_time" in result.reason
        assert node.get_parameter("use_sim_time").value is False
        assert not node.get_clock().ros_time_is_active  # the diagnostics timer's clock still runs
        assert node.trigger_cleanup() == TransitionCallbackReturn.SUCCESS
        assert node.set_parameters([Parameter("use_sim_time", value=True)])[0].successful  # unconfigured: taken
        assert node.get_clock().ros_time_is_active
    finally:
        node.destroy_node()


class RecordingLogger:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, **_) -> None:
        self.lines.append(message)

    warning = error = info


def test_the_log_does_not_say_policy_on_while_a_stop_is_latched(untrained):
    from rclpy.lifecycle import TransitionCallbackReturn
    from rclpy.parameter import Parameter

    assert start_note(None).startswith("policy on")
    for state in (ControllerState.ESTOP, ControllerState.FALLEN):
        assert "policy on" not in start_note(state) and "~/reset" in start_note(state)

    node = in_process_controller(Parameter("model_path", value=str(untrained)))
    logger = RecordingLogger()
    node.get_logger = lambda: logger
    try:
        node._emergency_stop("test, unconfigured")
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        now = time.monotonic()
        node.inputs.store({key: np.zeros(size) for key, size in node.core._sizes.items()}, now, 0.0)
        node._start_when_complete()
        started = [line for line in logger.lines if line.startswith("first complete measurements")]
        assert len(started) == 1 and "estop still latched" in started[0] and "policy on" not in started[0], \
            logger.lines
        assert node.core.state == ControllerState.ESTOP
    finally:
        node.destroy_node()


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("watchdog_ms", 100000, "watchdog_ms"),  # more than CONFIGURE's uint16: a ProtocolError traceback
    ("heartbeat_period", -1.0, "heartbeat_period"),  # rclpy's RCLError traceback creating the timer
    ("heartbeat_period", 0.0, "heartbeat_period"),  # a zero-period timer: ran, busy
    ("heartbeat_period", 0.2, "should be shorter than watchdog_ms 100 ms"),  # the watchdog trips whenever idle
])
def test_serial_bridge_refuses_out_of_range_parameters_in_one_line(tmp_path, name, value, expected):
    from hebbkit.firmware_bridge.simulator import FirmwareSimulator

    firmware = FirmwareSimulator()
    try:
        bridge = node_process("bridge_node", DEFAULT_PARAMS, {"port": firmware.port_name, name: value},
                              "serial_bridge")
        code, output = finished(bridge)
        enabled = firmware.enabled
    finally:
        firmware.close()
    assert code == 1, output
    assert "Traceback" not in output, output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and expected in fatal[0], output
    assert not enabled, "torque was enabled with a bad parameter"


@pytest.mark.parametrize(("name", "value"), [("seed", -1), ("burn_in_steps", -40), ("max_episode_steps", 0)])
def test_sim_node_refuses_out_of_range_parameters_in_one_line(name, value):
    sim = node_process("sim_node", DEFAULT_PARAMS, {name: value}, "pybullet_sim")
    code, output = finished(sim)
    assert code == 1, output
    assert "Traceback" not in output, output
    fatal = [line for line in output.splitlines() if "[FATAL]" in line]
    assert len(fatal) == 1 and name in fatal[0], output
