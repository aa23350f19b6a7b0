"""ControllerCore: every safety behaviour, with a real Policy (no ROS)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from hebbkit.runtime import NetworkSpec, Policy, new_artifact, proprio_profile
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.safety import ControllerCore, SafetyConfig

JOINTS = tuple(f"j{i}" for i in range(8))
LIMITS = tuple((-1.0, 1.0) for _ in range(8))


def core_for(action_mode="position", **safety) -> ControllerCore:
    profile = proprio_profile(JOINTS, LIMITS, (), action_mode, torque_per_action=2.0)
    spec = NetworkSpec(layer_sizes=(profile.n_observations, 16, 8), activations=("tanh", "tanh"))
    policy = Policy(new_artifact(spec, profile=profile, seed=3), seed=0)
    return ControllerCore(policy, SafetyConfig(**safety))


def measurements(position=0.1, roll=0.0):
    return {"joint_position": np.full(8, position), "joint_velocity": np.full(8, 0.5),
            "roll_pitch_yaw": np.array([roll, 0.0, 0.3]), "angular_velocity": np.zeros(3)}


def test_soft_start_fades_from_holding_the_pose_to_the_policy():
    core = core_for(soft_start_time=1.0)
    core.activate(0.0, seed=1)
    first = core.update(0.0, measurements(), 0.0)
    np.testing.assert_allclose(first, np.full(8, 0.1))  # hold the measured pose
    reference = core_for(soft_start_time=0.0)
    reference.activate(0.0, seed=1)
    policy_command = reference.update(0.0, measurements(), 0.0)
    for now in (0.02, 0.5):
        reference.update(now, measurements(), now)
    halfway = core.update(0.5, measurements(), 0.5)
    assert not np.allclose(halfway, first)
    core.update(1.0, measurements(), 1.0)
    np.testing.assert_allclose(core.update(2.0, measurements(), 2.0), reference.update(2.0, measurements(), 2.0))
    assert not np.allclose(policy_command, first)


def test_watchdog_holds_on_stale_sensors_and_resumes_when_they_return():
    core = core_for(sensor_timeout=0.1, soft_start_time=0.0)
    core.activate(0.0)
    fresh = {key: 0.0 for key in measurements()}
    core.update(0.05, measurements(), fresh)
    stale = core.update(0.5, measurements(position=0.3), fresh)
    np.testing.assert_allclose(stale, np.full(8, 0.3))  # holds the pose
    assert core.state == "watchdog" and core.stats.watchdog_trips == 1
    steps = core.policy.stats.steps
    core.update(0.6, measurements(), {key: 0.6 for key in fresh})
    assert core.state == "active" and core.policy.stats.steps == steps + 1


def test_emergency_stop_latches_until_reset():
    core = core_for(soft_start_time=0.0)
    core.activate(0.0)
    core.emergency_stop()
    for now in (0.1, 0.2, 5.0):
        np.testing.assert_allclose(core.update(now, measurements(position=-0.2), now), np.full(8, -0.2))
    assert core.state == "estop"
    core.reset(6.0)
    assert core.state == "active"


def test_a_fall_latches_the_safe_state():
    core = core_for(tilt_limit=0.8, soft_start_time=0.0)
    core.activate(0.0)
    core.update(0.0, measurements(roll=1.2), 0.0)
    assert core.state == "fallen" and core.stats.falls == 1
    np.testing.assert_allclose(core.update(0.1, measurements(roll=0.0), 0.1), np.full(8, 0.1))
    assert core.state == "fallen"


@pytest.mark.parametrize("bad", ["nan", "missing", "short"])
def test_bad_input_never_reaches_the_policy(bad):
    core = core_for(soft_start_time=0.0)
    core.activate(0.0)
    data = measurements()
    if bad == "nan":
        data["angular_velocity"] = np.array([np.nan, 0, 0])
    elif bad == "missing":
        del data["angular_velocity"]
    else:
        data["joint_velocity"] = np.zeros(3)
    command = core.update(0.0, data, 0.0)
    assert np.isfinite(command).all() and core.policy.stats.steps == 0 and core.stats.rejected_inputs == 1
    np.testing.assert_allclose(command, np.full(8, 0.1))


def test_torque_safe_state_damps_and_commands_are_clamped_and_slew_limited():
    core = core_for("torque", soft_start_time=0.0, damping=3.0, max_slew=10.0)
    core.activate(0.0)
    core.emergency_stop()
    np.testing.assert_allclose(core.update(0.0, measurements(), 0.0), np.full(8, -1.5))  # -3 * 0.5
    core.reset(0.0)
    command = core.update(0.01, measurements(), 0.01)
    assert core.state == "active" and core.stats.policy_steps == 1
    assert np.all(np.abs(command - (-1.5)) <= 0.1 + 1e-12)  # 10 N*m/s for 0.01 s
    assert np.all(np.abs(command) <= 2.0)  # torque_per_action
    for step in range(2, 200):
        command = core.update(step * 0.01, {**measurements(), "joint_velocity": np.full(8, -100.0)}, step * 0.01)
        assert np.all(command <= 2.0) and np.all(command >= -2.0) and np.isfinite(command).all()


def test_position_commands_stay_inside_the_joint_limits_minus_the_margin():
    core = core_for(soft_start_time=0.0, position_margin=0.1)
    core.activate(0.0)
    for step in range(50):
        now = step * 0.02
        command = core.update(now, measurements(position=5.0), now)  # a wild reading is held within limits
        assert np.all(command <= 0.9 + 1e-12) and np.all(command >= -0.9 - 1e-12)


def test_invalid_safety_config():
    with pytest.raises(Exception, match="invalid safety config"):
        SafetyConfig(sensor_timeout=0)
    assert math.isinf(SafetyConfig().max_slew)


def core_with_scaling(action_mode: str, scale: float, offset: float = 0.0, **safety) -> ControllerCore:
    """A core whose profile's action mapping (+-`scale` around `offset`) ignores its own joint limits (+-0.5 rad)."""
    base = proprio_profile(JOINTS, ((-0.5, 0.5),) * 8, (), action_mode, torque_per_action=2.0)
    profile = dataclasses.replace(base, action_scale=(scale,) * 8, action_offset=(offset,) * 8)
    spec = NetworkSpec(layer_sizes=(profile.n_observations, 16, 8), activations=("tanh", "tanh"))
    policy = Policy(new_artifact(spec, profile=profile, seed=3), seed=0)
    return ControllerCore(policy, SafetyConfig(**safety))


