"""`serial_bridge`: the robot's microcontroller over hebbkit.firmware_bridge, with the sim node's topics.

Opens the serial port, shakes hands, configures joint limits, watchdog and state rate, enables torque, then
publishes every STATE frame as joint_states and imu and forwards joint_commands (position targets in rad, profile
order) as COMMAND frames; a heartbeat keeps the firmware's watchdog fed while no commands come. Link loss and
firmware errors are logged and reported on /diagnostics. The controller cannot tell it from the sim node.
A bridge that cannot start (no port, no answer from the firmware, another joint count) logs one FATAL line and exits
with code 1, so that `ros2 launch` stops. On its way out (Ctrl-C, SIGTERM, its launcher gone) it disables torque
before it closes the port, rather than leaving the servos powered until the firmware's watchdog holds them.
"""

from __future__ import annotations

import sys

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float64MultiArray

from hebbkit.firmware_bridge.link import BridgeError, Link
from hebbkit.firmware_bridge.protocol import State
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.profile import ROBOTS

from .conversions import imu_message, joint_state_message
from .node_runner import ranged_descriptor, run_node
from .robots import SERIAL_ROBOT

BRIDGE_RANGES = {"baudrate": (1, 2**31 - 1), "watchdog_ms": (1, 0xFFFF), "state_rate_hz": (1, 1000),
                 "heartbeat_period": (0.001, 60.0)}
"""Bounds of the bridge's numeric parameters, checked by rclpy when they are declared (a value out of them ends the
node with one FATAL line): what a CONFIGURE frame can carry (watchdog_ms a uint16, 0 refused by the firmware,
state_rate_hz 1..1000) and a heartbeat timer that can run (a period of 0 busy-loops, a negative one cannot be
created); out of them the node used to end with a traceback or spin."""


def check_heartbeat(period: float, watchdog_ms: int) -> None:
    """Raise `ConfigError` unless a heartbeat every `period` s keeps a `watchdog_ms` watchdog fed while no commands
    come (otherwise the firmware trips whenever the controller is idle)."""
    if not period * 1000.0 < watchdog_ms:
        raise ConfigError(f"heartbeat_period {period:g} s should be shorter than watchdog_ms {watchdog_ms} ms, or the "
                          "firmware's watchdog trips whenever no commands come")


