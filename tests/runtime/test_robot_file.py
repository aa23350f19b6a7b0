"""Robot files: the built-in robots read from them equal the constants they replaced; the Unitree A1 carries its
published numbers; a broken file is one line naming the file and what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime.errors import RobotFileError
from hebbkit.runtime.profile import (
    ANT_FEET,
    ANT_JOINT_LIMITS,
    ANT_JOINTS,
    ANT_TORQUE_PER_ACTION,
    ROBOTS,
    SERVO_FEET,
    SERVO_JOINTS,
    SERVO_KNEE_LIMITS,
    SERVO_SHOULDER_LIMITS,
    SERVO_STALL_TORQUE,
)
from hebbkit.runtime.robot_file import builtin_robot_names, load_robot_file, resolve_robot, urdf_joint_limits


def test_robots_reads_the_files_and_they_equal_the_constants():
    assert sorted(ROBOTS) == list(builtin_robot_names()) == ["ant", "servo_quadruped", "unitree_a1"]
    ant, servo = ROBOTS["ant"], ROBOTS["servo_quadruped"]
    assert (ant.joint_names, ant.joint_limits, ant.foot_names, ant.torque_per_action) == (
        ANT_JOINTS, ANT_JOINT_LIMITS, ANT_FEET, ANT_TORQUE_PER_ACTION)
    assert (servo.joint_names, servo.joint_limits, servo.foot_names, servo.torque_per_action) == (
        SERVO_JOINTS, (SERVO_SHOULDER_LIMITS, SERVO_KNEE_LIMITS) * 4, SERVO_FEET, SERVO_STALL_TORQUE)


def test_the_a1_file_has_the_published_numbers_and_a_real_robots_observation():
    a1 = resolve_robot("unitree_a1")
    assert len(a1.joints) == 12 and a1.joint_names[:3] == ("FR_hip_joint", "FR_upper_joint", "FR_lower_joint")
    assert [joint.role for joint in a1.joints[:3]] == ["hip_abduction", "hip", "knee"]
    # Unitree's ranges in degrees (unitree_ros const.xacro: hip +-46, thigh -60..240, calf -154.5..-52.5), which are
    # the A1 URDF's <limit> tags (the SDK's a1_const.h rounds them, three of its six outwards)
    degrees = ((-46.0, 46.0), (-60.0, 240.0), (-154.5, -52.5))
    assert np.allclose(np.degrees(a1.joint_limits[:3]), degrees, atol=1e-9)
    assert a1.joint_limits[:3] == tuple(urdf_joint_limits(a1.model)[name] for name in a1.joint_names[:3])
    assert {joint.torque_limit for joint in a1.joints} == {33.5} and {j.speed_limit for j in a1.joints} == {21.0}
    assert [(joint.kp, joint.kd) for joint in a1.joints[:3]] == [(60.0, 5.0), (40.0, 4.0), (80.0, 7.0)]
    assert a1.actuation == "position" and a1.actuator == "pd" and a1.pd_solver == "motor"
    assert (a1.physics_substeps, a1.solver_iterations) == (4, 50)  # 5 ms physics steps (docs/robots.md)
    for (lower, upper), (low, high), stand in zip(a1.joint_limits, a1.command_limits, a1.stand_pose, strict=True):
        assert lower <= low < stand < high <= upper
    profile = a1.profile(check=True)
    sources = {key for key, _ in profile.observation_sources}
    assert sources == {"joint_position", "joint_velocity", "roll_pitch_yaw", "angular_velocity", "foot_contact",
                       "previous_action"}  # no sim-only quantity
    assert profile.n_observations == 12 * 3 + 2 + 3 + 4


BASE = """name = "bot"
model = "bot.urdf"
feet = ["foot"]
[[joints]]
name = "knee"
lower = -1.0
upper = 1.0
"""


@pytest.mark.parametrize(("text", "message"), [
    ("name = ", "not valid TOML"),
    (BASE.replace('name = "bot"\n', ""), "missing key 'name'"),
    (BASE.replace("lower = -1.0", "lower = 2.0"), "limits inverted"),
    (BASE.replace('model = "bot.urdf"', 'model = "bot.urdf"\ngenerator = "servo_quadruped"'), "either model"),
    (BASE + "[actuation]\nmode = \"velocity\"\n", "actuation.mode should be one of"),
    (BASE + "[observation]\nlayout = \"proprio_contacts\"\noffers = [\"joint_position\"]\n", "does not offer"),
    (BASE.replace('name = "knee"', 'name = "knee"\nstand = 3.0'), "outside the limits"),
    (BASE + "[legs.middle]\nupper = \"x\"\n", "unknown leg"),
    (BASE + "[control]\nphysics_substep = 4\n", r"\[control\]: unknown keys \['physics_substep'\]"),
    (BASE + "[actuation]\nmodel = \"pd\"\npd_solver = \"implicit\"\n", "pd_solver should be one of"),
    (BASE.replace('upper = 1.0', 'upper = 1.0\nkp = 10.0') + "[actuation]\nmodel = \"pd\"\npd_solver = \"motor\"\n",
     "needs kd > 0"),
])
def test_a_broken_robot_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "bot.toml"
    path.write_text(text)
    with pytest.raises(RobotFileError, match=message) as caught:
        load_robot_file(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    (BASE.replace("lower = -1.0", 'lower = "wide"'), r"lower should be a finite number, found 'wide'$"),
    (BASE + "[control]\nperiod = 5.0\n", r"control.period should be a finite number within \[0.0001, 1\], found 5.0$"),
    (BASE + "[actuation]\ntorque_limit = -2.0\n", r"torque_limit should be a finite number >= 0, found -2.0$"),
])
def test_a_bad_number_names_its_bounds_only_when_it_has_some(tmp_path, text, message):
    path = tmp_path / "bot.toml"
    path.write_text(text)
    with pytest.raises(RobotFileError, match=message) as caught:
        load_robot_file(path)
    assert "inf" not in str(caught.value)


def test_unknown_names_list_the_built_in_robots():
    with pytest.raises(RobotFileError, match=r"unknown robot 'dog'; expected one of \['ant', 'servo_quadruped'"):
        resolve_robot("dog")
