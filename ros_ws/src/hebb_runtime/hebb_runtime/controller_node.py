"""`hebb_controller`: a lifecycle node that runs an evolved Hebbian rule at the control rate, safely.

configure: load and validate the artifact, check that its profile fits the robot (body, joints, actuation,
measurements: hebbkit.runtime.robot_match), build the Policy and the safety core (hebbkit.runtime.safety); any
problem fails the transition with one log line. activate: the control loop is armed; the policy starts (fresh random
weights, soft start) with the first complete, fresh set of measurements, so the start-up of the sensors counts
neither as rejected input nor as a watchdog trip, and nothing is commanded before. deactivate: one safe command,
loop off. cleanup: everything configure made goes (the diagnostics timer too), except a latched e-stop or fall: the
node keeps one `StopLatch` for its life, so only `~/reset` clears a stop, whatever transitions come (an e-stop sent
while unconfigured latches too). Parameters are read at configure and activate; `ros2 param set` while configured
is refused with the reason (`hebb_runtime.parameter_rules`). Falls and watchdog trips are logged as well.
Subscribes joint_states, imu (sensor-data QoS), sim_measurements (sim only) and emergency_stop; publishes
joint_commands and /diagnostics (OK only while policy steps run; WARN or ERROR, with the reason, otherwise);
services ~/emergency_stop and ~/reset (std_srvs/Trigger).

The logic is runtime code, tested without ROS: the safety layer (`hebbkit.runtime.safety.ControllerCore`), the
sensor inputs and the lockstep trigger (`hebbkit.runtime.snapshot`), the loop statistics
(`hebbkit.runtime.loop_stats`), the health on /diagnostics (`hebbkit.runtime.health`); the safety parameters are
declared from `SafetyConfig`'s fields (same defaults).
"""

from __future__ import annotations

import inspect
import math
import sys
import time
from dataclasses import fields

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Empty, Float64MultiArray
from std_srvs.srv import Trigger

from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.errors import HebbkitError, ObservationError
from hebbkit.runtime.health import Health, HealthLevel, HealthMonitor, state_change_note
from hebbkit.runtime.loop_stats import LoopStats
from hebbkit.runtime.robot_match import RobotDescription, check_robot_match
from hebbkit.runtime.safety import ControllerCore, ControllerState, SafetyConfig, StopLatch
from hebbkit.runtime.snapshot import LockstepTrigger, SensorInputs

from .conversions import (
    command_message,
    imu_measurements,
    joint_state_measurements,
    measurements_from_message,
    stamp_seconds,
)
from .node_runner import run_node
from .parameter_rules import CONTROLLER_CHOICES, check_choices, controller_change_refusal
from .robots import resolve_model_path

PARAMETERS = {
    # name: (default, description, range)
    "model_path": ("", "policy artifact (.npz) to run; a relative path is looked up in the working directory, "
                   "then among the models installed with the package", None),
    "backend": ("numpy", "runtime backend: numpy or onnx", None),
    "control_rate": (0.0, "Hz; 0 uses the artifact's control period", (0.0, 1000.0)),
    "robot": ("", "the robot's body (a key of hebbkit.runtime.profile.ROBOTS); the artifact's profile must be for it "
              "(empty: not checked)", None),
    "joint_names": ([""], "the robot's joints in command order; the artifact's profile must name the same (empty: "
                    "not checked, take the profile's)", None),
    "actuation": ("", "what the robot's actuators take: torque, position or velocity; the artifact's action mode "
                  "must be it (empty: not checked, e.g. a simulation of the artifact's own body)", None),
    "measurements": ([""], "raw measurements the robot provides (joint_position, joint_velocity, roll_pitch_yaw, "
                     "angular_velocity, ...); the artifact and the safety layer must need no other (empty: not "
                     "checked)", None),
    "seed": (0, "seed of the initial random weights at activation", (0, 2**31 - 1)),
    "plastic": (True, "apply the Hebbian updates (false freezes learning)", None),
    "trigger": ("timer", "timer: command at the control rate; state: one command per sensor snapshot, as soon as "
                "every sensor topic has delivered it (same header stamp; lockstep simulation)", None),
    **{item.name: (item.default, item.metadata["help"], item.metadata["range"]) for item in fields(SafetyConfig)},
    "max_weight_norm": (inspect.signature(Policy).parameters["max_weight_norm"].default,
                        "Hebbian guard: per-layer norm bound; divergence resets the weights (inf: non-finite values "
                        "only)", (1e-6, math.inf)),
    "diagnostics_period": (1.0, "s between /diagnostics messages", (0.05, 60.0)),
}
"""Declared parameters: name -> (default, description, range); the safety ones are `SafetyConfig`'s fields."""
LEVELS = {HealthLevel.OK: DiagnosticStatus.OK, HealthLevel.WARN: DiagnosticStatus.WARN,
          HealthLevel.ERROR: DiagnosticStatus.ERROR}


