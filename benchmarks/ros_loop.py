"""The controller node's loop over loopback DDS (rclpy wheels), with the Ant model, two measurements:

1. rate and jitter: the controller on its 60.6 Hz timer, sensor data streaming at the same rate; the intervals
   between commands as a subscriber in another process receives them (achieved rate, p50/p99 |interval - period|);
2. sensor-to-command latency: the controller in trigger "state" mode; the time from publishing a complete sensor
   set in this process to receiving the command computed from it (a full DDS round trip plus one control step).

    python benchmarks/ros_loop.py [--seconds 60] [--model models/ant-paper/model.npz] [--json]

Exit code 0 when every target is met, 1 when one is missed (the report says which).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

TARGETS = {"rate_error_max": 0.01, "jitter_p99_ms_max": 2.0, "latency_p99_ms_max": 3.0}


def missed_targets(results: dict) -> list[str]:
    """The targets `results` (main's "timer" and "latency" figures) miss, as readable lines; empty: all met."""
    timer, latency = results["timer"], results["latency"]
    rate_error = abs(timer["achieved_hz"] / timer["nominal_hz"] - 1)
    missed = []
    if not rate_error <= TARGETS["rate_error_max"]:
        missed.append(f"rate {100 * rate_error:.2f}% off (target within {100 * TARGETS['rate_error_max']:g}%)")
    if not timer["jitter_p99_ms"] <= TARGETS["jitter_p99_ms_max"]:
        missed.append(f"p99 jitter {timer['jitter_p99_ms']:.3f} ms (target <= {TARGETS['jitter_p99_ms_max']:g} ms)")
    if not latency["p99_ms"] <= TARGETS["latency_p99_ms_max"]:
        missed.append(f"p99 latency {latency['p99_ms']:.3f} ms (target <= {TARGETS['latency_p99_ms_max']:g} ms)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each measurement")
    parser.add_argument("--model", type=Path, default=Path("models/ant-paper/model.npz"), help="policy artifact")
    parser.add_argument("--json", action="store_true", help="print JSON")
    arguments = parser.parse_args()
    os.environ.setdefault("ROS_DOMAIN_ID", "77")
    import rclpy
    from hebb_runtime.conversions import measurements_message
    from hebb_runtime.launcher import DEFAULT_PARAMS, change_state, node_process, stop
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Imu, JointState
    from std_msgs.msg import Float64MultiArray

    from hebbkit.runtime import load_artifact

    artifact = load_artifact(arguments.model)
    period = artifact.control_period
    rclpy.init()
    node = rclpy.create_node("ros_loop_benchmark")
    joints = node.create_publisher(JointState, "joint_states", qos_profile_sensor_data)
    imu = node.create_publisher(Imu, "imu", qos_profile_sensor_data)
    extras = node.create_publisher(Float64MultiArray, "sim_measurements", qos_profile_sensor_data)
    arrivals: list[float] = []
    node.create_subscription(Float64MultiArray, "joint_commands", lambda _: arrivals.append(time.perf_counter()), 100)
    rng = np.random.default_rng(0)

    def publish_sensors() -> float:
        imu.publish(Imu(orientation=Imu().orientation))
        extras.publish(measurements_message({"height_above_start": np.zeros(1), "target_direction": [0.0, 1.0],
                                             "linear_velocity_body": rng.normal(0, 0.1, 3),
                                             "foot_contact": np.ones(4)}))
        message = JointState(name=list(artifact.profile.joint_names))
        message.position = list(rng.normal(0, 0.3, 8))
        message.velocity = list(rng.normal(0, 1.0, 8))
        sent = time.perf_counter()
        joints.publish(message)
        return sent

    def spin_for(seconds: float, sensor_period: float | None) -> None:
        deadline = time.perf_counter() + seconds
        next_sensor = time.perf_counter()
        while time.perf_counter() < deadline:
            if sensor_period is not None and time.perf_counter() >= next_sensor:
                publish_sensors()
                next_sensor += sensor_period
            rclpy.spin_once(node, timeout_sec=0.0005)

    results = {}
    # 1. rate and jitter on the timer
    process = node_process("controller_node", DEFAULT_PARAMS, {"model_path": str(arguments.model.resolve()),
                                                               "trigger": "timer", "soft_start_time": 0.0},
                           "hebb_controller")
    try:
        change_state("hebb_controller", (1, 3))
        spin_for(2.0, period)
        arrivals.clear()
        spin_for(arguments.seconds, period)
    finally:
        stop([process])
    intervals = np.diff(arrivals)
    jitter = np.abs(intervals - period) * 1e3
    results["timer"] = {"commands": len(arrivals), "nominal_hz": round(1 / period, 3),
                        "achieved_hz": round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 3),
                        "jitter_p50_ms": round(float(np.percentile(jitter, 50)), 3),
                        "jitter_p99_ms": round(float(np.percentile(jitter, 99)), 3)}
    # 2. sensor-to-command latency, one complete sensor set at a time
    process = node_process("controller_node", DEFAULT_PARAMS, {"model_path": str(arguments.model.resolve()),
                                                               "trigger": "state", "soft_start_time": 0.0,
                                                               "sensor_timeout": 5.0}, "hebb_controller")
    latencies = []
    try:
        change_state("hebb_controller", (1, 3))
        spin_for(1.0, period)
        deadline = time.perf_counter() + arguments.seconds
        while time.perf_counter() < deadline:
            count = len(arrivals)
            sent = publish_sensors()
            answer_by = time.perf_counter() + 0.5
            while len(arrivals) == count and time.perf_counter() < answer_by:
                rclpy.spin_once(node, timeout_sec=0.0002)
            if len(arrivals) > count:
                latencies.append((arrivals[-1] - sent) * 1e3)
            time.sleep(max(0.0, period - (time.perf_counter() - sent)))
    finally:
        stop([process])
        node.destroy_node()
        rclpy.shutdown()
    results["latency"] = {"samples": len(latencies), "p50_ms": round(float(np.percentile(latencies, 50)), 3),
                          "p99_ms": round(float(np.percentile(latencies, 99)), 3)}
    rate_error = abs(results["timer"]["achieved_hz"] / results["timer"]["nominal_hz"] - 1)
    missed = missed_targets(results)
    results["targets"] = TARGETS
    results["meets_targets"] = not missed
    results["missed"] = missed
    if arguments.json:
        print(json.dumps(results, indent=2))
        return 1 if missed else 0
    timer, latency = results["timer"], results["latency"]
    print(f"controller node over loopback DDS, {arguments.seconds:.0f} s per measurement, {arguments.model}")
    print(f"  rate: {timer['achieved_hz']:.2f} Hz of {timer['nominal_hz']:.2f} nominal ({100 * rate_error:.2f}% off)")
    print(f"  jitter |interval - period|: p50 {timer['jitter_p50_ms']:.3f} ms, p99 {timer['jitter_p99_ms']:.3f} ms")
    print(f"  sensor-to-command latency: p50 {latency['p50_ms']:.3f} ms, p99 {latency['p99_ms']:.3f} ms "
          f"({latency['samples']} samples)")
    print(f"  targets (rate within 1%, p99 jitter <= 2 ms, p99 latency <= 3 ms): "
          f"{'met' if not missed else 'MISSED: ' + '; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