def test_position_commands_stay_inside_the_artifacts_joint_limits_whatever_the_action_scaling():
    """Issue 28: a valid profile whose action_scale (100) maps far past its joint_limits (+-0.5 rad) used to get
    +-100 rad commands; the command range is the tighter of the mapping and the joint limits."""
    core = core_with_scaling("position", 100.0, soft_start_time=0.0)
    np.testing.assert_array_equal(core.range_low, np.full(8, -0.5))
    np.testing.assert_array_equal(core.range_high, np.full(8, 0.5))
    core.activate(0.0, seed=1)
    for step in range(100):
        now = step * 0.02
        command = core.update(now, measurements(position=5.0 * (-1) ** step), now)
        assert np.all(np.abs(command) <= 0.5), command
    assert core.stats.policy_steps == 100


def test_the_position_margin_applies_inside_the_tighter_range():
    core = core_with_scaling("position", 100.0, soft_start_time=0.0, position_margin=0.1)
    np.testing.assert_allclose(core.command_high, np.full(8, 0.4))
    with pytest.raises(ConfigError, match=r"position_margin 0\.6 rad inverts"):
        core_with_scaling("position", 100.0, position_margin=0.6)


def test_a_mapping_wholly_outside_the_joint_limits_is_refused():
    with pytest.raises(ConfigError, match="outside the joint limits") as error:
        core_with_scaling("position", 0.1, offset=3.0)
    assert "\n" not in str(error.value)


def test_joint_limits_bound_positions_not_torques():
    core = core_with_scaling("torque", 100.0)
    np.testing.assert_array_equal(core.range_high, np.full(8, 100.0))  # N*m: the joint limits are radians
