"""Record reference trajectories of pybullet_envs' AntBulletEnv-v0 for the parity test of `hebbkit/AntBullet-v0`.

pybullet_envs needs the abandoned `gym` package, so this runs in a throwaway environment of its own, never in
hebbkit's:

    python3.11 -m venv /tmp/gym-env
    /tmp/gym-env/bin/pip install "gym==0.26.2" "pybullet==3.2.7" "numpy<2" "setuptools<70"
    /tmp/gym-env/bin/python tests/data/record_pybullet_envs_reference.py tests/data/ant_pybullet_envs_reference.npz

It plays fixed action sequences (zeros, uniform random, sinusoids) from fixed seeds in one env instance and stores,
per run, the seed, the actions, every observation, reward and reward term, and the steps per second it managed.
"""

import sys
import time

import gym.envs.registration as registration
import numpy as np


class _Registry(dict):  # pybullet_envs' __init__ expects gym < 0.26's registry object
    env_specs = property(lambda self: self)


registration.registry = _Registry(registration.registry)
from pybullet_envs.gym_locomotion_envs import AntBulletEnv  # noqa: E402

STEPS = 1000


def sequences(rng: np.random.Generator) -> dict[str, np.ndarray]:
    runs = {"zero": np.zeros((STEPS, 8))}
    for index in range(8):
        runs[f"random{index}"] = rng.uniform(-1, 1, (STEPS, 8))
    time_index = np.arange(STEPS)[:, None]
    runs["sine"] = np.sin(0.1 * time_index * (np.arange(8) + 1) / 4 + np.arange(8))
    return runs


def main(out: str) -> None:
    env = AntBulletEnv()
    record = {}
    for run, (name, actions) in enumerate(sequences(np.random.default_rng(123)).items()):
        seed = 1000 + run
        env.seed(seed)
        observations, rewards, terms = [env.reset()], [], []
        for action in actions.astype(np.float32):
            observation, reward, done, _ = env.step(action)
            observations.append(observation)
            rewards.append(reward)
            terms.append(list(env.rewards))
            if done:
                break
        record[f"{name}/seed"] = np.array(seed)
        record[f"{name}/actions"] = actions.astype(np.float32)
        record[f"{name}/observations"] = np.array(observations, dtype=np.float32)
        record[f"{name}/rewards"] = np.array(rewards)
        record[f"{name}/terms"] = np.array(terms)
        print(f"{name}: {len(rewards)} steps, return {sum(rewards):.2f}, progress {np.array(terms)[:, 1].sum():.2f}")
    env.seed(0)
    env.reset()
    actions = np.random.default_rng(0).uniform(-1, 1, (5000, 8)).astype(np.float32)
    start = time.perf_counter()
    for action in actions:
        if env.step(action)[2]:
            env.reset()
    record["steps_per_second"] = np.array(len(actions) / (time.perf_counter() - start))
    print(f"{float(record['steps_per_second']):.0f} steps/s with random actions (resets included)")
    np.savez_compressed(out, **record)


if __name__ == "__main__":
    main(sys.argv[1])
