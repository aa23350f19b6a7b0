"""CarRacing-v3 from pixels: env steps per second (its software rendering dominates), the controller's step
latency for the paper's network (conv front end + plastic 648-128-64-3, 456,640 coefficients) on both runtime
backends, and what a full reproduction of the paper's run costs on this machine.

    python benchmarks/carracing.py [--steps 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hebbkit.runtime import Policy
from hebbkit.trainer.envs.carracing import CARRACING_PROFILE, CarRacingPixels
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import network_for, resolve_config

PAPER = {"population": 200, "generations": 300, "episode_steps": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500, help="env steps and controller steps to time")
    parser.add_argument("--json", action="store_true", help="print JSON")
    arguments = parser.parse_args()
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
              "paper_budget": PAPER, "full_reproduction_core_hours_upper_bound": round(core_hours, 1)}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"CarRacing-v3 with the paper's preprocessing: {env_rate:.0f} env steps/s (one core, rendering included)")
    for backend, figures in latency.items():
        print(f"  controller step, {backend:5s}: median {figures['median_us']:.0f} us, p99 {figures['p99_us']:.0f} us")
    print(f"  the paper's budget ({PAPER['population']} x {PAPER['generations']} episodes of up to "
          f"{PAPER['episode_steps']} steps) costs at most {core_hours:.0f} core-hours here "
          f"(~{core_hours / 2:.0f} h on this 2-core machine; early stopping cuts the early generations)")


if __name__ == "__main__":
    main()
