"""robot_match: a model's profile against the robot it is about to drive (joints, actuation, measurements)."""

from __future__ import annotations

import pytest

from hebbkit.runtime import ANT28, ConfigError, generic_profile
from hebbkit.runtime.profile import ANT_JOINTS, proprio_profile
from hebbkit.runtime.robot_match import (
    RobotDescription,
    RobotMismatchError,
    check_robot_match,
    profile_mismatches,
)

SERVO_JOINTS = ("front_left_shoulder", "front_left_knee", "front_right_shoulder", "front_right_knee",
                "rear_left_shoulder", "rear_left_knee", "rear_right_shoulder", "rear_right_knee")
SERVO_LIMITS = ((-1.3, 1.3), (-0.52, 1.92)) * 4
SERVO_MEASUREMENTS = ("joint_position", "joint_velocity", "roll_pitch_yaw", "angular_velocity")
SERVO_ROBOT = RobotDescription(joint_names=SERVO_JOINTS, action_mode="position", measurements=SERVO_MEASUREMENTS)
SAFETY_NEEDS = ("joint_position", "joint_velocity", "roll_pitch_yaw")


def servo_profile(**changes):
    return proprio_profile(changes.pop("joint_names", SERVO_JOINTS), SERVO_LIMITS, **changes)


def test_the_servo_model_fits_the_servo_robot():
    assert profile_mismatches(servo_profile(), SERVO_ROBOT, SAFETY_NEEDS) == []
    check_robot_match(servo_profile(), SERVO_ROBOT, SAFETY_NEEDS)  # no error


def test_the_ant_torque_model_does_not_fit_the_servo_robot_and_every_reason_is_named():
    problems = profile_mismatches(ANT28, SERVO_ROBOT, SAFETY_NEEDS)
    assert len(problems) == 3
    joints, actuation, measurements = problems
    assert "hip_1" in joints and "front_left_shoulder" in joints
    assert actuation == "torque commands, the robot takes position commands"
    for key in ("height_above_start", "target_direction", "linear_velocity_body", "foot_contact"):
        assert key in measurements
    assert "joint_position" not in measurements.split("does not provide")[0]
    with pytest.raises(RobotMismatchError, match="profile 'ant28' does not fit this robot") as raised:
        check_robot_match(ANT28, SERVO_ROBOT, SAFETY_NEEDS)
    assert "\n" not in str(raised.value)  # one line for one log message
    assert isinstance(raised.value, ConfigError)


def test_joint_count_names_and_order_are_checked():
    four = RobotDescription(joint_names=SERVO_JOINTS[:4])
    assert profile_mismatches(servo_profile(), four) == [
        f"8 joints {list(SERVO_JOINTS)}, the robot has 4 {list(SERVO_JOINTS[:4])}"]
    swapped = RobotDescription(joint_names=(SERVO_JOINTS[1], SERVO_JOINTS[0], *SERVO_JOINTS[2:]))
    assert profile_mismatches(servo_profile(), swapped)[0].startswith("joints in the order")
    other = RobotDescription(joint_names=ANT_JOINTS)
    assert profile_mismatches(servo_profile(), other)[0].startswith("joints ['front_left_shoulder'")


def test_a_profile_without_joint_names_is_checked_by_its_action_count():
    assert profile_mismatches(generic_profile(4, 8), RobotDescription(joint_names=SERVO_JOINTS)) == []
    assert profile_mismatches(generic_profile(4, 3), RobotDescription(joint_names=SERVO_JOINTS)) == [
        "3 actions for a robot with 8 joints"]


def test_actuation_is_checked():
    torque_servo = servo_profile(action_mode="torque")
    assert profile_mismatches(torque_servo, RobotDescription(action_mode="position")) == [
        "torque commands, the robot takes position commands"]
    assert profile_mismatches(torque_servo, RobotDescription(action_mode="torque")) == []


def test_measurements_include_what_the_safety_layer_needs():
    no_imu = RobotDescription(measurements=("joint_position", "joint_velocity"))
    problems = profile_mismatches(servo_profile(), no_imu, SAFETY_NEEDS)
    assert problems == ["measurements ['roll_pitch_yaw', 'angular_velocity'] the robot does not provide (it provides "
                        "['joint_position', 'joint_velocity'])"]
    feet = servo_profile(foot_names=("fl", "fr", "rl", "rr"))
    assert "foot_contact" in profile_mismatches(feet, SERVO_ROBOT)[0]
    assert profile_mismatches(generic_profile(4, 8), RobotDescription(measurements=SERVO_MEASUREMENTS)) == [
        "an observation the robot cannot measure (the profile names no measurement sources)"]


def test_unknown_facts_are_not_checked():
    assert profile_mismatches(ANT28, RobotDescription()) == []


def test_a_description_with_unknown_values_is_refused():
    with pytest.raises(ConfigError, match="unknown measurements"):
        RobotDescription(measurements=("joint_position", "lidar"))
    with pytest.raises(ConfigError, match="action_mode should be one of"):
        RobotDescription(action_mode="pwm")


def test_the_robot_is_matched_by_the_profiles_explicit_field():
    from hebbkit.runtime.profile import robot_profile
    from hebbkit.runtime.robot_match import describe_robot

    servo = describe_robot(robot_profile("servo_quadruped", "proprio", "position"))
    assert servo == RobotDescription(joint_names=SERVO_JOINTS, action_mode="position",
                                     measurements=SERVO_MEASUREMENTS, robot="servo_quadruped")
    assert profile_mismatches(robot_profile("servo_quadruped", "proprio", "position"), servo, SAFETY_NEEDS) == []
    # the same joints and layout on another body: refused by the body, whatever the name says
    other = RobotDescription(robot="ant")
    assert profile_mismatches(robot_profile("servo_quadruped", "proprio", "position"), other) == [
        "the servo_quadruped body, this robot is the ant"]
    assert profile_mismatches(generic_profile(4, 8), other) == []  # a profile of no body: not checked
    assert "the ant body, this robot is the servo_quadruped" in profile_mismatches(ANT28, servo)[0]
