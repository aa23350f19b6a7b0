"""Body damage for any URDF whose legs are named in its robot file: a leg segment (a link) scaled or removed.

Scaling a segment by `s` moves everything hanging off its end (the origins of its child joints) by `s`, stretches
its visual and collision shapes along the segment (the direction of its longest child joint; boxes, cylinders and
meshes, sphere radii unchanged) and scales its mass and inertia by `s` (at least 5% of them, so a removed segment
still has a valid inertia). `s` = 0 removes the segment's shapes: the next joint sits at the end of the previous
segment. Mesh files are referred to by absolute paths in the written copy, so it loads from any folder.
"""

from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.robot_file import LegSpec

from .morphology import Morphology

MIN_MASS_FRACTION = 0.05


def _vector(text: str | None) -> np.ndarray:
    values = [float(item) for item in (text or "0 0 0").split()]
    return np.array(values if len(values) == 3 else [0.0, 0.0, 0.0])


def _text(values: np.ndarray) -> str:
    return " ".join(repr(round(float(value), 9)) for value in values)


def rotation(rpy: np.ndarray) -> np.ndarray:
    """URDF's fixed-axis roll, pitch, yaw as a rotation matrix (Rz(yaw) Ry(pitch) Rx(roll))."""
    roll, pitch, yaw = rpy
    cr, sr, cp, sp, cy, sy = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch), math.cos(yaw),
                              math.sin(yaw))
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]])


def _stretch(element: ElementTree.Element, direction: np.ndarray, scale: float) -> None:
    """Scale a visual or collision element's origin by `scale` and its shape along `direction` (link frame)."""
    origin = element.find("origin")
    rpy = _vector(origin.get("rpy") if origin is not None else None)
    if origin is not None:
        origin.set("xyz", _text(_vector(origin.get("xyz")) * scale))
    local = rotation(rpy).T @ direction  # the segment's direction in the shape's own frame
    factors = 1.0 + (scale - 1.0) * local * local  # `scale` along the segment, 1 across it
    geometry = element.find("geometry")
    if geometry is None:
        return
    box, cylinder, mesh = geometry.find("box"), geometry.find("cylinder"), geometry.find("mesh")
    if box is not None:
        box.set("size", _text(_vector(box.get("size")) * factors))
    if cylinder is not None:
        cylinder.set("length", repr(round(float(cylinder.get("length", "0")) * factors[2], 9)))
    if mesh is not None:
        mesh.set("scale", _text(_vector(mesh.get("scale") or "1 1 1") * factors))


def _scale_inertial(link: ElementTree.Element, scale: float) -> None:
    inertial = link.find("inertial")
    if inertial is None:
        return
    factor = max(scale, MIN_MASS_FRACTION)
    mass = inertial.find("mass")
    if mass is not None:
        mass.set("value", repr(float(mass.get("value", "0")) * factor))
    origin = inertial.find("origin")
    if origin is not None:
        origin.set("xyz", _text(_vector(origin.get("xyz")) * scale))
    inertia = inertial.find("inertia")
    if inertia is not None:
        for key, value in inertia.attrib.items():
            inertia.set(key, repr(float(value) * factor))


def damage_urdf_tree(tree: ElementTree.ElementTree, morphology: Morphology, legs: Mapping[str, LegSpec],
                     source: Path) -> ElementTree.ElementTree:
    """A copy of the parsed URDF with the morphology's segments scaled (see the module docstring)."""
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    if root is None:
        raise ConfigError(f"{source.name}: empty URDF document")
    links = {link.get("name"): link for link in root.iter("link")}
    children: dict[str, list[ElementTree.Element]] = {}
    for joint in root.iter("joint"):
        parent = joint.find("parent")
        if parent is not None:
            children.setdefault(str(parent.get("link")), []).append(joint)
    for (leg, segment), scale in morphology.segment_scales().items():
        parts = legs.get(leg)
        name = getattr(parts, segment, "") if parts is not None else ""
        if not name:
            raise ConfigError(f"morphology {morphology.name!r} changes the {leg} leg's {segment} segment, which the "
                              f"robot file does not name ([legs.{leg}] {segment} = \"LINK\")")
        link = links.get(name)
        if link is None:
            raise ConfigError(f"{source.name}: no link named {name!r} (the {leg} leg's {segment} segment)")
        ends = [_vector(origin.get("xyz")) for joint in children.get(name, [])
                if (origin := joint.find("origin")) is not None]
        segment_vector = max(ends, key=lambda v: float(np.linalg.norm(v)), default=np.zeros(3))
        length = float(np.linalg.norm(segment_vector))
        direction = segment_vector / length if length > 0 else np.array([0.0, 0.0, 1.0])
        for joint in children.get(name, []):
            origin = joint.find("origin")
            if origin is not None:
                origin.set("xyz", _text(_vector(origin.get("xyz")) * scale))
        for element in list(link):
            if element.tag in ("visual", "collision"):
                if scale == 0.0:
                    link.remove(element)
                else:
                    _stretch(element, direction, scale)
        _scale_inertial(link, scale)
    for mesh in root.iter("mesh"):  # the copy lives elsewhere: refer to the meshes by absolute paths
        filename = mesh.get("filename", "")
        if filename and "://" not in filename and not Path(filename).is_absolute():
            mesh.set("filename", str((source.parent / filename).resolve()))
    return tree


def write_damaged_urdf(source: Path, morphology: Morphology, legs: Mapping[str, LegSpec], target: Path) -> Path:
    """Write the damaged copy of the URDF at `source` to `target`; returns `target`."""
    tree = damage_urdf_tree(ElementTree.parse(source), morphology, legs, source)  # type: ignore[arg-type]
    tree.write(target)
    return target
