"""The controller's logic that used to live in the ROS node, tested without ROS: loop statistics, sensor inputs,
the lockstep trigger (one command per snapshot), and the orientation maths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hebbkit.runtime.loop_stats import LOOP_SAMPLES_KEPT, LoopStats
from hebbkit.runtime.orientation import quaternion_to_roll_pitch_yaw, roll_pitch_yaw_to_quaternion
from hebbkit.runtime.snapshot import LockstepTrigger, SensorInputs

NEEDED = ("joint_position", "roll_pitch_yaw")


def test_loop_stats_rate_jitter_overruns_and_latency():
    loop = LoopStats(period=0.02)
    for now in (0.0, 0.02, 0.04, 0.10):  # the last interval (0.06) is an overrun of a timed loop
        loop.tick(now)
        loop.latency(0.001)
    assert list(loop.intervals) == pytest.approx([0.02, 0.02, 0.06])
    assert loop.overruns == 1
    figures = loop.figures()
    assert figures["loop_rate_hz"] == f"{1 / np.mean([0.02, 0.02, 0.06]):.2f}"
    assert figures["jitter_p99_ms"] == f"{1e3 * np.percentile([0.0, 0.0, 0.04], 99):.3f}"
    assert figures["overruns"] == "1" and figures["sensor_to_command_p99_ms"] == "1.000"
    loop.tick(0.5, timed=False)  # a state-triggered loop waits for data: no overrun
    assert loop.overruns == 1
    loop.restart()
    loop.tick(9.0)  # a new activation starts a fresh interval
    assert len(loop.intervals) == 4
    loop.clear()
    assert (len(loop.intervals), len(loop.latencies), loop.overruns) == (0, 0, 0)
    assert loop.figures()["loop_rate_hz"] == "nan"


def test_loop_stats_keep_a_bounded_number_of_samples():
    loop = LoopStats(period=0.0165)
    for step in range(3 * LOOP_SAMPLES_KEPT):
        loop.tick(step * 0.0165)
        loop.latency(0.001)
    assert len(loop.intervals) == len(loop.latencies) == LOOP_SAMPLES_KEPT


def test_sensor_inputs_store_drop_and_missing():
    inputs = SensorInputs()
    assert inputs.missing(NEEDED, now=1.0, timeout=0.1) == list(NEEDED)
    inputs.store({"joint_position": np.zeros(8)}, now=1.0, stamp=5.0)
    inputs.store({"roll_pitch_yaw": np.zeros(3)}, now=0.5)
    assert inputs.missing(NEEDED, now=1.05, timeout=0.1) == ["roll_pitch_yaw"]  # too old
    assert inputs.stamps == {"joint_position": 5.0, "roll_pitch_yaw": 0.0}
    assert inputs.newest_arrival(default=-1.0) == 1.0
    inputs.drop("joint_position")
    assert "joint_position" not in inputs.measurements and inputs.missing(NEEDED, 0.5, 0.1) == ["joint_position"]
    assert SensorInputs().newest_arrival(default=7.0) == 7.0


def snapshot(inputs: SensorInputs, now: float, stamp: float) -> None:
    inputs.store({"joint_position": np.zeros(8)}, now, stamp)
    inputs.store({"roll_pitch_yaw": np.zeros(3)}, now + 0.001, stamp)


def test_lockstep_answers_each_snapshot_once():
    inputs, trigger = SensorInputs(), LockstepTrigger()
    assert trigger.due(inputs, NEEDED) == (False, None)  # nothing yet
    snapshot(inputs, 1.0, stamp=10.0)
    assert trigger.due(inputs, NEEDED) == (True, 10.0)
    trigger.answer(10.0)
    trigger.commanded(1.01)
    assert trigger.due(inputs, NEEDED) == (False, None)  # nothing new since the command
    snapshot(inputs, 1.02, stamp=10.0)  # the same state republished
    assert trigger.due(inputs, NEEDED) == (False, None)
    snapshot(inputs, 1.03, stamp=10.02)
    assert trigger.due(inputs, NEEDED) == (True, 10.02)


def test_lockstep_waits_while_two_states_are_mixed_and_accepts_unstamped_data():
    inputs, trigger = SensorInputs(), LockstepTrigger()
    inputs.store({"joint_position": np.zeros(8)}, 1.0, 10.0)
    inputs.store({"roll_pitch_yaw": np.zeros(3)}, 1.0, 10.02)
    assert trigger.due(inputs, NEEDED) == (False, None)
    inputs.store({"roll_pitch_yaw": np.zeros(3)}, 1.0, 0.0)  # unstamped matches any stamp
    assert trigger.due(inputs, NEEDED) == (True, 10.0)
    unstamped = SensorInputs()
    snapshot(unstamped, 1.0, stamp=0.0)
    assert trigger.due(unstamped, NEEDED) == (True, None)


@pytest.mark.parametrize("angles", [(0.0, 0.0, 0.0), (0.3, -0.2, 1.0), (-1.2, 0.7, -2.5), (0.0, 0.0, math.pi - 1e-9)])
def test_orientation_round_trip(angles):
    quaternion = roll_pitch_yaw_to_quaternion(*angles)
    assert sum(q * q for q in quaternion) == pytest.approx(1.0)
    assert quaternion_to_roll_pitch_yaw(*quaternion) == pytest.approx(angles, abs=1e-9)


def test_orientation_of_a_quarter_turn_about_z():
    s = math.sqrt(0.5)
    assert quaternion_to_roll_pitch_yaw(0.0, 0.0, s, s) == pytest.approx((0.0, 0.0, math.pi / 2))
