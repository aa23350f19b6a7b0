"""Morphologies change the right segment and nothing else, on both bodies, and every damaged body simulates; bodies
written as text have one canonical name, refuse bad input with a clear message and build the same env."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import numpy as np
import pybullet as p
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.envs import LegDamage, Morphology, QuadrupedEnv
from hebbkit.trainer.envs.bodies import ServoQuadrupedParameters, ant_mjcf_path, servo_quadruped_urdf
from hebbkit.trainer.envs.morphology import (
    MORPHOLOGIES,
    canonical_damages,
    damage_ant_mjcf,
    format_spec,
    parse_spec,
    resolve_morphology,
)


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


# ------------------------------------------------------------------------------------------ bodies written as text


@pytest.mark.parametrize("spelling, canonical", [
    ("front_left:lower:0.25", "front_left:lower:0.25"),
    ("front_right:lower:0.25+front_left:lower:0.25", "front_left:lower:0.25+front_right:lower:0.25"),
    (" front_right : lower : .250 + front_left:lower:25e-2 ", "front_left:lower:0.25+front_right:lower:0.25"),
    ("rear_right:lower:1.50+rear_right:upper:2", "rear_right:upper:2+rear_right:lower:1.5"),
    ("rear_left:lower:0.0", "rear_left:lower:0"),
    ("rear_left:lower:-0", "rear_left:lower:0"),
    ("front_left:upper:1+rear_left:lower:0.4", "rear_left:lower:0.4"),  # scale 1 changes nothing
    ("front_left:upper:1.0", "standard"),
    ("standard", "standard"),
])
def test_spellings_of_one_body_get_one_canonical_name(spelling, canonical):
    morphology = resolve_morphology(spelling)
    assert morphology.spec == canonical
    if canonical == "standard":
        assert morphology is MORPHOLOGIES["standard"]
    else:
        assert morphology.name == canonical
    assert format_spec(parse_spec(canonical)) == canonical  # format(parse(x)) == x on canonical text
    assert resolve_morphology(canonical) == morphology
    assert parse_spec(spelling) == morphology.damages


def test_parse_and_format_round_trip_damages():
    damages = (LegDamage("front_left", "upper", 0.5), LegDamage("front_left", "lower", 0.1 + 0.2),
               LegDamage("rear_right", "lower", 0.0), LegDamage("rear_left", "upper", 4.0))
    text = format_spec(damages)
    assert text == "front_left:upper:0.5+front_left:lower:0.30000000000000004+rear_left:upper:4+rear_right:lower:0"
    assert parse_spec(text) == canonical_damages(damages)
    assert Morphology("x", damages).segment_scales() == resolve_morphology(text).segment_scales()


def test_presets_keep_their_names_and_have_specs():
    assert resolve_morphology("damaged_left_front") is MORPHOLOGIES["damaged_left_front"]
    assert MORPHOLOGIES["damaged_left_front"].spec == "front_left:lower:0.25"
    assert MORPHOLOGIES["damaged_right_front"].spec == "front_right:lower:0.25"
    assert MORPHOLOGIES["standard"].spec == "standard"
    assert resolve_morphology([LegDamage("rear_left", "lower", 0.5)]).name == "rear_left:lower:0.5"
    # repeated damages of one segment combine, as LegDamage lists always did
    assert resolve_morphology([LegDamage("rear_left"), LegDamage("rear_left", scale=2.0)]).spec == "rear_left:lower:0.5"


@pytest.mark.parametrize("spec, message", [
    ("front_left:lower:0.25+", r"part 2 is empty; expected leg:segment:scale"),
    ("+front_left:lower:0.25", r"part 1 is empty"),
    ("front_left:lower:0.25++rear_left:lower:1", r"part 2 is empty"),
    ("middle_left:lower:0.25", r"unknown leg 'middle_left'; expected one of front_left, front_right, rear_left"),
    ("front_left:foot:0.25", r"unknown segment 'foot'; expected one of upper, lower"),
    ("front_left:lower:short", r"scale 'short' is not a number; expected a number within \[0, 4\]"),
    ("front_left:lower:", r"scale '' is not a number"),
    ("front_left:lower:4.5", r"scale '4.5' is outside \[0, 4\]"),
    ("front_left:lower:-0.5", r"scale '-0.5' is outside \[0, 4\]"),
    ("front_left:lower:nan", r"scale 'nan' is outside \[0, 4\]"),
    ("front_left:0.25", r"is 'front_left:0.25' \(2 field\(s\)\); expected leg:segment:scale"),
    ("front_left:lower:0.25:1", r"\(4 field\(s\)\)"),
    ("front_left:lower:0.5+front_left:lower:0.5", r"front_left:lower appears twice"),
    ("no_legs", r"unknown morphology 'no_legs'; expected a preset \(damaged_left_front, damaged_right_front, "
                r"standard\) or leg:segment:scale parts joined by '\+'"),
])
def test_a_bad_spec_says_what_was_expected_and_what_was_found(spec, message):
    with pytest.raises(ConfigError, match=message):
        resolve_morphology(spec)


def test_an_env_from_a_spec_is_the_body_of_the_equivalent_leg_damages():
    spec = "rear_right:upper:0.5+front_left:lower:0.25"
    from_text = QuadrupedEnv(morphology=spec)
    from_damages = QuadrupedEnv(morphology=[LegDamage("front_left", "lower", 0.25),
                                            LegDamage("rear_right", "upper", 0.5)])
    from_text.reset(seed=0)
    model = from_text.body.write_model(from_text.morphology, from_text._folder)
    assert ":" not in model.name and "+" not in model.name  # a file-name-safe tag, not the raw spec
    reference = ElementTree.parse(model)
    expected = damage_ant_mjcf(ElementTree.parse(ant_mjcf_path()), from_damages.morphology)
    assert elements(reference) == elements(expected)
    assert p.getNumJoints(from_text._robot, physicsClientId=from_text._client) == p.getNumJoints(
        from_damages._robot, physicsClientId=from_damages._client)
    action = np.full(8, 0.3, dtype=np.float32)
    for env in (from_text, from_damages):
        env.reset(seed=4)
    for _ in range(20):
        observed = [env.step(action)[0] for env in (from_text, from_damages)]
        np.testing.assert_array_equal(*observed)
    for env in (from_text, from_damages):
        env.close()


def test_a_preset_and_its_spelling_walk_bit_identically():
    preset, spelled = QuadrupedEnv(morphology="damaged_left_front"), QuadrupedEnv(morphology="front_left:lower:0.25")
    assert preset.morphology.spec == spelled.morphology.spec
    first = [preset.reset(seed=2)[0]] + [preset.step(np.full(8, -0.2, dtype=np.float32))[0] for _ in range(15)]
    second = [spelled.reset(seed=2)[0]] + [spelled.step(np.full(8, -0.2, dtype=np.float32))[0] for _ in range(15)]
    np.testing.assert_array_equal(first, second)
    preset.close()
    spelled.close()


def test_the_servo_quadruped_takes_a_spec_too():
    env = QuadrupedEnv(robot="servo_quadruped", morphology="front_right:lower:0.25", actuation="position")
    preset = servo_quadruped_urdf(ServoQuadrupedParameters(), MORPHOLOGIES["damaged_right_front"])
    assert env.body.write_model(env.morphology, env._folder).read_text() == preset
    env.close()
