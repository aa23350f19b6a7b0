"""Evaluation episodes of a shipped artifact, one per task, spread over a process pool.

Both `hebbkit eval` and the sim-to-real suite describe their work as `EpisodeTask`s and hand them to
`run_episodes`. Every task carries its own seed (env and initial weights), so an episode's result does not depend on
which worker ran it or on what that worker ran before: the pool returns exactly what one process would (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hebbkit.runtime.errors import ConfigError

from .pool import process_pool


@dataclass(frozen=True)
class EpisodeTask:
    """One episode: the artifact at `path` on `morphology` under `perturbations`, from `seed`."""

    path: str
    morphology: str
    seed: int
    max_steps: int = 1000
    burn_in: int = 40
    perturbations: dict = field(default_factory=dict)
    early_stop: bool = False
    backend: str = "numpy"
    record_curve: bool = False
    carracing_env: str = "gymnasium"  # CarRacing only: "gymnasium" (the reference) or "envpool"
    robot: str = ""  # a robot file for an artifact of a robot that is not built in ("": the artifact's robot)


def artifact_robot(profile, robot: str | None = None) -> str:
    """What the envs simulate for an artifact's profile: its built-in robot's name, or the robot file `robot`
    (a name or a path), which must describe the artifact's robot. ConfigError otherwise, in one line."""
    from hebbkit.runtime.robot_file import builtin_robot_names, resolve_robot, robot_file_path

    if not robot:
        if profile.robot not in builtin_robot_names():
            raise ConfigError(f"the artifact drives robot {profile.robot!r}, which is not built in: give its robot "
                              "file with --robot FILE")
        return profile.robot
    spec = resolve_robot(robot)
    if spec.name != profile.robot:
        raise ConfigError(f"the artifact was trained for robot {profile.robot!r}, the robot file {robot} describes "
                          f"{spec.name!r}")
    return str(robot_file_path(robot)) if spec.name not in builtin_robot_names() else spec.name


def protocol_for(artifact, morphologies: tuple[str, ...], max_steps: int, burn_in: int, early_stop: bool,
                 perturbations: dict | None = None, robot: str | None = None):
    """The evaluation protocol for an artifact: robot, observation and actuation read from its profile (`robot`:
    the robot file of a robot that is not built in, see `artifact_robot`)."""
    from .fitness import FitnessProtocol

    profile = artifact.profile
    if artifact.network.frontend is not None:  # pixels: CarRacing
        return FitnessProtocol.carracing(max_steps, early_stop=early_stop)
    if not profile.robot or not profile.observation:
        raise ConfigError(f"profile {profile.name!r} names no robot and observation layout the envs simulate")
    return FitnessProtocol(robot=artifact_robot(profile, robot), observation=profile.observation,
                           actuation=profile.actuation,
                           morphologies=tuple(morphologies), max_steps=max_steps, burn_in_steps=burn_in,
                           early_stop_after=200 if early_stop else max_steps, perturbations=dict(perturbations or {}))


def run_task(task: EpisodeTask) -> dict:
    """Worker: one episode; distance (summed progress), steps, walk and cruise steps and, if asked, the distance
    curve."""
    from hebbkit.runtime import Policy, load_artifact

    from .fitness import run_episode

    artifact = load_artifact(task.path)
    protocol = protocol_for(artifact, (task.morphology,), task.max_steps, task.burn_in, task.early_stop,
                            perturbations=task.perturbations, robot=task.robot or None)
    curve: list[float] = []  # always traced (the cruise step needs it); returned only if asked
    policy = Policy(artifact, task.backend, seed=task.seed)
    env = None
    if task.carracing_env == "envpool":
        from .envs.carracing_pool import CarRacingPoolEnv

        env = CarRacingPoolEnv(task.max_steps)
    try:
        result = run_episode(artifact, protocol, task.morphology, task.seed, policy=policy, record_distance=curve,
                             env=env, track_joint_limits=artifact.network.frontend is None)
    finally:
        if env is not None:
            env.close()
    return {"seed": task.seed, "distance": result.fitness, "steps": result.steps, "walk_step": result.walk_step,
            "cruise_step": episode_cruise_step(result.steps, task.max_steps, curve),
            "joint_limit_excess": result.joint_limit_excess, "curve": curve if task.record_curve else None}


