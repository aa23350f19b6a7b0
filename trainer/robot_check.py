"""`hebbkit robot check NAME|FILE`: load a robot file, simulate it standing, and print what was found (joints,
limits, mass, standing height, how far bang-bang commands push its joints past their limits), or one line saying
what is wrong.

What is wrong, each a `RobotFileError` (one line, exit code 1): a file that is not a robot file (TOML, keys,
inverted limits: `hebbkit.runtime.robot_file`), a model that is not there or does not load, a joint the model does
not have or that is not a moving joint, a foot or leg segment that is not a link of the model, a model that falls
through the floor (its torso below the floor after standing for `steps` control steps).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hebbkit.runtime.errors import RobotFileError
from hebbkit.runtime.robot_file import RobotSpec

ACTIONS = ("check",)
FLOOR_TOLERANCE = 0.05
"""m: a link this far below the floor has fallen through it."""
LIMIT_SLIP = 0.15
"""rad: joints that slip further past their limits under bang-bang commands get a note (docs/envs.md, "Joint
limits"); the servo quadruped with its 2.5 ms physics steps and 50 solver iterations stays near 0.05 (0.14 with a
lower leg shortened), with 5 ms and 5 iterations it reached 1.25."""
BANG_BANG_STEPS = 500


def bang_bang_excess(env, seed: int, steps: int = BANG_BANG_STEPS) -> float:
    """The largest joint-limit excess (rad) of `steps` control steps of bang-bang commands from a reset to `seed`:
    every joint at -1 or +1, switched every 3-14 steps, what a network of saturated units sends."""
    import numpy as np

    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    n = env.action_space.shape[0]
    worst, action = 0.0, np.ones(n, dtype=np.float32)
    for step in range(steps):
        if step % int(rng.integers(3, 15)) == 0:
            action = np.sign(rng.uniform(-1, 1, n)).astype(np.float32)
        env.step(action)
        worst = max(worst, env.joint_limit_excess())
    return worst


@dataclass(frozen=True)
class RobotConfig:
    """`hebbkit robot check NAME|FILE`: check a robot description file (docs/robots.md) in the simulation."""

    action: str = field(metadata={"positional": True, "help": "what to do: check", "choices": ACTIONS})
    robot: str = field(metadata={"positional": True, "help": "a built-in robot's name or a robot file (.toml)"})
    steps: int = field(default=100, metadata={"help": "control steps to stand (zero actions) before measuring"})
    json: bool = field(default=False, metadata={"help": "print the report as JSON"})


def model_inventory(spec) -> tuple[dict[str, int], set[str], float]:
    """(moving joint name -> PyBullet joint type, link names, total mass in kg) of the robot's nominal model."""
    import pybullet as p

    from .envs.morphology import MORPHOLOGIES
    from .envs.robot_body import body_of_robot

    body = body_of_robot(spec)
    client = p.connect(p.DIRECT)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = body.write_model(MORPHOLOGIES["standard"], Path(folder))
            try:
                if body.model_format == "mjcf":
                    robot = p.loadMJCF(str(path), physicsClientId=client)[0]
                else:
                    robot = p.loadURDF(str(path), physicsClientId=client)
            except p.error as error:
                raise RobotFileError(f"{spec.source}: model {path} does not load in PyBullet: {error}") from None
        joints, links = {}, {"base"}
        mass = p.getDynamicsInfo(robot, -1, physicsClientId=client)[0]
        links.add(p.getBodyInfo(robot, physicsClientId=client)[0].decode())
        for index in range(p.getNumJoints(robot, physicsClientId=client)):
            info = p.getJointInfo(robot, index, physicsClientId=client)
            joints[info[1].decode()] = info[2]
            links.add(info[12].decode())
            mass += p.getDynamicsInfo(robot, index, physicsClientId=client)[0]
        return joints, links, mass
    finally:
        p.disconnect(physicsClientId=client)


def limits_beyond_model(spec: RobotSpec) -> list[dict]:
    """The joints whose limits in the robot file reach past the model's (its URDF's <limit>, read as PyBullet reads
    it, `urdf_joint_limits`): name, the file's and the model's [lower, upper]. The simulated joint stops at the
    model's; position commands and the safety layer use the file's. Empty for a model that gives none (MJCF,
    generated)."""
    from hebbkit.runtime.robot_file import urdf_joint_limits

    model = urdf_joint_limits(spec.model) if spec.model_format == "urdf" and spec.model else {}
    return [{"name": joint.name, "file": [joint.lower, joint.upper], "model": list(model[joint.name])}
            for joint in spec.joints
            if joint.name in model and (joint.lower < model[joint.name][0] or joint.upper > model[joint.name][1])]


