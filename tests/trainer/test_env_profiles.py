"""The env trains with the runtime's profile of each built-in robot: same joints, limits (as PyBullet reads the
model), observation layout and actuation, so the bridge and the ROS nodes can use the runtime's copy."""

from __future__ import annotations

import pytest

from hebbkit.runtime import ANT28
from hebbkit.runtime.profile import (
    ROBOTS,
    SERVO_FEET,
    SERVO_JOINTS,
    SERVO_KNEE_LIMITS,
    SERVO_SHOULDER_LIMITS,
    SERVO_STALL_TORQUE,
    robot_profile,
)
from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.envs.bodies import SERVO_QUADRUPED, ServoQuadrupedParameters


@pytest.mark.parametrize("robot", sorted(ROBOTS))
@pytest.mark.parametrize("observation", ["ant28", "proprio", "proprio_contacts"])
@pytest.mark.parametrize("actuation", ["torque", "position"])
def test_env_profile_is_the_runtime_profile(robot, observation, actuation):
    env = QuadrupedEnv(robot=robot, observation=observation, actuation=actuation)
    try:
        assert env.profile == robot_profile(robot, observation, actuation)
    finally:
        env.close()


def test_servo_constants_match_the_body():
    parameters = ServoQuadrupedParameters()
    assert SERVO_QUADRUPED.joint_names == SERVO_JOINTS and SERVO_QUADRUPED.foot_links == SERVO_FEET
    assert SERVO_QUADRUPED.torque_per_action == SERVO_STALL_TORQUE
    assert SERVO_SHOULDER_LIMITS == tuple(float(f"{x:.9g}") for x in parameters.shoulder_range)
    assert SERVO_KNEE_LIMITS == tuple(float(f"{x:.9g}") for x in parameters.knee_range)


def test_the_standard_ant_profile_is_ant28():
    assert robot_profile("ant", "ant28", "torque") == ANT28
