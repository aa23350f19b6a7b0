"""Training throughput of the Ant paper configuration (28-128-64-8, ABCD_lr, 61,440 parameters; standard and
damaged_right_front bodies; the paper's episode protocol), measured on whole generations whose mean is the shipped
`models/ant-paper` rule (episodes walk, as late in training):

- in one process (one core), per policy backend (numpy, c): env steps per second, and the same run's
  `stepSimulation` time, i.e. the rate of bare physics of the same world on the same trajectories; their ratio is
  the share of a training step that is physics (target >= 0.65 with the training default, the C kernel);
- ES overhead: the share of a generation's wall time not spent evaluating (ask, tell, job building, exports);
- scaling from 1 to 2 local workers (same generations, same work);
- the Ray backend against the local pool, both with 2 workers.

Every candidate runs the same generations from the same seed, so each does identical work. The first generation
of each candidate is a warm-up (worker start-up, env construction, kernel build) and is not timed. Pause other work
on the machine first.

    python benchmarks/train_throughput.py [--population 32] [--generations 2] [--json] [--skip-pools]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hebbkit.runtime.artifact import load_artifact
from hebbkit.trainer.fitness import cached_env
from hebbkit.trainer.run import prepare_run, resolve_config, run_generation
from hebbkit.trainer.workers import LocalEvaluator, RayEvaluator, evaluate_chunk

TARGETS = {"physics_share_min": 0.65, "es_overhead_share_max": 0.03, "scaling_1_to_2_min": 1.5,
           "ray_vs_local_min": 0.9}
TRAINED = Path(__file__).resolve().parents[1] / "models" / "ant-paper" / "model.npz"


def trained_run(name: str, population: int, folder: Path, policy_backend: str = "auto"):
    """A fresh run whose ES mean is the shipped trained rule (so episodes walk, as late in training)."""
    config = resolve_config({"config": "ant-paper", "population": population, "run_dir": folder / name,
                             "progress": False, "tensorboard": False, "snapshot_every": 0,
                             "backend": policy_backend})
    run, state = prepare_run(config, "benchmarks/train_throughput.py")
    return run, replace(state, mean=run.layout.from_artifact(load_artifact(TRAINED)))


class InProcess:
    """Evaluates the jobs in this process (one core) and keeps the physics time of its envs."""

    name = "in-process"
    workers = 1
    retries = 0

    def run(self, jobs):
        return [result for job in jobs for result in evaluate_chunk(job)]

    def shutdown(self, terminate: bool = False) -> None:
        pass


def measure_in_process(policy_backend: str, population: int, generations: int, folder: Path) -> dict:
    run, state = trained_run(f"inproc-{policy_backend}", population, folder, policy_backend)
    evaluator = InProcess()
    state, _ = run_generation(run, state, evaluator, export=False)  # warm-up
    envs = [cached_env(run.protocol, morphology) for morphology in run.protocol.morphologies]
    physics_before = sum(env.physics_seconds for env in envs)
    seconds, steps = 0.0, 0
    for _ in range(generations):
        started = time.perf_counter()
        state, stats = run_generation(run, state, evaluator, export=False)
        seconds += time.perf_counter() - started
        steps += stats.env_steps
    physics = sum(env.physics_seconds for env in envs) - physics_before
    return {"seconds": round(seconds, 3), "env_steps": steps, "env_steps_per_second": round(steps / seconds, 1),
            "bare_physics_steps_per_second": round(steps / physics, 1), "physics_share": round(physics / seconds, 4)}


def measure(name: str, evaluator, population: int, generations: int, folder: Path) -> dict:
    run, state = trained_run(name, population, folder)
    state, _ = run_generation(run, state, evaluator)  # warm-up: worker start-up, env construction
    seconds = es_seconds = 0.0
    steps = 0
    for _ in range(generations):
        state, stats = run_generation(run, state, evaluator)
        seconds += stats.seconds
        es_seconds += stats.es_seconds
        steps += stats.env_steps
    evaluator.shutdown()
    return {"seconds": round(seconds, 3), "es_seconds": round(es_seconds, 4), "env_steps": steps,
            "env_steps_per_second": round(steps / seconds, 1), "es_overhead_share": round(es_seconds / seconds, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=32, help="candidates per generation")
    parser.add_argument("--generations", type=int, default=2, help="timed generations per candidate")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--skip-pools", action="store_true", help="only the in-process figures (no pool, no Ray)")
    arguments = parser.parse_args()
    population, generations = arguments.population, arguments.generations
    report: dict = {"population": population, "timed_generations": generations, "targets": TARGETS}
    with tempfile.TemporaryDirectory() as folder:
        in_process = {backend: measure_in_process(backend, population, generations, Path(folder))
                      for backend in ("numpy", "c")}
        report["in_process"] = in_process
        report["physics_share"] = in_process["c"]["physics_share"]
        report["c_vs_numpy"] = round(in_process["c"]["env_steps_per_second"]
                                     / in_process["numpy"]["env_steps_per_second"], 3)
        met = report["physics_share"] >= TARGETS["physics_share_min"]
        if not arguments.skip_pools:
            results = {
                "local_1_worker": measure("local1", LocalEvaluator(1), population, generations, Path(folder)),
                "local_2_workers": measure("local2", LocalEvaluator(2), population, generations, Path(folder)),
                "ray_2_workers": measure("ray2", RayEvaluator(workers=2), population, generations, Path(folder)),
            }
            one, two, ray = (results[k]["env_steps_per_second"] for k in ("local_1_worker", "local_2_workers",
                                                                          "ray_2_workers"))
            report.update({
                "candidates": results, "env_steps_per_second_per_core": one,
                "es_overhead_share": max(r["es_overhead_share"] for r in results.values()),
                "scaling_1_to_2": round(two / one, 3), "ray_vs_local": round(ray / two, 3),
            })
            met = met and bool(report["es_overhead_share"] <= TARGETS["es_overhead_share_max"]
                               and report["scaling_1_to_2"] >= TARGETS["scaling_1_to_2_min"]
                               and report["ray_vs_local"] >= TARGETS["ray_vs_local_min"])
    report["meets_targets"] = met
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Ant paper config, trained mean, population {population}, {generations} timed generations each")
    for backend, figures in in_process.items():
        print(f"  one process, {backend:<5} policy: {figures['env_steps_per_second']:7.0f} env steps/s; bare physics "
              f"of the same steps {figures['bare_physics_steps_per_second']:7.0f}/s; physics share "
              f"{figures['physics_share']:.3f}")
    print(f"  physics share with the C kernel {report['physics_share']:.3f} (target >= "
          f"{TARGETS['physics_share_min']}); C / NumPy policy {report['c_vs_numpy']:.2f}x")
    if not arguments.skip_pools:
        for name, figures in report["candidates"].items():
            print(f"  {name:<16} {figures['env_steps_per_second']:8.0f} env steps/s   ES overhead "
                  f"{100 * figures['es_overhead_share']:.2f}% of {figures['seconds']:.1f} s")
        print(f"  per core: {report['env_steps_per_second_per_core']:.0f} env steps/s; scaling 1 -> 2 workers "
              f"{report['scaling_1_to_2']:.2f}x (target >= 1.5); Ray / local {report['ray_vs_local']:.2f}x "
              f"(target >= 0.9); ES overhead max {100 * report['es_overhead_share']:.2f}% (target <= 3%)")
    print(f"  targets: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
