"""The controller's joint_commands follow the robot file: the forward_command_controller layout (one entry per
joint, the file's joint names in command order, physical units) for every built-in robot and for one's own."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hebb_runtime.ros2_control import CONTROLLER, controller_parameters, controller_remaps

from hebbkit.runtime import NetworkSpec, Policy, new_artifact
from hebbkit.runtime.robot_file import builtin_robot_names, resolve_robot
from hebbkit.runtime.safety import ControllerCore, SafetyConfig
from tests.own_robot import write_robot


@pytest.fixture(scope="module")
def own_robot(tmp_path_factory):
    return write_robot(tmp_path_factory.mktemp("own"))


@pytest.mark.parametrize("robot", [*builtin_robot_names(), "own"])
def test_joint_commands_are_in_the_robot_files_order(robot, own_robot):
    spec = resolve_robot(own_robot if robot == "own" else robot)
    profile = spec.profile()
    assert profile.joint_names == spec.joint_names and profile.robot == spec.name
    parameters = yaml.safe_load(yaml.safe_dump(controller_parameters(spec)))
    assert parameters[CONTROLLER]["ros__parameters"]["joints"] == list(spec.joint_names)
    assert parameters[CONTROLLER]["ros__parameters"]["interface_name"] == (
        "position" if spec.actuation == "position" else "effort")
    assert controller_remaps()["joint_commands"] == f"/{CONTROLLER}/commands"
    artifact = new_artifact(NetworkSpec(layer_sizes=(profile.n_observations, 8, profile.n_actions),
                                        activations=("tanh", "tanh")), profile=profile, seed=1)
    core = ControllerCore(Policy(artifact, seed=1), SafetyConfig(soft_start_time=0.0, sensor_timeout=1e9))
    assert "previous_action" not in core.needed  # the controller supplies its own
    core.activate(0.0, seed=1)
    n = len(spec.joints)
    measurements = {"joint_position": np.asarray(spec.stand_pose), "joint_velocity": np.zeros(n),
                    "roll_pitch_yaw": np.zeros(3), "angular_velocity": np.zeros(3),
                    "foot_contact": np.ones(len(spec.feet)), "height_above_start": np.zeros(1),
                    "target_direction": np.array([0.0, 1.0]), "linear_velocity_body": np.zeros(3)}
    for step in range(3):
        command = core.update(0.02 * step, measurements, 0.02 * step)
        assert command.shape == (n,) and np.isfinite(command).all()
        low, high = np.array(spec.command_limits).T
        if spec.actuation == "position":
            assert (command >= low - 1e-12).all() and (command <= high + 1e-12).all()
    assert core.stats.policy_steps == 3