def start_note(latched: ControllerState | None) -> str:
    """What starts with the first complete measurements after activate: the policy, or (a stop latched before,
    which activate keeps) only the safe command; the log used to say "policy on" while an e-stop held the robot."""
    if latched is None:
        return "policy on (fresh random weights, soft start)"
    return f"{latched} still latched: safe command only, the policy starts after ~/reset"


class HebbController(LifecycleNode):
    """Thin ROS plumbing around hebbkit.runtime's Policy and ControllerCore."""

    def __init__(self, **kwargs) -> None:
        super().__init__("hebb_controller", **kwargs)
        for name, (default, description, limits) in PARAMETERS.items():
            descriptor = ParameterDescriptor(description=description)
            if isinstance(limits, tuple) and isinstance(default, float):
                descriptor.floating_point_range = [FloatingPointRange(from_value=limits[0], to_value=limits[1])]
            elif isinstance(limits, tuple) and isinstance(default, int) and not isinstance(default, bool):
                descriptor.integer_range = [IntegerRange(from_value=limits[0], to_value=limits[1], step=1)]
            self.declare_parameter(name, default, descriptor)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.core: ControllerCore | None = None
        self.stop_latch = StopLatch()  # outlives every core: cleanup -> configure cannot clear a stop
        self._logged_state: ControllerState | None = None
        self._timer = None
        self._diagnostics_timer = None
        self._waiting = False  # active, waiting for the first complete set of measurements
        self._armed_at = 0.0  # monotonic time of activation
        self._first_input_at: float | None = None  # first measurement while waiting
        self.health = HealthMonitor()
        self.inputs = SensorInputs()
        self.lockstep = LockstepTrigger()
        self.loop = LoopStats()
        self.create_subscription(JointState, "joint_states", self._on_joint_states, qos_profile_sensor_data)
        self.create_subscription(Imu, "imu", self._on_imu, qos_profile_sensor_data)
        self.create_subscription(Float64MultiArray, "sim_measurements", self._on_measurements,
                                 qos_profile_sensor_data)
        self.create_subscription(Empty, "emergency_stop", lambda _: self._emergency_stop("emergency_stop topic"), 10)
        self.create_service(Trigger, "~/emergency_stop", self._on_estop_service)
        self.create_service(Trigger, "~/reset", self._on_reset_service)
        self._commands = self.create_publisher(Float64MultiArray, "joint_commands", 10)
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)

    def parameter(self, name: str):
        return self.get_parameter(name).value

    def _on_set_parameters(self, parameters) -> SetParametersResult:
        """Refuse what cannot take effect now (`controller_change_refusal`), saying why and how."""
        reason = controller_change_refusal({item.name: item.value for item in parameters}, PARAMETERS,
                                           configured=self.core is not None)
        return SetParametersResult(successful=reason is None, reason=reason or "")

    # ------------------------------------------------------------------ lifecycle

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        if not self.parameter("model_path"):
            self.get_logger().error("cannot configure: model_path is empty; set it to a policy artifact (.npz)")
            return TransitionCallbackReturn.FAILURE
        path = resolve_model_path(self.parameter("model_path"))
        try:
            check_choices({name: self.parameter(name) for name in CONTROLLER_CHOICES}, CONTROLLER_CHOICES)
            artifact = load_artifact(path)
            policy = Policy(artifact, self.parameter("backend"), seed=self.parameter("seed"),
                            plastic=self.parameter("plastic"), max_weight_norm=self.parameter("max_weight_norm"))
            safety = SafetyConfig(**{item.name: self.parameter(item.name) for item in fields(SafetyConfig)})
            core = ControllerCore(policy, safety, latch=self.stop_latch)
            check_robot_match(artifact.profile, self.robot(), needed=core.needed)
        except HebbkitError as error:
            self.get_logger().error(f"cannot configure {path}: {error}")
            return TransitionCallbackReturn.FAILURE
        profile = artifact.profile
        self.core = core
        self._logged_state = core.state
        self.joint_names = profile.joint_names
        rate = self.parameter("control_rate") or 1.0 / artifact.control_period
        self.period = 1.0 / rate
        self.loop.period = self.period
        self.get_logger().info(f"configured {path}: {profile.name}, {profile.actuation} commands for "
                               f"{len(self.joint_names)} joints at {rate:.1f} Hz ({self.parameter('backend')})")
        self.health.restart()
        if self._diagnostics_timer is None:
            self._diagnostics_timer = self.create_timer(self.parameter("diagnostics_period"),
                                                        self._publish_diagnostics)
        return TransitionCallbackReturn.SUCCESS

    def robot(self) -> RobotDescription:
        """What the parameters say about the robot (empty parameters: not known, not checked). Raises
        ConfigError for an unknown actuation or measurement."""
        names = [name for name in self.parameter("joint_names") if name]
        measurements = [key for key in self.parameter("measurements") if key]
        return RobotDescription(joint_names=tuple(names) if names else None,
                                action_mode=self.parameter("actuation") or None,
                                measurements=tuple(measurements) if measurements else None,
                                robot=self.parameter("robot") or None)

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        self._waiting, self._armed_at, self._first_input_at = True, time.monotonic(), None
        self.loop.restart()
        if self.parameter("trigger") == "timer":
            use_sim_time = self.get_parameter("use_sim_time").value
            clock = self.get_clock() if use_sim_time else Clock(clock_type=ClockType.STEADY_TIME)  # monotonic
            self._timer = self.create_timer(self.period, self._control_step, clock=clock)
        self.get_logger().info("active: the policy starts with the first complete set of measurements")
        self._start_when_complete()  # they may all be here already
        return super().on_activate(state)

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        if self._timer is not None:
            self.destroy_timer(self._timer)
            self._timer = None
        commanded = not self._waiting
        self._waiting = False
        self.core.deactivate()
        if commanded:  # one safe command; before the first one the robot holds as it did
            self._publish(self.core.update(time.monotonic(), self.inputs.measurements, self.inputs.arrivals))
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        if self._diagnostics_timer is not None:
            self.destroy_timer(self._diagnostics_timer)
            self._diagnostics_timer = None
        self.core = None
        self.loop.clear()
        return TransitionCallbackReturn.SUCCESS

    def _start_when_complete(self) -> None:
        """Start the policy (fresh random weights, soft start) once every needed measurement has arrived within
        `sensor_timeout`: the sensors' start-up is neither rejected input nor a watchdog trip."""
        if not self._waiting or self.core is None:
            return
        now = time.monotonic()
        if self._first_input_at is None and self.inputs.arrivals:
            self._first_input_at = now
        if self._missing(now):
            return
        self._waiting = False
        self.core.activate(now, seed=self.parameter("seed"))
        self.get_logger().info(f"first complete measurements after {now - self._armed_at:.2f} s: "
                               f"{start_note(self.core.latched)}")

    def _missing(self, now: float) -> list[str]:
        """Needed measurements not received within `sensor_timeout` of `now`."""
        return self.inputs.missing(self.core.needed, now, self.parameter("sensor_timeout"))

    # ------------------------------------------------------------------ inputs

    def _on_joint_states(self, message: JointState) -> None:
        if self.core is None:
            return
        try:
            self._store(joint_state_measurements(message, self.joint_names), stamp_seconds(message.header.stamp))
        except ObservationError as error:
            if not self._waiting:  # before the policy starts nothing is rejected; the diagnostics say why it waits
                self.core.stats.rejected_inputs += 1
            self.core.stats.last_problem = str(error)
            self.inputs.drop("joint_position")
        self._after_input()

    def _on_imu(self, message: Imu) -> None:
        self._store(imu_measurements(message), stamp_seconds(message.header.stamp))
        self._after_input()

    def _on_measurements(self, message: Float64MultiArray) -> None:
        try:
            measurements = measurements_from_message(message)
            stamp = measurements.pop("stamp", np.zeros(1))
            self._store(measurements, float(stamp[0]) if stamp.size == 1 else 0.0)
        except ObservationError as error:
            self.get_logger().warning(str(error), throttle_duration_sec=5.0)
        self._after_input()

    def _after_input(self) -> None:
        self._start_when_complete()
        self._maybe_step_on_state()

    def _maybe_step_on_state(self) -> None:
        """trigger "state": command once per sensor snapshot (`hebbkit.runtime.snapshot.LockstepTrigger`), when
        the command has a subscriber to reach (a command lost to discovery would stall a lockstep sim)."""
        if self.core is None or not self.core.active or self.parameter("trigger") != "state":
            return
        due, snapshot = self.lockstep.due(self.inputs, self.core.needed)
        if not due:
            return
        if self._commands.get_subscription_count() == 0:
            return  # nobody hears the answer yet (discovery): keep the snapshot for when the sim republishes it
        self.lockstep.answer(snapshot)
        self._control_step()

    def _store(self, measurements: dict[str, np.ndarray], source: float = 0.0) -> None:
        self.inputs.store(measurements, time.monotonic(), source)

    def _emergency_stop(self, source: str) -> str:
        """Latch the e-stop (configured or not); returns what the latch means now."""
        if self.core is not None:
            self.core.emergency_stop()
            self._logged_state = self.core.state
            meaning = "safe state latched until ~/reset"
        else:
            self.stop_latch.latch(ControllerState.ESTOP)
            meaning = "latched until ~/reset (unconfigured: nothing is commanded; configure and activate keep it)"
        self.get_logger().warning(f"EMERGENCY STOP ({source}): {meaning}")
        return meaning

    def _on_estop_service(self, request, response):
        response.success, response.message = True, self._emergency_stop("~/emergency_stop service")
        return response

    def _on_reset_service(self, request, response):
        """Clear a latched stop in any state; an active controller restarts (fresh weights, soft start)."""
        latched = self.stop_latch.state
        if self.core is None:
            self.stop_latch.clear()
        else:
            self.core.reset(time.monotonic(), seed=self.parameter("seed"))
            self._logged_state = self.core.state
        if latched is not None:
            self.get_logger().info(f"reset: {latched} cleared")
        active = self.core is not None and self.core.active
        response.success = True
        response.message = "reset: fresh random weights, soft start" if active else \
            f"reset: {'the latched ' + str(latched) if latched else 'nothing latched'}; the policy starts at activation"
        return response

    # ------------------------------------------------------------------ control

    def _control_step(self) -> None:
        if self._waiting:
            return  # nothing is commanded before the first complete measurements
        started = time.monotonic()
        self.loop.tick(started, timed=self.parameter("trigger") == "timer")
        command = self.core.update(started, self.inputs.measurements, self.inputs.arrivals)
        self._log_state_change()
        self.lockstep.commanded(time.monotonic())
        self._publish(command)
        self.loop.latency(time.monotonic() - self.inputs.newest_arrival(default=started))

    def _log_state_change(self) -> None:
        """Log falls, watchdog trips and recoveries (`hebbkit.runtime.health.state_change_note`), not only on
        /diagnostics."""
        note = state_change_note(self._logged_state, self.core.state, self.core.stats)
        self._logged_state = self.core.state
        if note is not None and note.level == HealthLevel.ERROR:
            self.get_logger().error(note.message)
        elif note is not None:  # rclpy wants one severity per call site
            self.get_logger().info(note.message)

    def _publish(self, command: np.ndarray) -> None:
        if np.isfinite(command).all():  # the core guarantees it; this is the last line of defence
            self._commands.publish(command_message(command))

    def _health(self, now: float) -> Health:
        """The controller's health since the previous diagnostics message (`hebbkit.runtime.health`)."""
        waiting = self._waiting
        incomplete = waiting and self._first_input_at is not None and \
            now - self._first_input_at > self.parameter("sensor_timeout")
        return self.health.report(self.core.state, self.core.stats, waiting=waiting,
                                  missing=self._missing(now) if waiting else (), incomplete=incomplete)

    def _publish_diagnostics(self) -> None:
        if self.core is None:
            return
        core, stats = self.core, self.core.stats
        level, state, message = self._health(time.monotonic())
        norms = [float(np.linalg.norm(w)) for w in core.policy.backend.weights]
        values = {
            "state": str(state), **self.loop.figures(),
            "weight_norms": ", ".join(f"{n:.1f}" for n in norms),
            "guard_resets": str(core.policy.stats.guard_resets), "watchdog_trips": str(stats.watchdog_trips),
            "estop": str(core.state == ControllerState.ESTOP), "falls": str(stats.falls),
            "rejected_inputs": str(stats.rejected_inputs), "last_problem": stats.last_problem,
            "policy_steps": str(stats.policy_steps),
        }
        status = DiagnosticStatus(level=LEVELS[level], name="hebb_controller", message=message,
                                  hardware_id=self.get_fully_qualified_name(),
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(array)


def main(args=None) -> int:
    """Run the controller; 0 after an interrupt. Configuration errors fail the lifecycle transition (one ERROR
    line); a parameter rclpy refuses at start (out of range, wrong type) ends it with code 1 and one FATAL line."""
    return run_node(HebbController, args=args, fatal_logger="hebb_controller", verb="start")


if __name__ == "__main__":
    sys.exit(main())
