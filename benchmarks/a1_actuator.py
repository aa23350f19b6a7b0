"""How faithfully, and at what cost, each way of simulating the Unitree A1's PD law tracks it: every candidate
against the same law integrated explicitly at 0.1 ms (converged: halving the step changes nothing visible), in the
env itself (`hebbkit.trainer.envs.QuadrupedEnv`, same seeds, same actions).

Tests: standing 10 s with zero action (height, joint sag, oscillation over the last 5 s); a step of +0.3 rad on the
front-right hip, thigh and calf with the trunk held in the air (swing) and standing (all thighs and calves, a
squat); a drop from 0.45 m; 4 s of smooth random actions (tracking error, trunk height); joint limits and the motor
torque after every `stepSimulation` of 20 s of random actions. Each test starts in the exact standing pose. Prints
deviations from the reference (rad, m); control steps per second are `benchmarks/env_step.py`'s.

    python benchmarks/a1_actuator.py [--candidates explicit:20:5 motor:4:5 motor:4:10] [--json]

A candidate is SOLVER:PHYSICS_SUBSTEPS:SOLVER_ITERATIONS (`[actuation] pd_solver`, `[control] physics_substeps`,
`[control] solver_iterations` of the robot file).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import pybullet as p

from hebbkit.runtime.robot_file import RobotSpec, resolve_robot
from hebbkit.trainer.envs import QuadrupedEnv
from hebbkit.trainer.envs.robot_body import body_from_spec

REFERENCE = "explicit:200:5"
DEFAULT_CANDIDATES = ("explicit:20:5", "explicit:10:5", "motor:4:5", "motor:4:10", "motor:8:5")
FRONT_RIGHT = (0, 1, 2)  # hip abduction, hip, knee of the first leg in the A1's command order


def variant(spec: RobotSpec, candidate: str) -> RobotSpec:
    solver, substeps, iterations = candidate.split(":")
    return dataclasses.replace(spec, pd_solver=solver, physics_substeps=int(substeps),
                               solver_iterations=int(iterations))


def make_env(spec: RobotSpec) -> QuadrupedEnv:
    return QuadrupedEnv(robot=body_from_spec(spec), observation="proprio_contacts_action", actuation="position")


def joint_positions(env: QuadrupedEnv) -> np.ndarray:
    return np.array([state[0] for state in p.getJointStates(env._robot, env._joint_indices,
                                                            physicsClientId=env._client)])


def run(spec: RobotSpec, actions: np.ndarray, *, hold_in_air: bool = False, start_height: float = 0.0,
        seed: int = 0) -> dict[str, np.ndarray]:
    """Trunk heights and joint positions after each control step of `actions` from a seeded reset."""
    env = make_env(spec)
    try:
        env.reset(seed=seed)
        c = env._client
        # the exact standing pose, feet just above the floor: a foot reset into the floor would be pushed out at a
        # speed of penetration x contact ERP / physics step, which differs between the candidates
        for index, angle in zip(env._joint_indices, spec.stand_pose, strict=True):
            p.resetJointState(env._robot, index, angle, 0.0, physicsClientId=c)
        position = (0.0, 0.0, 1.0 if hold_in_air else start_height or spec.start_height)
        p.resetBasePositionAndOrientation(env._robot, position, (0, 0, 0, 1), physicsClientId=c)
        if hold_in_air:
            p.createConstraint(env._robot, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), position,
                               physicsClientId=c)
        heights, positions, targets = [], [], []
        for action in actions:
            _, _, _, _, info = env.step(action)
            heights.append(info["torso_position"][2])
            positions.append(joint_positions(env))
            targets.append(env.profile.command_from_action(action))
        return {"height": np.array(heights), "q": np.array(positions), "target": np.array(targets)}
    finally:
        env.close()


def limits_run(spec: RobotSpec, actions: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Largest joint-limit excess (rad) and motor torque (N*m) over every physics step of `actions`."""
    env = make_env(spec)
    try:
        env.reset(seed=seed)
        c, robot, joints = env._client, env._robot, env._joint_indices
        motor = spec.pd_solver == "motor"
        lower = np.array([joint.lower for joint in spec.joints])
        upper = np.array([joint.upper for joint in spec.joints])
        substeps = spec.physics_substeps
        worst_limit, worst_torque = 0.0, 0.0
        step_physics = p.stepSimulation

        def watched_step(physicsClientId: int) -> None:
            nonlocal worst_limit, worst_torque
            step_physics(physicsClientId=physicsClientId)
            states = p.getJointStates(robot, joints, physicsClientId=c)
            q = np.array([state[0] for state in states])
            worst_limit = max(worst_limit, float(np.max(np.maximum(lower - q, q - upper))))
            if motor:  # PyBullet reports a motor's impulse / the whole stepSimulation step, not its physics step
                worst_torque = max(worst_torque, float(np.abs([state[3] for state in states]).max()) * substeps)

        p.stepSimulation = watched_step
        try:
            for action in actions:
                _, _, terminated, truncated, _ = env.step(action)
                if terminated or truncated:
                    env.reset()
        finally:
            p.stepSimulation = step_physics
        # the explicit law clips its torque itself (PyBullet reports no torque for TORQUE_CONTROL)
        return {"joint_limit_excess": worst_limit, "torque_max": worst_torque if motor else float("nan")}
    finally:
        env.close()


