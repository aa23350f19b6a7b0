"""Control steps per second of `hebbkit/AntBullet-v0` with random actions (resets included), on one core, against
a bare-PyBullet baseline measured in the same run: the same ant.xml on the same plane, random torques and
`stepSimulation` only (no observation, reward or contact query); and the servo quadruped and the Unitree A1 (its
robot file's physics; `--a1-solver explicit` for its PD law computed every 1 ms, the setting it had before) in the
same run, with the A1's cost per control step relative to the Ant's. Prints median figures over interleaved
repeats, the median and 99th percentile of single control steps (as steps per second: 1 / step time), and ratios.

    python benchmarks/env_step.py [--steps 5000] [--repeats 5] [--a1-solver motor|explicit] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pybullet as p
import pybullet_data

from hebbkit.runtime.robot_file import resolve_robot
from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.envs.robot_body import body_from_spec

TARGET = 2000.0
A1_TARGET_RATIO = 1.8
"""The A1's cost per control step should stay within ~1.8x the Ant's: ~1.3-1.5x with 10 solver iterations, and the 50
it runs since 2026-12-07 (joint limits held on damaged bodies, docs/robots.md) cost ~1.15x that."""
REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "ant_pybullet_envs_reference.npz"


def env_times(steps: int, seed: int, **options) -> np.ndarray:
    """Wall time of each control step (a reset it triggers counted in that step)."""
    env = QuadrupedEnv(**options)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).uniform(-1, 1, (steps, *env.action_space.shape)).astype(np.float32)
    times = np.empty(steps)
    clock = time.perf_counter
    for index, action in enumerate(actions):
        start = clock()
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
        times[index] = clock() - start
    env.close()
    return times


def a1_options(solver: str) -> dict:
    """The A1 as its robot file says (`motor`), or with its PD law computed explicitly every 1 ms (`explicit`)."""
    spec = resolve_robot("unitree_a1")
    if solver == "explicit":
        spec = dataclasses.replace(spec, pd_solver="explicit", physics_substeps=20, solver_iterations=5)
    return {"robot": body_from_spec(spec), "observation": "proprio_contacts_action", "actuation": "position"}


def bare_rate(steps: int, seed: int) -> float:
    client = p.connect(p.DIRECT)
    p.setGravity(0, 0, -9.8, physicsClientId=client)
    p.setPhysicsEngineParameter(fixedTimeStep=0.0165, numSolverIterations=5, numSubSteps=4, physicsClientId=client)
    p.loadSDF(str(Path(pybullet_data.getDataPath()) / "plane_stadium.sdf"), physicsClientId=client)
    (robot,) = p.loadMJCF(str(Path(pybullet_data.getDataPath()) / "mjcf" / "ant.xml"),
                          flags=p.URDF_USE_SELF_COLLISION | p.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS,
                          physicsClientId=client)
    joints = [j for j in range(p.getNumJoints(robot, physicsClientId=client))
              if p.getJointInfo(robot, j, physicsClientId=client)[2] == p.JOINT_REVOLUTE]
    p.setJointMotorControlArray(robot, joints, p.VELOCITY_CONTROL, forces=[0.0] * len(joints), physicsClientId=client)
    torques = np.random.default_rng(seed).uniform(-250, 250, (steps, len(joints)))
    start = time.perf_counter()
    for torque in torques:
        p.setJointMotorControlArray(robot, joints, p.TORQUE_CONTROL, forces=torque, physicsClientId=client)
        p.stepSimulation(physicsClientId=client)
    rate = steps / (time.perf_counter() - start)
    p.disconnect(client)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000, help="control steps per repeat")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each candidate (interleaved)")
    parser.add_argument("--a1-solver", choices=("motor", "explicit"), default="motor",
                        help="the A1's PD law as its robot file simulates it (motor), or explicit every 1 ms")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    a1 = a1_options(arguments.a1_solver)
    env_candidates = {
        "AntBullet-v0": {},
        "ServoQuadruped-v0": {"robot": "servo_quadruped", "observation": "proprio", "actuation": "position"},
        "UnitreeA1": a1,
    }
    rates: dict[str, list[float]] = {name: [] for name in ("bare_stepSimulation", *env_candidates)}
    step_times: dict[str, list[np.ndarray]] = {name: [] for name in env_candidates}
    for repeat in range(arguments.repeats):  # interleaved: a load change on the machine hits every candidate
        rates["bare_stepSimulation"].append(bare_rate(arguments.steps, repeat))
        for name, options in env_candidates.items():
            times = env_times(arguments.steps, repeat, **options)
            step_times[name].append(times)
            rates[name].append(arguments.steps / float(times.sum()))
    medians = {name: float(np.median(values)) for name, values in rates.items()}
    single = {name: np.concatenate(values) for name, values in step_times.items()}
    single_steps = {name: {"median_steps_per_second": round(1.0 / float(np.median(times))),
                           "p99_steps_per_second": round(1.0 / float(np.percentile(times, 99)))}
                    for name, times in single.items()}
    a1_ratio = medians["AntBullet-v0"] / medians["UnitreeA1"]  # cost per control step, A1 / Ant
    a1_ratio_single = float(np.median(single["UnitreeA1"]) / np.median(single["AntBullet-v0"]))
    report = {
        "steps_per_repeat": arguments.steps,
        "repeats": arguments.repeats,
        "median_steps_per_second": {k: round(v) for k, v in medians.items()},
        "min_steps_per_second": {k: round(min(v)) for k, v in rates.items()},
        "single_step": single_steps,
        "ant_vs_bare": round(medians["AntBullet-v0"] / medians["bare_stepSimulation"], 3),
        "ant_target": TARGET,
        "ant_meets_target": medians["AntBullet-v0"] >= TARGET,
        "a1_solver": arguments.a1_solver,
        "a1_cost_vs_ant": round(a1_ratio, 3),
        "a1_cost_vs_ant_median_step": round(a1_ratio_single, 3),
        "a1_target_ratio": A1_TARGET_RATIO,
    }
    if REFERENCE.exists():
        report["pybullet_envs_recorded_steps_per_second"] = round(float(np.load(REFERENCE)["steps_per_second"]))
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"control steps per second, one core, random actions, {arguments.repeats} x {arguments.steps} steps")
    print(f"  {'':<22} {'runs: median':>12} {'min':>7}   {'single steps: median':>20} {'p99':>7}")
    for name in rates:
        line = f"  {name:<22} {medians[name]:12.0f} {min(rates[name]):7.0f}"
        if name in single_steps:
            line += (f"   {single_steps[name]['median_steps_per_second']:20d} "
                     f"{single_steps[name]['p99_steps_per_second']:7d}")
        print(line)
    print(f"  AntBullet-v0 / bare stepSimulation = {report['ant_vs_bare']:.2f}; target >= {TARGET:.0f} steps/s: "
          f"{'met' if report['ant_meets_target'] else 'MISSED'}")
    print(f"  UnitreeA1 ({arguments.a1_solver}) cost per control step / AntBullet-v0's = {a1_ratio:.2f} over the runs, "
          f"{a1_ratio_single:.2f} for the median step; target <= ~{A1_TARGET_RATIO}: "
          f"{'met' if a1_ratio <= A1_TARGET_RATIO else 'MISSED'}")
    if "pybullet_envs_recorded_steps_per_second" in report:
        print(f"  (pybullet_envs' AntBulletEnv-v0 when the parity reference was recorded: "
              f"{report['pybullet_envs_recorded_steps_per_second']} steps/s, another run)")


if __name__ == "__main__":
    main()