CRUISE_WINDOW = 100
CRUISE_SHARE = 0.9


def cruise_step(curve: list[float], window: int = CRUISE_WINDOW, share: float = CRUISE_SHARE) -> int | None:
    """Policy steps until the robot first moves at `share` of its cruise speed: the end of the first `window`-step
    stretch whose progress reaches `share` x the mean progress per step over the episode's second half (its cruise).
    `curve` is the summed progress after each policy step of a full-length episode. None when the episode is
    shorter than two windows or its second half does not go forward. Walking starts earlier (`walk_step`: a low
    speed threshold); this is when the gait has reached the speed it keeps."""
    progress = np.asarray(curve, dtype=float)
    if len(progress) < 2 * window:
        return None
    half = len(progress) // 2
    cruise = (progress[-1] - progress[half - 1]) / (len(progress) - half)
    if not cruise > 0:
        return None
    after = np.concatenate([[0.0], progress])  # after[k]: the progress after k policy steps
    stretches = (after[window:] - after[:-window]) / window  # the window ending after k = window, window + 1, ...
    reached = np.flatnonzero(stretches >= share * cruise)
    return int(reached[0]) + window if reached.size else None


def episode_cruise_step(steps: int, max_steps: int, curve: list[float]) -> int | None:
    """`cruise_step` of an episode that ran all its `max_steps` (env steps, burn-in included); None for one that
    stopped early, whose second half is not a cruise."""
    return cruise_step(curve) if steps == max_steps else None


def run_episodes(tasks: list[EpisodeTask], workers: int | None = None, progress: bool = True,
                 description: str = "episodes") -> list[dict]:
    """`run_task` for every task, in task order, on `workers` processes (None: one per core)."""
    if not tasks:
        return []
    with process_pool(workers) as pool:
        iterator = pool.map(run_task, tasks, chunksize=max(1, len(tasks) // (4 * (workers or 2))))
        if progress:
            try:
                from tqdm import tqdm

                iterator = tqdm(iterator, total=len(tasks), unit="episode", desc=description)
            except ImportError:
                pass
        return list(iterator)


def summarise(outcomes: list[dict]) -> dict:
    """Mean and std of the distance, median walk step, median cruise step (full-length episodes that went forward),
    the share of episodes that walked and, for legged robots, the largest joint-limit excess (rad) of any episode."""
    distances = np.array([o["distance"] for o in outcomes])
    walked = [o["walk_step"] for o in outcomes if o["walk_step"] is not None]
    cruised = [o["cruise_step"] for o in outcomes if o.get("cruise_step") is not None]
    excess = [o["joint_limit_excess"] for o in outcomes if o.get("joint_limit_excess") is not None]
    return {"distance_mean": float(distances.mean()), "distance_std": float(distances.std()),
            "walk_step_median": float(np.median(walked)) if walked else None,
            "cruise_step_median": float(np.median(cruised)) if cruised else None,
            "walked_fraction": len(walked) / len(outcomes),
            "joint_limit_excess_max": round(max(excess), 4) if excess else None}


def walk_phrase(summary: dict) -> str:
    """What a `summarise` summary says about walking: "walks after N steps, at cruise speed after M (medians, X% of
    episodes walked)" only when the body went forward (mean distance > 0) and reached walking speed; otherwise that
    it did not walk (a burst of speed in an episode that ends behind its start is not a walk)."""
    fraction, median = summary["walked_fraction"], summary["walk_step_median"]
    if median is None:
        return "did not walk"
    if summary["distance_mean"] <= 0:
        return f"did not walk (distance <= 0; {fraction:.0%} of episodes reached walking speed)"
    cruise = summary.get("cruise_step_median")
    at_speed = f", at cruise speed after {cruise:.0f}" if cruise is not None else ""
    return f"walks after {median:.0f} steps{at_speed} (medians, {fraction:.0%} of episodes walked)"

