"""Morphologies change the right segment and nothing else, on both bodies, and every damaged body simulates."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import numpy as np
import pybullet as p
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.envs import LegDamage, Morphology, QuadrupedEnv
from hebbkit.trainer.envs.bodies import ServoQuadrupedParameters, ant_mjcf_path, servo_quadruped_urdf
from hebbkit.trainer.envs.morphology import MORPHOLOGIES, damage_ant_mjcf


def elements(tree: ElementTree.ElementTree) -> list[tuple[str, dict]]:
    return [(element.tag, dict(element.attrib)) for element in tree.getroot().iter()]


def differences(before: ElementTree.ElementTree, after: ElementTree.ElementTree) -> list[tuple]:
    return [(a, b) for a, b in zip(elements(before), elements(after)) if a != b]


@pytest.mark.parametrize("preset, geom, fromto", [
    ("damaged_right_front", "fourth_ankle_geom", "0.0 0.0 0.0 0.1 -0.1 0.0"),
    ("damaged_left_front", "left_ankle_geom", "0.0 0.0 0.0 0.1 0.1 0.0"),
])
def test_paper_presets_shorten_exactly_the_named_ant_geom(preset, geom, fromto):
    nominal = ElementTree.parse(ant_mjcf_path())
    damaged = damage_ant_mjcf(nominal, MORPHOLOGIES[preset])
    changed = differences(nominal, damaged)
    assert len(changed) == 1
    (tag, before), (_, after) = changed[0]
    assert tag == "geom" and before["name"] == after["name"] == geom
    assert [float(v) for v in after["fromto"].split()] == [float(v) for v in fromto.split()]
    assert {k: v for k, v in before.items() if k != "fromto"} == {k: v for k, v in after.items() if k != "fromto"}


def test_upper_segment_damage_moves_the_lower_segment_with_it():
    nominal = ElementTree.parse(ant_mjcf_path())
    damaged = damage_ant_mjcf(nominal, Morphology("x", (LegDamage("rear_right", "upper", 0.5),)))
    changed = {after["name"]: after for (_, _), (_, after) in differences(nominal, damaged)}
    assert changed["back_leg_geom"]["fromto"].split()[3:5] == ["-0.1", "-0.1"]
    assert changed["left_back_foot"]["pos"].split()[:2] == ["-0.1", "-0.1"]
    assert len(changed) == 2


def test_scale_zero_removes_the_segment():
    nominal = ElementTree.parse(ant_mjcf_path())
    damaged = damage_ant_mjcf(nominal, Morphology("x", (LegDamage("front_left", "lower", 0.0),)))
    names = {geom.get("name") for geom in damaged.getroot().iter("geom") if geom.get("name")}
    assert "left_ankle_geom" not in names and len(names) == 12


def collision_extent(env: QuadrupedEnv, link_name: str) -> float:
    """The diagonal of a link's axis-aligned bounding box, as PyBullet loaded it (after a seeded reset)."""
    env.reset(seed=0)
    index = {p.getJointInfo(env._robot, j, physicsClientId=env._client)[12].decode(): j
             for j in range(p.getNumJoints(env._robot, physicsClientId=env._client))}[link_name]
    low, high = p.getAABB(env._robot, index, physicsClientId=env._client)
    return float(np.linalg.norm(np.subtract(high, low)))


def test_loaded_ant_has_the_damaged_link_only():
    standard, damaged = QuadrupedEnv(), QuadrupedEnv(morphology="damaged_right_front")
    for link in ("front_left_foot", "front_right_foot", "left_back_foot", "right_back_foot"):
        same = collision_extent(standard, link) == collision_extent(damaged, link)
        assert same == (link != "right_back_foot"), link
    assert collision_extent(damaged, "right_back_foot") < collision_extent(standard, "right_back_foot")


def test_servo_quadruped_damage_changes_only_that_legs_segment():
    parameters = ServoQuadrupedParameters()
    nominal = ElementTree.ElementTree(ElementTree.fromstring(servo_quadruped_urdf(parameters, Morphology("s"))))
    damaged = ElementTree.ElementTree(ElementTree.fromstring(
        servo_quadruped_urdf(parameters, MORPHOLOGIES["damaged_right_front"])))
    before, after = elements(nominal), elements(damaged)
    assert len(before) == len(after)
    links = [element.get("name") for element in damaged.getroot().iter("link")]
    changed_links = set()
    for link, (a, b) in zip(links, zip(nominal.getroot().iter("link"), damaged.getroot().iter("link"))):
        if ElementTree.tostring(a) != ElementTree.tostring(b):
            changed_links.add(link)
    assert changed_links == {"front_right_lower"}


@pytest.mark.parametrize("robot", ["ant", "servo_quadruped"])
@pytest.mark.parametrize("damage", [LegDamage("front_right", "lower", 0.0), LegDamage("rear_left", "upper", 0.0),
                                    LegDamage("front_left", "upper", 0.5), LegDamage("rear_right", "lower", 1.5)])
def test_every_damaged_body_simulates(robot, damage):
    env = QuadrupedEnv(robot=robot, morphology=[damage], actuation="position")
    env.reset(seed=0)
    for _ in range(30):
        observation, *_ = env.step(np.zeros(8, dtype=np.float32))
    assert np.isfinite(observation).all()


def test_invalid_damage_is_refused():
    with pytest.raises(ConfigError, match="unknown leg"):
        LegDamage("middle_left")
    with pytest.raises(ConfigError, match="segment"):
        LegDamage("front_left", "foot")
    with pytest.raises(ConfigError, match="within"):
        LegDamage("front_left", "lower", -1)
