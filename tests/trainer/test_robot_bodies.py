"""The env's bodies come from robot files: the built-in ones simulate as the Python bodies did (the Ant's
pybullet_envs parity is tests/trainer/test_env_parity.py), the A1 stands on its PD law, its legs can be damaged,
and `previous_action` is the action the env last received."""

from __future__ import annotations

import dataclasses

import numpy as np
import pybullet as p
import pytest

from hebbkit.runtime.robot_file import resolve_robot
from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.envs.bodies import ANT, SERVO_QUADRUPED
from hebbkit.trainer.envs.robot_body import body_from_spec, body_of_robot, same_physics
from hebbkit.trainer.robot_check import bang_bang_excess


@pytest.mark.parametrize(("name", "body"), [("ant", ANT), ("servo_quadruped", SERVO_QUADRUPED)])
def test_built_in_files_give_the_python_bodies(name, body):
    from_file = body_of_robot(name)
    assert same_physics(from_file, body) == ["command_limits"]  # the file states the limits the model gives
    assert from_file.stand_pose == () and from_file.pd is None


def test_the_a1_stands_walks_its_pd_and_reports_its_previous_action():
    env = QuadrupedEnv(robot="unitree_a1", observation="proprio_contacts_action", actuation="position")
    try:
        observation, _ = env.reset(seed=0)
        assert observation.shape == (45,) and not observation[-12:].any()
        for _ in range(50):
            _, _, terminated, _, info = env.step(np.zeros(12, dtype=np.float32))
        assert not terminated and 0.25 < info["torso_position"][2] < 0.34
        assert env.last_measurements["foot_contact"].tolist() == [1.0] * 4
        action = np.linspace(-0.5, 0.5, 12).astype(np.float32)
        observation, *_ = env.step(action)
        assert np.array_equal(observation[-12:], action)
        assert np.allclose(env.last_measurements["previous_action"], action)
    finally:
        env.close()


# rear_left:motor:0.05 leaves that leg 1.7 N*m, less than standing needs (~4 N*m at the knee); 0.2 (6.7 N*m) holds
@pytest.mark.parametrize("body", ["front_left:lower:0.5", "front_right:upper:0", "rear_left:motor:0.05"])
def test_a1_bodies_can_be_damaged(body):
    nominal = QuadrupedEnv(robot="unitree_a1", actuation="position")
    damaged = QuadrupedEnv(robot="unitree_a1", morphology=body, actuation="position")
    try:
        heights = []
        for env in (nominal, damaged):
            env.reset(seed=0)
            for _ in range(60):
                _, _, _, _, info = env.step(np.zeros(12, dtype=np.float32))
            heights.append(info["torso_position"][2])
        assert heights[0] != heights[1] and heights[1] > 0.05
    finally:
        nominal.close()
        damaged.close()


# The A1's PD law by PyBullet's position motor at 5 ms physics steps (runtime/robots/unitree_a1.toml, docs/robots.md):
# stable, tracking as the law does, within the joint and torque limits. benchmarks/a1_actuator.py compares it with
# the law integrated at 0.1 ms.


def _a1(**options) -> QuadrupedEnv:
    return QuadrupedEnv(robot="unitree_a1", observation="proprio_contacts_action", actuation="position", **options)


def _joint_states(env: QuadrupedEnv) -> tuple[np.ndarray, np.ndarray]:
    states = p.getJointStates(env._robot, env._joint_indices, physicsClientId=env._client)
    return np.array([state[0] for state in states]), np.array([state[1] for state in states])


def test_the_a1_stands_ten_seconds_on_zero_actions_without_oscillating():
    env = _a1()
    try:
        env.reset(seed=3)
        heights, positions = [], []
        for _ in range(500):  # 10 s at 50 Hz
            _, _, terminated, truncated, info = env.step(np.zeros(12, dtype=np.float32))
            assert not terminated and not truncated
            heights.append(info["torso_position"][2])
            positions.append(_joint_states(env)[0])
        assert 0.29 < min(heights[250:]) <= max(heights[250:]) < 0.32
        assert np.ptp(heights[250:]) < 0.002 and np.ptp(positions[250:], axis=0).max() < 0.02
        assert np.abs(positions[-1] - np.array(env.profile.command_from_action(np.zeros(12)))).max() < 0.1  # sag
    finally:
        env.close()


