"""Control steps per second of `hebbkit/AntBullet-v0` with random actions (resets included), on one core, against
a bare-PyBullet baseline measured in the same run: the same ant.xml on the same plane, random torques and
`stepSimulation` only (no observation, reward or contact query). Prints median figures over repeats and ratios.

    python benchmarks/env_step.py [--steps 5000] [--repeats 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pybullet as p
import pybullet_data

from hebbkit.trainer.envs import QuadrupedEnv

TARGET = 2000.0
REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "ant_pybullet_envs_reference.npz"


def env_rate(steps: int, seed: int, **options) -> float:
    env = QuadrupedEnv(**options)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).uniform(-1, 1, (steps, 8)).astype(np.float32)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    rate = steps / (time.perf_counter() - start)
    env.close()
    return rate


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
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    candidates = {
        "bare_stepSimulation": lambda seed: bare_rate(arguments.steps, seed),
        "AntBullet-v0": lambda seed: env_rate(arguments.steps, seed),
        "ServoQuadruped-v0": lambda seed: env_rate(arguments.steps, seed, robot="servo_quadruped",
                                                   observation="proprio", actuation="position"),
    }
    rates: dict[str, list[float]] = {name: [] for name in candidates}
    for repeat in range(arguments.repeats):
        for name, measure in candidates.items():
            rates[name].append(measure(repeat))
    medians = {name: float(np.median(values)) for name, values in rates.items()}
    report = {
        "steps_per_repeat": arguments.steps,
        "repeats": arguments.repeats,
        "median_steps_per_second": {k: round(v) for k, v in medians.items()},
        "min_steps_per_second": {k: round(min(v)) for k, v in rates.items()},
        "ant_vs_bare": round(medians["AntBullet-v0"] / medians["bare_stepSimulation"], 3),
        "ant_target": TARGET,
        "ant_meets_target": medians["AntBullet-v0"] >= TARGET,
    }
    if REFERENCE.exists():
        report["pybullet_envs_recorded_steps_per_second"] = round(float(np.load(REFERENCE)["steps_per_second"]))
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"control steps per second, one core, random actions, {arguments.repeats} x {arguments.steps} steps")
    for name in candidates:
        print(f"  {name:<22} median {medians[name]:7.0f}   min {min(rates[name]):7.0f}")
    print(f"  AntBullet-v0 / bare stepSimulation = {report['ant_vs_bare']:.2f}; target >= {TARGET:.0f} steps/s: "
          f"{'met' if report['ant_meets_target'] else 'MISSED'}")
    if "pybullet_envs_recorded_steps_per_second" in report:
        print(f"  (pybullet_envs' AntBulletEnv-v0 when the parity reference was recorded: "
              f"{report['pybullet_envs_recorded_steps_per_second']} steps/s, another run)")


if __name__ == "__main__":
    main()
