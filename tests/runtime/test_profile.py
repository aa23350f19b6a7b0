"""Robot profiles carry their identity explicitly (robot, observation, actuation, joints with limits); profiles
written before those fields existed get them from their name; `action_from_command` inverts `command_from_action`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import ANT28, ConfigError, generic_profile, load_artifact, new_artifact, save_artifact
from hebbkit.runtime.artifact import NetworkSpec
from hebbkit.runtime.profile import (
    ANT_JOINT_LIMITS,
    ROBOTS,
    SERVO_JOINTS,
    RobotProfile,
    identity_from_name,
    robot_profile,
)

ROOT = Path(__file__).resolve().parents[2]
COMBINATIONS = [(robot, observation, actuation) for robot in ROBOTS
                for observation in ("ant28", "proprio", "proprio_contacts") for actuation in ("torque", "position")]


@pytest.mark.parametrize(("robot", "observation", "actuation"), COMBINATIONS)
def test_every_builtin_profile_says_which_robot_layout_and_actuation_it_is(robot, observation, actuation):
    profile = robot_profile(robot, observation, actuation)
    assert (profile.robot, profile.observation, profile.actuation) == (robot, observation, actuation)
    assert profile.joint_names == ROBOTS[robot].joint_names
    assert profile.joint_limits == ROBOTS[robot].joint_limits
    assert RobotProfile.from_dict(json.loads(json.dumps(profile.to_dict()))) == profile


@pytest.mark.parametrize(("robot", "observation", "actuation"), COMBINATIONS)
def test_a_profile_written_before_the_fields_gets_them_from_its_name(robot, observation, actuation):
    profile = robot_profile(robot, observation, actuation)
    old = {key: value for key, value in profile.to_dict().items()
           if key not in ("robot", "observation", "joint_limits")}
    assert RobotProfile.from_dict(old) == profile


def test_identity_from_old_names():
    assert identity_from_name("ant28") == ("ant", "ant28")
    assert identity_from_name("ant28_position") == ("ant", "ant28")
    assert identity_from_name("ant28_servo_quadruped_torque") == ("servo_quadruped", "ant28")
    assert identity_from_name("proprio_contacts_ant_torque") == ("ant", "proprio_contacts")
    assert identity_from_name("proprio_servo_quadruped_position") == ("servo_quadruped", "proprio")
    assert identity_from_name("image") == identity_from_name("generic_3x2") == ("", "")
    assert RobotProfile.from_dict(generic_profile(3, 2).to_dict()).robot == ""


def test_shipped_models_load_with_explicit_fields_and_verified_tensors():
    expected = {"ant-paper": ("ant", "ant28", "torque"), "ant-static": ("ant", "ant28", "torque"),
                "servo-proprio": ("servo_quadruped", "proprio", "position")}
    for folder, identity in expected.items():
        path = ROOT / "models" / folder / "model.npz"
        if not path.exists():
            continue
        profile = load_artifact(path).profile  # load verifies the tensors' sha256
        assert (profile.robot, profile.observation, profile.actuation) == identity
        assert profile.joint_limits == ROBOTS[identity[0]].joint_limits
        assert profile == robot_profile(*identity)


def test_a_corrupted_shipped_model_still_fails_its_sha256(tmp_path):
    path = ROOT / "models" / "ant-paper" / "model.npz"
    if not path.exists():
        pytest.skip("no shipped model")
    with np.load(path) as data:
        arrays = {key: np.array(data[key]) for key in data.files}
    tensor = next(key for key in arrays if key != "__metadata__" and arrays[key].dtype == np.float32)
    arrays[tensor] = arrays[tensor] + np.float32(1.0)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(Exception, match="sha256"):
        load_artifact(tmp_path / "bad.npz")
    assert hashlib.sha256(path.read_bytes()).hexdigest()  # the shipped file itself is untouched


def test_a_saved_profile_round_trips_its_fields(tmp_path):
    profile = robot_profile("servo_quadruped", "proprio", "position")
    path = save_artifact(new_artifact(NetworkSpec(layer_sizes=(profile.n_observations, 4, profile.n_actions),
                                                  activations=("tanh", "tanh")), profile=profile, seed=0),
                         tmp_path / "servo.npz")
    assert load_artifact(path).profile == profile


@pytest.mark.parametrize(("robot", "observation", "actuation"), COMBINATIONS)
def test_action_from_command_inverts_command_from_action(robot, observation, actuation):
    profile = robot_profile(robot, observation, actuation)
    action = np.random.default_rng(0).uniform(-1, 1, profile.n_actions)
    command = profile.command_from_action(action)
    np.testing.assert_allclose(profile.action_from_command(command), action, rtol=0, atol=1e-12)
    assert np.array_equal(profile.action_from_command(command),
                          (command - np.asarray(profile.action_offset)) / np.asarray(profile.action_scale))


def test_action_from_command_without_scale_or_offset_is_the_command():
    profile = generic_profile(3, 2)
    assert np.array_equal(profile.action_from_command(np.array([0.5, -2.0])), [0.5, -2.0])
    with pytest.raises(Exception, match=r"shape \(2,\)"):
        profile.action_from_command(np.zeros(3))


def test_joint_limits_are_checked():
    data = ANT28.to_dict()
    with pytest.raises(ConfigError, match="joint_limits for 8 joint_names"):
        RobotProfile.from_dict({**data, "joint_limits": ANT_JOINT_LIMITS[:3]})
    with pytest.raises(ConfigError, match="lower <= upper"):
        RobotProfile.from_dict({**data, "joint_limits": ((1.0, -1.0),) * 8})
    with pytest.raises(ConfigError, match="lower <= upper"):
        RobotProfile.from_dict({**data, "joint_limits": ((-np.inf, 1.0),) * 8})


def test_unknown_robot_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"expected one of \['ant', 'servo_quadruped', 'unitree_a1'\]"):
        robot_profile("dog", "proprio", "position")
    with pytest.raises(ConfigError, match="unknown observation"):
        robot_profile("ant", "pixels", "torque")
    assert ROBOTS["servo_quadruped"].joint_names == SERVO_JOINTS