@pytest.mark.parametrize("joint", [0, 1, 2])  # front right hip abduction, hip, knee
def test_an_a1_joint_tracks_a_step_as_its_pd_law_does_without_overshoot(joint):
    """Trunk held in the air: the joint follows the PD law's first-order lag, time constant kd / kp."""
    spec = resolve_robot("unitree_a1")
    env = _a1()
    try:
        env.reset(seed=0)
        c = env._client
        p.resetBasePositionAndOrientation(env._robot, (0, 0, 1), (0, 0, 0, 1), physicsClientId=c)
        p.createConstraint(env._robot, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (0, 0, 1), physicsClientId=c)
        stand = np.array(spec.stand_pose)
        low, high = np.array(spec.command_limits).T
        hold = (2 * (stand - low) / (high - low) - 1).astype(np.float32)
        for _ in range(25):
            env.step(hold)
        start = _joint_states(env)[0][joint]
        target = stand[joint] + 0.3
        action = hold.copy()
        action[joint] = 2 * (target - low[joint]) / (high[joint] - low[joint]) - 1
        rate = spec.joints[joint].kp / spec.joints[joint].kd
        trajectory = []
        for step in range(1, 51):
            env.step(action)
            trajectory.append(_joint_states(env)[0][joint])
            law = target - (target - start) * np.exp(-rate * step * env.dt)
            assert abs(trajectory[-1] - law) < 0.03
        assert max(trajectory) < target + 0.01 and abs(trajectory[-1] - target) < 0.01
    finally:
        env.close()


def test_the_a1_keeps_its_joint_limits_and_speed_limit_under_random_actions():
    env = _a1()
    try:
        env.reset(seed=1)
        rng = np.random.default_rng(1)
        worst_limit = worst_speed = 0.0
        for _ in range(400):
            _, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 12).astype(np.float32))
            _, dq = _joint_states(env)
            worst_limit = max(worst_limit, env.joint_limit_excess())
            worst_speed = max(worst_speed, float(np.abs(dq).max()))
            if terminated or truncated:
                env.reset()
        assert worst_limit < 0.02  # rad past a limit, at most (5 solver iterations let it reach 0.2)
        assert worst_speed < 21.0 * 1.5  # no motor drives past 21 rad/s; a fall may carry a joint a little beyond
    finally:
        env.close()


def test_the_a1_motor_honours_the_torque_limit_over_its_physics_substeps():
    """PyBullet caps a motor's impulse at force x the whole stepSimulation step (4 physics steps here): the env
    passes the limit / 4, so a joint driven from rest in zero gravity speeds up as the torque limit would drive it,
    not 4 times as fast."""
    spec = resolve_robot("unitree_a1")
    weak = dataclasses.replace(spec, joints=tuple(dataclasses.replace(joint, torque_limit=2.0, speed_limit=100.0)
                                                  for joint in spec.joints), torque_per_action=2.0)
    velocities = {}
    for actuation in ("position", "torque"):
        env = QuadrupedEnv(robot=body_from_spec(weak), observation="proprio", actuation=actuation)
        try:
            env.reset(seed=0)
            c = env._client
            p.setGravity(0, 0, 0, physicsClientId=c)
            p.resetBasePositionAndOrientation(env._robot, (0, 0, 1), (0, 0, 0, 1), physicsClientId=c)
            p.createConstraint(env._robot, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (0, 0, 1),
                               physicsClientId=c)
            q, _ = _joint_states(env)
            low, high = np.array(spec.command_limits).T
            action = np.clip(2 * (q - low) / (high - low) - 1, -1, 1).astype(np.float32)  # hold every joint
            action[0] = 1.0  # the front right hip abduction: full target (position), full torque (torque)
            if actuation == "torque":
                action[1:] = 0.0
            env.step(action)
            velocities[actuation] = _joint_states(env)[1][0]
        finally:
            env.close()
    assert velocities["torque"] > 0.5  # rad/s after 20 ms at 2 N*m
    assert velocities["position"] == pytest.approx(velocities["torque"], rel=0.15)


