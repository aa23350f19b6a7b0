"""Score an Ant artifact in pybullet_envs' own AntBulletEnv, the env the seed code trained in, on whatever pybullet
this interpreter has (paper test T3, docs/experiments.md).

hebbkit's evaluation episode (`hebbkit eval`, no early stop): 40 zero-action steps, then the policy, fresh random
weights from the episode's seed; the distance is the summed progress over 1,000 env steps; a fall does not end the
episode. Only the env differs: pybullet_envs' `AntBulletEnv` seeded with `env.seed(seed)`, instead of hebbkit's
`QuadrupedEnv`. pybullet_envs needs the old `gym`, so this runs in a throwaway venv (engine_check.py's, with
`pip install "gym==0.26.2"`):

    /tmp/pb266/bin/python experiments/seed_env_eval.py models/ant-paper/model.npz --episodes 100

On pybullet 3.2.7 the episodes equal `hebbkit eval`'s (the env parity of docs/envs.md); on 2.6.6 they show what
the seed code's engine and env do with the same rules.
"""

from __future__ import annotations

import argparse
from importlib.metadata import version

import gym.envs.registration as registration
import numpy as np

from hebbkit.runtime import load_policy


class _Registry(dict):  # pybullet_envs' __init__ expects gym < 0.26's registry object
    env_specs = property(lambda self: self)


registration.registry = _Registry(registration.registry)
from pybullet_envs.gym_locomotion_envs import AntBulletEnv  # noqa: E402

BURN_IN = 40
MAX_STEPS = 1000
PROGRESS_TERM = 1  # index of "progress" in pybullet_envs' env.rewards


def episode(env: AntBulletEnv, policy, seed: int) -> float:
    """Summed progress of one episode after burn-in, hebbkit eval's protocol."""
    policy.reset(seed)
    env.seed(seed)
    observation = env.reset()
    distance = 0.0
    for step in range(1, MAX_STEPS + 1):
        if step <= BURN_IN:
            observation, _, _, _ = env.step(np.zeros(8, dtype=np.float32))
            continue
        observation, _, _, _ = env.step(policy.step(np.asarray(observation, dtype=np.float32)))
        distance += float(env.rewards[PROGRESS_TERM])
    return distance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifact", help="an Ant policy artifact (.npz)")
    parser.add_argument("--episodes", type=int, default=100, help="episodes, seeds --seed, --seed+1, ...")
    parser.add_argument("--seed", type=int, default=0, help="first episode's seed (hebbkit eval's default)")
    args = parser.parse_args()
    policy = load_policy(args.artifact, backend="numpy")
    env = AntBulletEnv()
    distances = np.array([episode(env, policy, args.seed + index) for index in range(args.episodes)])
    print(f"pybullet {version('pybullet')}, pybullet_envs' AntBulletEnv: {args.artifact} {distances.mean():.1f} +- "
          f"{distances.std():.1f} over {args.episodes} episodes (seeds {args.seed}-{args.seed + args.episodes - 1})")
    print("per episode: " + ", ".join(f"{d:.1f}" for d in distances[:10]) + (" ..." if args.episodes > 10 else ""))


if __name__ == "__main__":
    main()