def check_robot(value: str | Path, steps: int = 100) -> dict:
    """The report of `hebbkit robot check`; RobotFileError (one line) when the robot cannot be used."""
    import numpy as np
    import pybullet as p

    from hebbkit.runtime.robot_file import resolve_robot

    from .envs import QuadrupedEnv

    spec = resolve_robot(value)
    joints, links, mass = model_inventory(spec)
    moving = {p.JOINT_REVOLUTE, p.JOINT_PRISMATIC}
    for name in spec.joint_names:
        if name not in joints:
            raise RobotFileError(f"{spec.source}: joint {name!r} is not in the model (its moving joints: "
                                 f"{sorted(j for j, kind in joints.items() if kind in moving)})")
        if joints[name] not in moving:
            raise RobotFileError(f"{spec.source}: joint {name!r} is fixed in the model; list moving joints only")
    for foot in spec.feet:
        if foot not in links:
            raise RobotFileError(f"{spec.source}: foot {foot!r} is not a link of the model (its links: "
                                 f"{sorted(links)})")
    if spec.model_format == "urdf":
        for leg, parts in spec.legs:
            for segment in (parts.upper, parts.lower):
                if segment and segment not in links:
                    raise RobotFileError(f"{spec.source}: the {leg} leg's segment {segment!r} is not a link of the "
                                         "model")
    env = QuadrupedEnv(robot=spec, observation=spec.observation, actuation=spec.actuation)
    try:
        env.reset(seed=0)
        start = float(env._torso_position[2])
        zeros = np.zeros(len(spec.joints), dtype=np.float32)
        lowest = start
        for _ in range(steps):
            _, _, _, _, info = env.step(zeros)
            lowest = min(lowest, float(info["torso_position"][2]))
        height = float(env._torso_position[2])
        link_heights = [state[0][2] for state in p.getLinkStates(env._robot, env._all_links,
                                                                 physicsClientId=env._client)]
        if height < 0 or min(link_heights, default=0.0) < -FLOOR_TOLERANCE:
            raise RobotFileError(f"{spec.source}: the model falls through the floor (torso at {height:.3f} m, lowest "
                                 f"link at {min(link_heights, default=height):.3f} m after {steps} steps): check its "
                                 "collision shapes and pose.start_height")
        profile = env.profile
        slip = bang_bang_excess(env, seed=0)
    finally:
        env.close()
    return {
        "robot": spec.name, "file": spec.source, "model": spec.model or f"generated ({spec.generator})",
        "mass_kg": round(mass, 4), "joints": [
            {"name": joint.name, "leg": joint.leg, "role": joint.role, "lower": joint.lower, "upper": joint.upper,
             "command": list(joint.command_range), "stand": joint.stand} for joint in spec.joints],
        "feet": list(spec.feet), "legs_for_damage": [leg for leg, parts in spec.legs if parts.upper or parts.lower],
        "actuation": spec.actuation, "actuator": spec.actuator if spec.actuation == "position" else "torque",
        "pd_solver": spec.pd_solver if spec.actuation == "position" and spec.actuator == "pd" else "",
        "control_rate_hz": round(1.0 / spec.control_period, 3),
        "physics_step_ms": round(1000.0 * spec.control_period / spec.physics_substeps, 4),
        "solver_iterations": spec.solver_iterations, "start_height": round(start, 4),
        "standing_height": round(height, 4), "lowest_torso_height": round(lowest, 4),
        "fall_height": spec.fall_height, "stands": lowest > spec.fall_height,
        "bang_bang_limit_excess": round(slip, 4), "limits_beyond_model": limits_beyond_model(spec),
        "observation": profile.observation, "observation_size": profile.n_observations,
        "offers": list(spec.offers),
    }


def describe(report: dict) -> list[str]:
    """`hebbkit robot check`'s lines."""
    lines = [f"robot        {report['robot']} ({report['file']})", f"model        {report['model']}",
             f"mass         {report['mass_kg']:.3f} kg",
             f"actuation    {report['actuation']} ({report['actuator']}"
             f"{', ' + report['pd_solver'] + ' solver' if report['pd_solver'] else ''}) at "
             f"{report['control_rate_hz']:g} Hz; physics steps of {report['physics_step_ms']:g} ms, "
             f"{report['solver_iterations']} solver iterations",
             f"joints       {len(report['joints'])} in command order:"]
    for joint in report["joints"]:
        lines.append(f"  {joint['name']:<24} {joint['leg'] or '-':<12} {joint['role'] or '-':<14} limits "
                     f"[{joint['lower']:+.4f}, {joint['upper']:+.4f}] command [{joint['command'][0]:+.4f}, "
                     f"{joint['command'][1]:+.4f}] stand {joint['stand']:+.3f}")
    lines += [f"feet         {', '.join(report['feet'])}",
              f"damage       legs {', '.join(report['legs_for_damage']) or 'none named (only the standard body)'}",
              f"observation  {report['observation']} ({report['observation_size']} entries); the robot offers "
              f"{', '.join(report['offers'])}",
              f"standing     torso {report['start_height']:.3f} m at reset, {report['standing_height']:.3f} m after "
              f"standing (lowest {report['lowest_torso_height']:.3f} m; falls below {report['fall_height']:g} m)"]
    lines.append(f"limits       joints up to {report['bang_bang_limit_excess']:.3f} rad past their limits under "
                 f"{BANG_BANG_STEPS} steps of bang-bang commands")
    if report["bang_bang_limit_excess"] > LIMIT_SLIP:
        lines.append(f"note         joints slip more than {LIMIT_SLIP} rad past their limits: raise "
                     "control.physics_substeps (a shorter physics step) and control.solver_iterations (docs/envs.md, "
                     "\"Joint limits\")"
                     + ("; the built-in Ant's ant.xml ranges are not held by PyBullet at all, as in pybullet_envs "
                        "(docs/envs.md)" if report["robot"] == "ant" else ""))
    for joint in report["limits_beyond_model"]:
        lines.append(f"note         joint {joint['name']}: the file's limits [{joint['file'][0]:+.4f}, "
                     f"{joint['file'][1]:+.4f}] exceed the model's [{joint['model'][0]:+.4f}, "
                     f"{joint['model'][1]:+.4f}]: the simulated joint stops at the model's, while position "
                     "commands and the safety layer use the file's (a typo, or a model to update?)")
    if not report["stands"]:
        lines.append("note         with zero actions the torso drops below the fall height (fine for a torque "
                     "robot that needs its policy to stand; check the standing pose of a position robot)")
    lines.append("check        OK")
    return lines


def run_robot(config: RobotConfig) -> int:
    if config.steps < 1:
        raise RobotFileError(f"--steps must be >= 1, got {config.steps}")
    report = check_robot(config.robot, config.steps)
    print(json.dumps(report, indent=2) if config.json else "\n".join(describe(report)))
    return 0
