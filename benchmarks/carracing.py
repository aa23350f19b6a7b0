"""CarRacing-v3 from pixels: env steps per second (its software rendering dominates), the controller's step
latency for the paper's network (conv front end + plastic 648-128-64-3, 456,640 coefficients) on both runtime
backends, what a full reproduction of the paper's run costs on this machine, and whole-pipeline training
throughput (env + controller + ES: `run_generation` of `hebbkit train --config carracing-paper`) of today's
pipeline (Gymnasium env, one episode per worker process, the runtime's `Policy`) against the envpool backend
(every candidate in lockstep on envpool, controllers as one batched torch step), measured in the same run.

    python benchmarks/carracing.py [--steps 500] [--population 8] [--max-steps 100] [--generations 2] [--json]
    python benchmarks/carracing.py --population 64 --max-steps 200 --full-episodes   # late training: cars drive
    python benchmarks/carracing.py --compare-envs   # Gymnasium's and envpool's CarRacing-v3 on the same actions

The pipeline figure is the last of `--generations` generations (the first one pays for starting the worker
processes); raise --population / --max-steps / --generations for a longer, steadier measurement.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from hebbkit.runtime import Policy
from hebbkit.trainer.envs.carracing import CARRACING_PROFILE, CarRacingPixels
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import network_for, prepare_run, resolve_config, run_generation

PAPER = {"population": 200, "generations": 300, "episode_steps": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500, help="env steps and controller steps to time")
    parser.add_argument("--population", type=int, default=8, help="ES population of the pipeline runs")
    parser.add_argument("--max-steps", type=int, default=100, help="steps per episode of the pipeline runs")
    parser.add_argument("--generations", type=int, default=2, help="generations per pipeline (the last is timed)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes / envpool threads")
    parser.add_argument("--full-episodes", action="store_true",
                        help="no early stop: every car drives --max-steps steps, as cars that can drive do late in "
                             "training (where most of a run's env steps are spent)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--compare-envs", action="store_true",
                        help="only compare the two envs' observations and rewards on the same seeds and actions")
    arguments = parser.parse_args()
    if arguments.compare_envs:
        compare_envs()
        return
    pipelines = {backend: pipeline_throughput(backend, arguments) for backend in ("gymnasium", "envpool")}
    ratio = pipelines["envpool"]["env_steps_per_second"] / pipelines["gymnasium"]["env_steps_per_second"]
    env = CarRacingPixels()
    observation, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    observations = []
    start = time.perf_counter()
    for _ in range(arguments.steps):
        observation, _, terminated, truncated, _ = env.step(np.array([rng.uniform(-1, 1), 0.3, 0.0], np.float32))
        observations.append(observation)
        if terminated or truncated:
            env.reset()
    env_rate = arguments.steps / (time.perf_counter() - start)
    network = network_for(resolve_config({"config": "carracing-paper"}), 0, 3)
    layout = ParameterLayout.of(network)
    artifact = layout.to_artifact(rng.standard_normal(layout.size) * 0.1, CARRACING_PROFILE, env.dt)
    latency = {}
    for backend in ("numpy", "onnx"):
        policy = Policy(artifact, backend, seed=0)
        for frame in observations[:20]:
            policy.step(frame)
        times = []
        for frame in observations:
            began = time.perf_counter()
            policy.step(frame)
            times.append(time.perf_counter() - began)
        micros = np.array(times) * 1e6
        latency[backend] = {"median_us": round(float(np.median(micros)), 1),
                            "p99_us": round(float(np.percentile(micros, 99)), 1)}
    step_seconds = 1 / env_rate + latency["numpy"]["median_us"] * 1e-6
    episodes = PAPER["population"] * PAPER["generations"]
    core_hours = episodes * PAPER["episode_steps"] * step_seconds / 3600
    report = {"env_steps_per_second": round(env_rate, 1), "controller": latency,
              "seconds_per_step_env_plus_numpy_policy": round(step_seconds, 5),
              "paper_budget": PAPER, "full_reproduction_core_hours_upper_bound": round(core_hours, 1),
              "pipeline": pipelines, "pipeline_speedup_envpool_over_gymnasium": round(ratio, 2)}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"CarRacing-v3 with the paper's preprocessing: {env_rate:.0f} env steps/s (one core, rendering included)")
    for backend, figures in latency.items():
        print(f"  controller step, {backend:5s}: median {figures['median_us']:.0f} us, p99 {figures['p99_us']:.0f} us")
    print(f"  the paper's budget ({PAPER['population']} x {PAPER['generations']} episodes of up to "
          f"{PAPER['episode_steps']} steps) costs at most {core_hours:.0f} core-hours here "
          f"(~{core_hours / 2:.0f} h on this 2-core machine; early stopping cuts the early generations)")
    length = f"of {arguments.max_steps} steps (no early stop)" if arguments.full_episodes else \
        f"of up to {arguments.max_steps} steps"
    print(f"whole training pipeline (env + controller + ES), population {arguments.population}, episodes {length}, "
          f"{arguments.workers} workers, last of {arguments.generations} generations:")
    for backend, figures in pipelines.items():
        print(f"  {backend:9s}: {figures['env_steps_per_second']:7.0f} env steps/s ({figures['env_steps']} steps in "
              f"{figures['seconds']:.1f} s, of which ES {figures['es_seconds']:.2f} s)")
    print(f"  envpool / gymnasium: {ratio:.1f}x (target >= 5x)")


def pipeline_throughput(backend: str, arguments: argparse.Namespace) -> dict:
    """Env steps per second of the last of `arguments.generations` generations of a CarRacing training run on
    `backend` (gymnasium: today's worker processes; envpool: the batched evaluator), exports skipped."""
    from hebbkit.trainer.batched import EnvpoolEvaluator
    from hebbkit.trainer.workers import LocalEvaluator

    with tempfile.TemporaryDirectory() as folder:
        config = resolve_config({"config": "carracing-paper", "carracing_env": backend,
                                 "population": arguments.population, "max_steps": arguments.max_steps,
                                 "workers": arguments.workers, "run_dir": Path(folder) / "run", "progress": False,
                                 "tensorboard": False})
        run, state = prepare_run(config, "benchmarks/carracing.py")
        if arguments.full_episodes:
            run.protocol = replace(run.protocol, early_stop_after=arguments.max_steps)
        evaluator = EnvpoolEvaluator(arguments.workers) if backend == "envpool" else LocalEvaluator(arguments.workers)
        try:
            for _ in range(arguments.generations):
                state, stats = run_generation(run, state, evaluator, export=False)
        finally:
            evaluator.shutdown()
    return {"env_steps_per_second": round(stats.env_steps_per_second, 1), "env_steps": stats.env_steps,
            "seconds": round(stats.seconds, 2), "es_seconds": round(stats.es_seconds, 3),
            "policy_backend": "torch (PopulationTwin)" if backend == "envpool" else run.config.backend}


def compare_envs(seeds: range = range(3), steps: int = 50) -> None:
    """Gymnasium's and envpool's CarRacing-v3 from the same seed under the same constant action (gas 0.4): how
    many pixels of the raw 96x96 frames differ, how many distinct colours each renders, and the rewards."""
    import gymnasium as gym

    from hebbkit.trainer.envs.carracing_pool import import_envpool

    envpool = import_envpool()
    reference = gym.make("CarRacing-v3")
    action = np.array([0.0, 0.4, 0.0], np.float32)
    print(f"seed | gym track tiles | pixels differing at reset | distinct colours gym / envpool | reward after "
          f"{steps} steps gym / envpool")
    for seed in seeds:
        gym_frame, _ = reference.reset(seed=seed)
        pool = envpool.make_gymnasium("CarRacing-v3", num_envs=1, batch_size=1, num_threads=1, env_seed=[seed])
        pool_frame = pool.reset()[0][0]
        differing = float((gym_frame != pool_frame).any(-1).mean())
        colours = [len({tuple(c) for c in frame.reshape(-1, 3)}) for frame in (gym_frame, pool_frame)]
        gym_reward = pool_reward = 0.0
        for _ in range(steps):
            gym_reward += float(reference.step(action)[1])
            pool_reward += float(pool.step(action[None])[1][0])
        print(f"{seed:4d} | {len(reference.unwrapped.track):15d} | {differing:25.0%} | {colours[0]:14d} / "
              f"{colours[1]:<14d} | {gym_reward:.1f} / {pool_reward:.1f}")
        pool.close()


if __name__ == "__main__":
    main()