def smooth_actions(steps: int, seed: int) -> np.ndarray:
    """A random walk in [-1, 1]^12 (steps of 0.15): gait-like joint motion rather than white noise."""
    walk = np.cumsum(np.random.default_rng(seed).normal(0.0, 0.15, (steps, 12)), axis=0)
    return np.clip(walk, -1.0, 1.0).astype(np.float32)


def step_actions(spec: RobotSpec, joints: tuple[int, ...], delta: float, before: int, after: int) -> np.ndarray:
    """Zero actions, then actions that move `joints` by `delta` rad from the standing pose."""
    low = np.array([joint.command_range[0] for joint in spec.joints])
    high = np.array([joint.command_range[1] for joint in spec.joints])
    stand = np.array(spec.stand_pose)
    zero = (2 * (stand - low) / (high - low) - 1).astype(np.float32)  # the action that commands the standing pose
    moved = stand.copy()
    moved[list(joints)] += delta
    action = (2 * (moved - low) / (high - low) - 1).astype(np.float32)
    return np.array([zero] * before + [action] * after)


def measure(spec: RobotSpec) -> dict[str, object]:
    stand = step_actions(spec, (), 0.0, 500, 0)
    results: dict[str, object] = {"stand": run(spec, stand)}
    for joint, name in zip(FRONT_RIGHT, ("hip", "thigh", "calf"), strict=True):
        results[f"swing_{name}"] = run(spec, step_actions(spec, (joint,), 0.3, 25, 50), hold_in_air=True)
    thighs, calves = (1, 4, 7, 10), (2, 5, 8, 11)
    squat = step_actions(spec, thighs, 0.4, 50, 50)
    squat[50:, list(calves)] = step_actions(spec, calves, -0.4, 0, 50)[:, list(calves)]
    results["squat"] = run(spec, np.concatenate([squat, squat[:50]]))
    results["drop"] = run(spec, stand[:75], start_height=0.45)
    results["random"] = run(spec, smooth_actions(200, 0))
    results.update(limits_run(spec, smooth_actions(1000, 1)))
    return results


def compare(result: dict, reference: dict) -> dict[str, float]:
    row = {
        "stand_height_m": float(result["stand"]["height"][-1]),
        "stand_height_dev_m": float(result["stand"]["height"][-1] - reference["stand"]["height"][-1]),
        "stand_joint_dev": float(np.abs(result["stand"]["q"][-1] - reference["stand"]["q"][-1]).max()),
        "stand_oscillation": float(np.ptp(result["stand"]["q"][250:], axis=0).max()),
    }
    for name, joint in zip(("hip", "thigh", "calf"), FRONT_RIGHT, strict=True):
        key = f"swing_{name}"
        row[f"{key}_dev"] = float(np.abs(result[key]["q"][:, joint] - reference[key]["q"][:, joint]).max())
    for key in ("squat", "drop"):
        row[f"{key}_joint_dev"] = float(np.abs(result[key]["q"] - reference[key]["q"]).max())
        row[f"{key}_height_dev_m"] = float(np.abs(result[key]["height"] - reference[key]["height"]).max())
    # random actions: pointwise over the first 0.5 s (later the trajectories part, as any two integrators' do)
    first = slice(0, 25)
    row["random_0.5s_joint_dev"] = float(np.abs(result["random"]["q"][first] - reference["random"]["q"][first]).max())
    random = result["random"]
    row["random_tracking_error"] = float(np.abs(random["q"] - random["target"]).mean())
    row["random_tracking_error_ref"] = float(np.abs(reference["random"]["q"] - reference["random"]["target"]).mean())
    row["random_mean_height_m"] = float(random["height"].mean())
    row["random_mean_height_ref_m"] = float(reference["random"]["height"].mean())
    row["joint_limit_excess"] = float(result["joint_limit_excess"])
    row["torque_max"] = float(result["torque_max"])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", nargs="+", default=list(DEFAULT_CANDIDATES),
                        help="SOLVER:PHYSICS_SUBSTEPS:SOLVER_ITERATIONS (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    spec = resolve_robot("unitree_a1")
    reference = measure(variant(spec, REFERENCE))
    rows = {}
    for candidate in arguments.candidates:
        rows[candidate] = compare(measure(variant(spec, candidate)), reference)
    if arguments.json:
        print(json.dumps({"reference": REFERENCE, "torque_limit": spec.joints[0].torque_limit, "candidates": rows},
                         indent=2))
        return
    print(f"A1 PD law, candidates vs {REFERENCE} (explicit at 0.1 ms); deviations in rad (joints) and m (trunk)")
    keys = list(next(iter(rows.values())))
    print(f"{'':<26}" + "".join(f"{candidate:>15}" for candidate in rows))
    for key in keys:
        print(f"{key:<26}" + "".join(f"{row[key]:>15.4f}" for row in rows.values()))


if __name__ == "__main__":
    main()