class SerialBridge(Node):
    """Thin ROS plumbing around hebbkit.firmware_bridge.Link."""

    def __init__(self, **kwargs) -> None:
        super().__init__("serial_bridge", **kwargs)
        robot_name = self.declare_parameter("robot", SERIAL_ROBOT).value
        if robot_name not in ROBOTS:
            raise ConfigError(f"robot should be one of {sorted(ROBOTS)}, found {robot_name!r}")
        robot = ROBOTS[robot_name]  # its joints and limits are the defaults of joint_names, lower and upper
        for name, default in (("port", "/dev/ttyACM0"), ("baudrate", 1_000_000),
                              ("joint_names", list(robot.joint_names)),
                              ("lower", [lower for lower, _ in robot.joint_limits]),
                              ("upper", [upper for _, upper in robot.joint_limits]),
                              ("watchdog_ms", 100), ("state_rate_hz", 100), ("heartbeat_period", 0.05)):
            self.declare_parameter(name, default, ranged_descriptor(BRIDGE_RANGES.get(name)))
        check_heartbeat(self.get_parameter("heartbeat_period").value, self.get_parameter("watchdog_ms").value)
        self.joint_names = list(self.get_parameter("joint_names").value)
        self.link = Link(self.get_parameter("port").value, baudrate=self.get_parameter("baudrate").value,
                         timeout=1.0)
        self._torque_may_be_on = False
        try:
            self._start()
        except BaseException:  # an error, or a signal before the node spins: no powered servos left behind
            if self._torque_may_be_on:
                self.shutdown()
            raise

    def _start(self) -> None:
        """Handshake, configure, enable torque, then the topics and timers."""
        answer = self.link.hello()
        if answer.n_joints != len(self.joint_names):
            raise BridgeError(f"firmware drives {answer.n_joints} joints, joint_names lists {len(self.joint_names)}")
        self.link.configure(self.get_parameter("lower").value, self.get_parameter("upper").value,
                            self.get_parameter("watchdog_ms").value, self.get_parameter("state_rate_hz").value)
        self._torque_may_be_on = True  # from the moment ENABLE is sent
        self.link.enable(True)
        self._joint_states = self.create_publisher(JointState, "joint_states", qos_profile_sensor_data)
        self._imu = self.create_publisher(Imu, "imu", qos_profile_sensor_data)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(Float64MultiArray, "joint_commands", self._on_command, 10)
        self._last_command = -1.0
        self.create_timer(0.002, self._poll)
        self.create_timer(self.get_parameter("heartbeat_period").value, self._heartbeat)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(f"{self.get_parameter('port').value}: firmware {answer.firmware_version}, "
                               f"{answer.n_joints} joints, torque enabled")

    def shutdown(self) -> None:
        """Disable torque (the firmware acknowledges it), then close the port; a link that no longer answers is
        logged and closed anyway (the firmware's watchdog then holds the servos)."""
        try:
            self.link.enable(False)
            self._torque_may_be_on = False
            self.get_logger().info("torque disabled")
        except BridgeError as error:
            self.get_logger().error(f"could not disable torque on exit: {error}")
        finally:
            self.link.close()

    def _on_command(self, message: Float64MultiArray) -> None:
        command = np.asarray(message.data, dtype=np.float64)
        if command.shape != (len(self.joint_names),) or not np.isfinite(command).all():
            self.get_logger().warning(f"ignoring malformed joint_commands ({command.shape})",
                                      throttle_duration_sec=5.0)
            return
        try:
            self.link.command(command)
            self._last_command = self.get_clock().now().nanoseconds * 1e-9
        except BridgeError as error:
            self.get_logger().error(str(error), throttle_duration_sec=1.0)

    def _heartbeat(self) -> None:
        now = self.get_clock().now().nanoseconds * 1e-9
        if now - self._last_command > self.get_parameter("heartbeat_period").value:
            try:
                self.link.heartbeat()
            except BridgeError as error:
                self.get_logger().error(str(error), throttle_duration_sec=1.0)

    def _poll(self) -> None:
        try:
            messages = self.link.poll()
        except BridgeError as error:
            self.get_logger().error(str(error), throttle_duration_sec=1.0)
            return
        for message in messages:
            if isinstance(message, State):
                self._publish_state(message)

    def _publish_state(self, state: State) -> None:
        stamp = self.get_clock().now().to_msg()
        self._imu.publish(imu_message(stamp, state.roll_pitch_yaw, state.angular_velocity))
        self._joint_states.publish(joint_state_message(stamp, self.joint_names, state.positions, state.velocities))

    def _publish_diagnostics(self) -> None:
        stats = self.link.stats
        alive = self.link.link_alive
        values = {"link_alive": str(alive), "sent": str(stats.sent), "received": str(stats.received),
                  "crc_errors": str(stats.crc_errors), "malformed": str(stats.malformed), "lost": str(stats.lost),
                  "timeouts": str(stats.timeouts), "clamped": str(stats.clamped)}
        status = DiagnosticStatus(level=DiagnosticStatus.OK if alive else DiagnosticStatus.ERROR,
                                  name="serial_bridge", message="link up" if alive else "LINK LOST",
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        self._diagnostics.publish(DiagnosticArray(status=[status]))


def main(args=None) -> int:
    """Run the bridge; 0 after an interrupt, 1 (and one FATAL log line, no traceback) when the link cannot be
    brought up or fails for good (BridgeError and its kinds: port, timeout, firmware, protocol version)."""
    return run_node(SerialBridge, SerialBridge.shutdown, args=args, fatal_logger="serial_bridge", verb="run")


if __name__ == "__main__":
    sys.exit(main())
