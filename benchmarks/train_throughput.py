"""Training throughput of the Ant paper configuration (28-128-64-8, ABCD_lr, 61,440 parameters; standard and
damaged_right_front bodies; the paper's episode protocol), measured on whole generations:

- env steps per second per core (env + runtime policy + ES), 1 local worker;
- ES overhead: the share of a generation's wall time not spent evaluating (ask, tell, job building, exports);
- scaling from 1 to 2 local workers (same generations, same work);
- the Ray backend against the local pool, both with 2 workers.

Every candidate runs the same generations from the same seed, so each does identical work. The first generation
of each candidate is a warm-up (worker start-up) and is not timed. Pause other work on the machine first.

    python benchmarks/train_throughput.py [--population 32] [--generations 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from hebbkit.trainer.run import prepare_run, resolve_config, run_generation
from hebbkit.trainer.workers import LocalEvaluator, RayEvaluator

TARGETS = {"es_overhead_share_max": 0.03, "scaling_1_to_2_min": 1.5, "ray_vs_local_min": 0.9}


def measure(name: str, evaluator, population: int, generations: int, folder: Path) -> dict:
    config = resolve_config({"config": "ant-paper", "population": population, "run_dir": folder / name,
                             "progress": False, "tensorboard": False})
    run, state = prepare_run(config, "benchmarks/train_throughput.py")
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
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {
            "local_1_worker": measure("local1", LocalEvaluator(1), arguments.population, arguments.generations,
                                      Path(folder)),
            "local_2_workers": measure("local2", LocalEvaluator(2), arguments.population, arguments.generations,
                                       Path(folder)),
            "ray_2_workers": measure("ray2", RayEvaluator(workers=2), arguments.population, arguments.generations,
                                     Path(folder)),
        }
    one, two, ray = (results[k]["env_steps_per_second"] for k in ("local_1_worker", "local_2_workers",
                                                                  "ray_2_workers"))
    report = {
        "population": arguments.population, "timed_generations": arguments.generations, "candidates": results,
        "env_steps_per_second_per_core": one,
        "es_overhead_share": max(r["es_overhead_share"] for r in results.values()),
        "scaling_1_to_2": round(two / one, 3),
        "ray_vs_local": round(ray / two, 3),
        "targets": TARGETS,
    }
    report["meets_targets"] = bool(report["es_overhead_share"] <= TARGETS["es_overhead_share_max"]
                                   and report["scaling_1_to_2"] >= TARGETS["scaling_1_to_2_min"]
                                   and report["ray_vs_local"] >= TARGETS["ray_vs_local_min"])
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Ant paper config, population {arguments.population}, {arguments.generations} timed generations each")
    for name, figures in results.items():
        print(f"  {name:<16} {figures['env_steps_per_second']:8.0f} env steps/s   ES overhead "
              f"{100 * figures['es_overhead_share']:.2f}% of {figures['seconds']:.1f} s")
    print(f"  per core: {one:.0f} env steps/s; scaling 1 -> 2 workers {report['scaling_1_to_2']:.2f}x "
          f"(target >= 1.5); Ray / local {report['ray_vs_local']:.2f}x (target >= 0.9); ES overhead max "
          f"{100 * report['es_overhead_share']:.2f}% (target <= 3%): {'met' if report['meets_targets'] else 'MISSED'}")


if __name__ == "__main__":
    main()
