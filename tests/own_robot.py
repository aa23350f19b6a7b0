"""A small 12-joint quadruped of one's own, written as URDF with its robot file: the path a user takes."""

from __future__ import annotations

from pathlib import Path

LEG_SIGNS = {"front_left": (1, 1), "front_right": (1, -1), "rear_left": (-1, 1), "rear_right": (-1, -1)}


def _inertial(mass: float, size: float, z: float = 0.0) -> str:
    inertia = mass * size * size / 6
    return (f'<inertial><origin xyz="0 0 {z}"/><mass value="{mass}"/><inertia ixx="{inertia}" iyy="{inertia}" '
            f'izz="{inertia}" ixy="0" ixz="0" iyz="0"/></inertial>')


def _box(size: str, z: float = 0.0) -> str:
    shape = f'<origin xyz="0 0 {z}"/><geometry><box size="{size}"/></geometry>'
    return f"<visual>{shape}</visual><collision>{shape}</collision>"


def write_urdf(path: Path, segment: float = 0.12) -> Path:
    """A 4 kg quadruped: per leg hip abduction (x), hip (y) and knee (y), a foot sphere on a fixed joint."""
    parts = ['<robot name="own_dog">', f'<link name="torso">{_inertial(2.0, 0.2)}{_box("0.3 0.16 0.06")}</link>']
    for leg, (sx, sy) in LEG_SIGNS.items():
        parts.append(
            f'<link name="{leg}_hip">{_inertial(0.1, 0.04)}{_box("0.04 0.04 0.04")}</link>'
            f'<joint name="{leg}_abduction" type="revolute"><parent link="torso"/><child link="{leg}_hip"/>'
            f'<origin xyz="{sx * 0.13} {sy * 0.1} -0.03"/><axis xyz="1 0 0"/>'
            '<limit lower="-0.5" upper="0.5" effort="5" velocity="20"/></joint>'
            f'<link name="{leg}_upper">{_inertial(0.2, segment, -segment / 2)}'
            f'{_box(f"0.025 0.025 {segment}", -segment / 2)}</link>'
            f'<joint name="{leg}_hip_pitch" type="revolute"><parent link="{leg}_hip"/><child link="{leg}_upper"/>'
            '<origin xyz="0 0 0"/><axis xyz="0 1 0"/><limit lower="-1.0" upper="1.6" effort="5" velocity="20"/>'
            '</joint>'
            f'<link name="{leg}_lower">{_inertial(0.2, segment, -segment / 2)}'
            f'{_box(f"0.02 0.02 {segment}", -segment / 2)}</link>'
            f'<joint name="{leg}_knee" type="revolute"><parent link="{leg}_upper"/><child link="{leg}_lower"/>'
            f'<origin xyz="0 0 {-segment}"/><axis xyz="0 1 0"/>'
            '<limit lower="-2.2" upper="-0.3" effort="5" velocity="20"/></joint>'
            f'<link name="{leg}_foot">{_inertial(0.02, 0.03)}<collision><geometry><sphere radius="0.015"/>'
            '</geometry></collision></link>'
            f'<joint name="{leg}_foot_fixed" type="fixed"><parent link="{leg}_lower"/><child link="{leg}_foot"/>'
            f'<origin xyz="0 0 {-segment}"/></joint>')
    parts.append("</robot>")
    path.write_text("\n".join(parts))
    return path


ROBOT_FILE = """\
name = "own_dog"
description = "a 12-joint test quadruped"
model = "own_dog.urdf"
length = 0.3
feet = ["front_left_foot", "front_right_foot", "rear_left_foot", "rear_right_foot"]

[control]
period = 0.02
physics_substeps = 10

[pose]
start_height = 0.26
fall_height = 0.1

[actuation]
mode = "position"
model = "pd"
torque_limit = 5.0
speed_limit = 20.0

[observation]
layout = "proprio_contacts_action"
offers = ["joint_position", "joint_velocity", "roll_pitch_yaw", "angular_velocity", "foot_contact"]
"""


def write_robot(folder: Path) -> Path:
    """The URDF and its robot file in `folder`; the robot file's path."""
    write_urdf(folder / "own_dog.urdf")
    joints = []
    for leg in LEG_SIGNS:
        for name, role, stand, command in (("abduction", "hip_abduction", 0.0, "[-0.3, 0.3]"),
                                           ("hip_pitch", "hip", 0.6, "[0.0, 1.2]"),
                                           ("knee", "knee", -1.2, "[-1.8, -0.6]")):
            joints.append(f'\n[[joints]]\nname = "{leg}_{name}"\nleg = "{leg}"\nrole = "{role}"\nstand = {stand}\n'
                          f"command = {command}\nkp = 8.0\nkd = 0.1\n")
    legs = "".join(f'\n[legs.{leg}]\nupper = "{leg}_upper"\nlower = "{leg}_lower"\n' for leg in LEG_SIGNS)
    path = folder / "own_dog.toml"
    path.write_text(ROBOT_FILE + "".join(joints) + legs)
    return path
