"""Does the physics engine's version change the Ant? Replays the stored AntBulletEnv-v0 reference (pybullet 3.2.7)
on whatever pybullet this interpreter imports and says where the trajectories part.

Paper test T3 (docs/experiments.md, "Why `ant-paper` is below the paper"): the seed code ran pybullet==2.6.6, which
has no wheel for Python 3.11 and builds from source (about 10 minutes on 2 cores), in a throwaway venv, never hebbkit's:

    python3.11 -m venv /tmp/pb266 && /tmp/pb266/bin/pip install numpy==1.26.4 setuptools wheel
    /tmp/pb266/bin/pip install --no-build-isolation pybullet==2.6.6
    /tmp/pb266/bin/pip install "gymnasium>=1.0" tqdm pillow "matplotlib<3.10"
    git archive HEAD | (mkdir /tmp/hk && tar -x -C /tmp/hk) && /tmp/pb266/bin/pip install --no-deps /tmp/hk
    /tmp/pb266/bin/python experiments/engine_check.py
    /tmp/pb266/bin/hebbkit eval models/ant-paper/model.npz --bodies standard --episodes 100 --backend numpy

`QuadrupedEnv` loads ant.xml from the installed pybullet_data, so the old engine runs with its own assets, as the
seed code did. Per recorded run (the parity test's: zero, uniform random and sinusoidal actions from fixed seeds) it
prints the steps each engine lasted, the summed progress (the fitness the ES sees), the first step whose
observation differs by more than 1e-5, and the largest observation difference over the common steps.

`--pairs default` leaves pybullet's overlapping-pair order at its default, as pybullet_envs 2.6.6 did (3.2.7's
pybullet_envs, and hebbkit, set `deterministicOverlappingPairs=1`); compare it with a recording made by
`tests/data/record_pybullet_envs_reference.py` on 2.6.6 (`--reference`). `--eval ARTIFACT` also scores a model on
the standard body in this process, under the same engine and pair order (seeds 0, 1, ...; hebbkit eval's episode).
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pybullet

from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.episodes import EpisodeTask, run_task, summarise

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "ant_pybullet_envs_reference.npz"
PROGRESS_TERM = 1  # index of "progress" in the recording's reward terms

if not hasattr(pybullet, "URDF_GOOGLEY_UNDEFINED_COLORS"):  # newer than 2.6.6; it only colours visuals, no physics
    pybullet.URDF_GOOGLEY_UNDEFINED_COLORS = 0


def leave_pair_order_at_default() -> None:
    """Make every later `setPhysicsEngineParameter` call drop `deterministicOverlappingPairs`, as 2.6.6's envs did."""
    original = pybullet.setPhysicsEngineParameter

    def without_pair_order(*args, **kwargs):
        kwargs.pop("deterministicOverlappingPairs", None)
        return original(*args, **kwargs)

    pybullet.setPhysicsEngineParameter = without_pair_order


def replay(env: QuadrupedEnv, seed: int, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The observations (reset first) and the progress of every step of one recorded action sequence."""
    observations, progress = [env.reset(seed=seed)[0]], []
    for action in actions:
        observation, _, terminated, _, info = env.step(action)
        observations.append(observation)
        progress.append(info["progress"])
        if terminated:
            break
    return np.array(observations), np.array(progress)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the recording (default: pybullet 3.2.7)")
    parser.add_argument("--pairs", choices=("deterministic", "default"), default="deterministic",
                        help="overlapping-pair order: hebbkit's and 3.2.7's (deterministic) or 2.6.6's (default)")
    parser.add_argument("--eval", type=Path, help="also score this artifact on the standard body")
    parser.add_argument("--episodes", type=int, default=100, help="episodes for --eval")
    args = parser.parse_args()
    if args.pairs == "default":
        leave_pair_order_at_default()
    reference = np.load(args.reference)
    runs = sorted({key.split("/")[0] for key in reference.files if "/" in key},
                  key=lambda name: int(reference[f"{name}/seed"]))
    env = QuadrupedEnv()
    print(f"pybullet {version('pybullet')} (API version {pybullet.getAPIVersion()}), {args.pairs} pair order, "
          f"against {args.reference.name}")
    print("| run | steps (this engine / reference) | progress (this engine / reference) | first step off by > 1e-5 "
          "| largest observation difference |")
    print("|---|---|---|---|---|")
    for name in runs:
        observations, progress = replay(env, int(reference[f"{name}/seed"]), reference[f"{name}/actions"])
        expected = reference[f"{name}/observations"]
        expected_progress = reference[f"{name}/terms"][:, PROGRESS_TERM]
        common = min(len(observations), len(expected))
        difference = np.abs(observations[:common] - expected[:common]).max(axis=1)
        off = np.flatnonzero(difference > 1e-5)
        first_off = str(int(off[0])) if off.size else "none"
        print(f"| {name} | {len(progress)} / {len(expected_progress)} | {progress.sum():.2f} / "
              f"{expected_progress.sum():.2f} | {first_off} | {difference.max():.2e} |")
    if args.eval:
        summary = summarise([run_task(EpisodeTask(str(args.eval), "standard", seed)) for seed in range(args.episodes)])
        print(f"{args.eval}: {summary['distance_mean']:.1f} +- {summary['distance_std']:.1f} over {args.episodes} "
              "episodes on the standard body (seeds 0 on)")


if __name__ == "__main__":
    main()
