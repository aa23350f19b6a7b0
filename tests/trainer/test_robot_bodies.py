"""The env's bodies come from robot files: the built-in ones simulate as the Python bodies did (the Ant's
pybullet_envs parity is tests/trainer/test_env_parity.py), the A1 stands on its PD law, its legs can be damaged,
and `previous_action` is the action the env last received."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.envs.bodies import ANT, SERVO_QUADRUPED
from hebbkit.trainer.envs.robot_body import body_of_robot, same_physics


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


@pytest.mark.parametrize("body", ["front_left:lower:0.5", "front_right:upper:0", "rear_left:motor:0.2"])
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
