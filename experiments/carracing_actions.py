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

from hebbkit.runtime import PolicyArtifact, load_artifact
from hebbkit.runtime.policy import Policy
from hebbkit.trainer.fitness import FitnessProtocol, run_episode


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


class RecordingPolicy:
    """A `Policy` that keeps every action it returns (what `run_episode` needs of a policy: reset and step)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.actions: list[np.ndarray] = []

    def reset(self, seed: int) -> None:
        self.policy.reset(seed)
        self.actions.clear()

    def step(self, observation: np.ndarray) -> np.ndarray:
        action = self.policy.step(observation)
        self.actions.append(np.array(action, dtype=np.float64))
        return action


def summarise_episode(artifact: PolicyArtifact, seed: int, max_steps: int = 1000) -> ActionSummary:
    """Drive one episode of the artifact from `seed` (env and initial weights) under the training protocol, the
    episode loop of training itself (`run_episode`), and summarise its actions."""
    recorder = RecordingPolicy(Policy(artifact, "numpy", seed=seed))
    result = run_episode(artifact, FitnessProtocol.carracing(max_steps), "standard", seed, policy=recorder)
    taken = np.array(recorder.actions)
    steer = taken[:, 0]
    flips = float(np.mean(np.sign(steer[1:]) != np.sign(steer[:-1]))) if len(steer) > 1 else 0.0
    return ActionSummary(seed, result.fitness, result.steps, float(steer.mean()), float(np.abs(steer).mean()), flips,
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
    artifact = load_artifact(args.artifact)
    for seed in range(args.seed, args.seed + args.episodes):
        s = summarise_episode(artifact, seed, args.max_steps)
        print(f"{s.seed:>6} {s.score:>8.1f} {s.steps:>5} {s.steer_mean:>+6.2f} {s.steer_magnitude:>7.2f} "
              f"{s.steer_sign_flips:>5.2f} {s.gas_mean:>5.2f} {s.brake_mean:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