def _servo_knee_droop(load_torque: float) -> float:
    """The servo quadruped hung in the air, its front-left knee held at 1.4 rad with its lower leg weighted so that
    gravity pulls on the knee with `load_torque` (N*m): how far the knee sags (rad) in half a second."""
    env = QuadrupedEnv(robot="servo_quadruped", observation="proprio", actuation="position")
    try:
        env.reset(seed=0)
        c, robot, joints = env._client, env._robot, env._joint_indices
        p.resetBasePositionAndOrientation(robot, (0, 0, 1), (0, 0, 0, 1), physicsClientId=c)
        p.createConstraint(robot, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (0, 0, 1), physicsClientId=c)
        pose = np.zeros(len(joints))
        pose[1] = 1.4  # front_left_knee: the lower leg nearly horizontal
        for index, angle in zip(joints, pose, strict=True):
            p.resetJointState(robot, index, angle, 0.0, physicsClientId=c)
        centre, frame = p.getLinkState(robot, joints[1], physicsClientId=c)[0:5:4]
        lever = float(np.hypot(centre[0] - frame[0], centre[1] - frame[1]))
        p.changeDynamics(robot, joints[1], mass=load_torque / (9.81 * lever), physicsClientId=c)
        low, high = np.array(env.profile.joint_limits).T
        hold = np.clip(2 * (pose - low) / (high - low) - 1, -1, 1).astype(np.float32)
        for _ in range(25):
            env.step(hold)
        return 1.4 - p.getJointState(robot, joints[1], physicsClientId=c)[0]
    finally:
        env.close()


def test_the_servo_holds_a_load_below_its_stall_torque_and_yields_above_it():
    """PyBullet caps a motor's impulse at force x the whole stepSimulation step in each of the 4 physics steps it
    spans: the servo's force was its stall torque, so it held four times the load a 0.25 N*m servo can."""
    stall = SERVO_QUADRUPED.servo.stall_torque
    assert abs(_servo_knee_droop(0.7 * stall)) < 0.05
    assert _servo_knee_droop(1.5 * stall) > 0.3


def test_joint_limit_excess_is_how_far_the_joint_furthest_past_a_limit_stands_beyond_it():
    env = QuadrupedEnv(robot="servo_quadruped", observation="proprio", actuation="position")
    try:
        env.reset(seed=0)
        assert env.joint_limit_excess() == 0.0
        lower = env._joint_limits[1][0]
        p.resetJointState(env._robot, env._joint_indices[1], lower - 0.3, physicsClientId=env._client)
        assert env.joint_limit_excess() == pytest.approx(0.3)
        p.resetJointState(env._robot, env._joint_indices[3], env._joint_limits[3][1] + 0.5,
                          physicsClientId=env._client)
        assert env.joint_limit_excess() == pytest.approx(0.5)
    finally:
        env.close()


@pytest.mark.parametrize("robot, observation, bound", [
    # rad, worst of seeds 0-2 on the standard body and both front legs damaged. The servo at 5 ms physics steps and 5
    # solver iterations: 0.7-1.25; at 5 ms and 50 iterations up to 0.23 (seeds 0-9); now (2.5 ms, 50) 0.10.
    # The A1 with 10 iterations: 0.60 on damaged_right_front (seeds 0-9); now (50) 0.012. (docs/envs.md, "Joint limits")
    ("servo_quadruped", "proprio", 0.15), ("unitree_a1", "proprio_contacts_action", 0.05)])
@pytest.mark.parametrize("morphology", ["standard", "damaged_right_front", "damaged_left_front"])
def test_bang_bang_actions_keep_the_position_robots_near_their_joint_limits(robot, observation, bound, morphology):
    env = QuadrupedEnv(robot=robot, observation=observation, actuation="position", morphology=morphology)
    try:
        worst = max(bang_bang_excess(env, seed, steps=1000) for seed in range(3))
    finally:
        env.close()
    assert worst < bound
