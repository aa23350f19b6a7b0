"""Parity with pybullet_envs' AntBulletEnv-v0: the same seeds and action sequences, replayed against trajectories
recorded from the original (tests/data/record_pybullet_envs_reference.py; it needs the old `gym`, so the
recording is stored rather than rerun).

One deliberate difference: in a fresh pybullet_envs env the very first reset computes the progress potential before
the floor has joined the robot's parts (its x, y are averaged over 21 parts instead of 22), so the first step of
the first episode of a process reports a progress about 0.003 off. hebbkit averages the same 22 parts every time;
the tests below exempt that single value (run "zero", step 1) and hold everything else to float precision.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hebbkit.trainer.envs import QuadrupedEnv

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "ant_pybullet_envs_reference.npz"
FIRST_RUN = "zero"
TERMS = ("alive", "progress", "electricity_cost", "joints_at_limit_cost", "feet_collision_cost")


@pytest.fixture(scope="module")
def replay():
    """Replay every recorded run in one env instance, in the recorded order (as the recording did)."""
    reference = np.load(REFERENCE)
    runs = sorted({key.split("/")[0] for key in reference.files if "/" in key},
                  key=lambda name: int(reference[f"{name}/seed"]))
    env = QuadrupedEnv()
    results = {}
    for name in runs:
        observations, rewards, terms = [env.reset(seed=int(reference[f"{name}/seed"]))[0]], [], []
        for action in reference[f"{name}/actions"]:
            observation, reward, terminated, _, info = env.step(action)
            observations.append(observation)
            rewards.append(reward)
            terms.append([info[term] for term in TERMS])
            if terminated:
                break
        results[name] = (np.array(observations), np.array(rewards), np.array(terms))
    return reference, results


def test_every_run_has_the_originals_length_and_return(replay):
    reference, results = replay
    assert len(results) == 10
    for name, (_, rewards, _) in results.items():
        expected = reference[f"{name}/rewards"]
        assert len(rewards) == len(expected), name
        tolerance = 5e-3 if name == FIRST_RUN else 1e-3
        assert rewards.sum() == pytest.approx(expected.sum(), abs=tolerance), name


def test_observations_match_step_by_step(replay):
    reference, results = replay
    for name, (observations, _, _) in results.items():
        np.testing.assert_allclose(observations, reference[f"{name}/observations"], rtol=0, atol=1e-5, err_msg=name)


def test_every_reward_term_matches_step_by_step(replay):
    reference, results = replay
    for name, (_, rewards, terms) in results.items():
        expected_terms, expected_rewards = reference[f"{name}/terms"], reference[f"{name}/rewards"]
        if name == FIRST_RUN:  # the original's first-episode quirk, see the module docstring
            assert abs(terms[0, 1] - expected_terms[0, 1]) < 5e-3
            terms, expected_terms = terms[1:], expected_terms[1:]
            rewards, expected_rewards = rewards[1:], expected_rewards[1:]
        np.testing.assert_allclose(terms, expected_terms, rtol=0, atol=1e-4, err_msg=name)
        np.testing.assert_allclose(rewards, expected_rewards, rtol=0, atol=1e-4, err_msg=name)
