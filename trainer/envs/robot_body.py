"""The env's `Body` of a robot file (`hebbkit.runtime.robot_file`): built-in robots by name, anyone's by path.

Damage follows the model: an MJCF's segments are geoms scaled along their `fromto` (the Ant's way), a URDF's are
links (`urdf_damage`), and a generated model is written by its generator with the segments scaled.
"""

from __future__ import annotations

import dataclasses
import functools
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from hebbkit.runtime.errors import RobotFileError
from hebbkit.runtime.robot_file import RobotSpec, resolve_robot

from .bodies import Body, PDActuator, Servo, make_servo_quadruped, model_file_tag
from .morphology import Morphology, damage_ant_mjcf
from .urdf_damage import write_damaged_urdf


def body_of_robot(robot: str | Path | RobotSpec) -> Body:
    """The `Body` of a built-in robot's name, a robot file's path or a `RobotSpec` (cached per file)."""
    spec = resolve_robot(robot)
    return _body(spec)


@functools.lru_cache(maxsize=32)
def _body(spec: RobotSpec) -> Body:
    return body_from_spec(spec)


def body_from_spec(spec: RobotSpec) -> Body:
    """What the env needs to simulate the robot `spec` describes."""
    if spec.generator:
        base = make_servo_quadruped()
        write = base.write_model
        model_format = base.model_format
    else:
        if not spec.model_found:
            raise RobotFileError(f"{spec.source}: model {spec.model} not found (relative paths are looked up beside "
                                 "the robot file, then in pybullet_data)")
        write = _model_writer(spec)
        model_format = spec.model_format
    n = len(spec.joints)
    pd = None
    if spec.actuator == "pd":
        pd = PDActuator(kp=tuple(joint.kp for joint in spec.joints), kd=tuple(joint.kd for joint in spec.joints),
                        torque_limit=tuple(joint.torque_limit for joint in spec.joints),
                        speed_limit=tuple(joint.speed_limit for joint in spec.joints), solver=spec.pd_solver)
    torque = spec.joints[0].torque_limit if n else spec.torque_per_action
    speed = spec.joints[0].speed_limit if n else 10.0
    return Body(
        name=spec.name, write_model=write, model_format=model_format, joint_names=spec.joint_names,
        foot_links=spec.feet, alive_height=spec.fall_height, control_period=spec.control_period,
        physics_substeps=spec.physics_substeps, torque_per_action=spec.torque_per_action,
        servo=Servo(stall_torque=torque, max_speed=speed, position_gain=spec.position_gain,
                    velocity_gain=spec.velocity_gain),
        start_height=spec.start_height, parts_mean_includes_floor=spec.parts_mean_includes_floor,
        self_collision=spec.self_collision, length=spec.length, notes=spec.description,
        parameters=make_servo_quadruped().parameters if spec.generator else {},
        joint_legs=spec.joint_legs,
        stand_pose=spec.stand_pose if any(spec.stand_pose) else (),
        command_limits=spec.command_limits, pd=pd, solver_iterations=spec.solver_iterations,
    )


def _model_writer(spec: RobotSpec):
    source = Path(spec.model)
    legs = spec.leg_parts

    def write(morphology: Morphology, folder: Path) -> Path:
        if not morphology.segment_scales():  # nominal geometry (weakened motors need no new model file)
            return source
        if spec.model_format == "mjcf":
            parts = {leg: (p.upper_body, p.upper, p.lower_body, p.lower) for leg, p in legs.items()}
            tree = damage_ant_mjcf(ElementTree.parse(source), morphology, parts)  # type: ignore[arg-type]
            path = Path(folder) / f"{spec.name}_{model_file_tag(morphology)}.xml"
            tree.write(path)
            return path
        return write_damaged_urdf(source, morphology, legs, Path(folder) / f"{spec.name}_"
                                  f"{model_file_tag(morphology)}.urdf")

    return write


def same_physics(first: Body, second: Body) -> list[str]:
    """The fields (other than the model writer and notes) in which two bodies differ: empty when they simulate
    alike."""
    skip = {"write_model", "notes", "parameters"}
    return [item.name for item in dataclasses.fields(Body)
            if item.name not in skip and getattr(first, item.name) != getattr(second, item.name)]
