"""What a CarRacing driver does with its actions, episode by episode, on Gymnasium's CarRacing-v3.

    .venv/bin/python experiments/carracing_actions.py runs/carracing-diagonal/latest.npz --episodes 5 --seed 1000

Prints, per episode (the training protocol: stop after 20 steps of negative reward, or when the car leaves the
playfield): the score, the steps driven, the mean steering, its mean magnitude, the share of steps on which the
steering changed sign (a car that dithers left-right-left to drive straight shows ~1.0), and the mean gas and brake.
Use seeds training never drew (it draws 32-bit seeds, so small ones are practically unseen).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from hebbkit.runtime import load_artifact
from hebbkit.runtime.policy import Policy
from hebbkit.trainer.fitness import FitnessProtocol, cached_env, episode_ends


@dataclass(frozen=True)
class ActionSummary:
    """One episode's score and action statistics."""

    seed: int
    score: float
    steps: int
    steer_mean: float
    steer_magnitude: float
    steer_sign_flips: float
    gas_mean: float
    brake_mean: float


def summarise_episode(artifact_path: str, seed: int, max_steps: int = 1000) -> ActionSummary:
    """Drive one episode of the artifact from `seed` (env and initial weights) and summarise its actions."""
    artifact = load_artifact(artifact_path)
    protocol = FitnessProtocol.carracing(max_steps)
    env = cached_env(protocol, "standard")
    policy = Policy(artifact, "numpy", seed=seed)
    observation, _ = env.reset(seed=seed)
    actions, score, negative_streak, step = [], 0.0, 0, 0
    for step in range(1, max_steps + 1):
        action = policy.step(observation)
        actions.append(np.array(action, dtype=np.float64))
        observation, reward, terminated, truncated, _ = env.step(action)
        score += float(reward)
        negative_streak = negative_streak + 1 if reward < 0 else 0
        if episode_ends(protocol, step, terminated, truncated, negative_streak):
            break
    taken = np.array(actions)
    steer = taken[:, 0]
    flips = float(np.mean(np.sign(steer[1:]) != np.sign(steer[:-1]))) if len(steer) > 1 else 0.0
    return ActionSummary(seed, score, step, float(steer.mean()), float(np.abs(steer).mean()), flips,
                         float(taken[:, 1].mean()), float(taken[:, 2].mean()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("artifact", help="a CarRacing driver (.npz), e.g. RUN/latest.npz or a snapshot")
    parser.add_argument("--episodes", type=int, default=5, help="episodes, from --seed on")
    parser.add_argument("--seed", type=int, default=1000, help="first episode's seed")
    parser.add_argument("--max-steps", type=int, default=1000, help="steps per episode at most")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.max_steps < 1:
        parser.error("--episodes and --max-steps must be >= 1")
    print(f"{'seed':>6} {'score':>8} {'steps':>5} {'steer':>6} {'|steer|':>7} {'flips':>5} {'gas':>5} {'brake':>5}")
    for seed in range(args.seed, args.seed + args.episodes):
        s = summarise_episode(args.artifact, seed, args.max_steps)
        print(f"{s.seed:>6} {s.score:>8.1f} {s.steps:>5} {s.steer_mean:>+6.2f} {s.steer_magnitude:>7.2f} "
              f"{s.steer_sign_flips:>5.2f} {s.gas_mean:>5.2f} {s.brake_mean:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
