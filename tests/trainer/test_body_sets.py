"""Evaluation and validation bodies, and the training body distribution that must never produce them."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.envs import BODY_DISTRIBUTIONS, UNSEEN_BODIES, VALIDATION_BODIES, BodyDistribution
from hebbkit.trainer.envs.body_sets import (
    ALL_UNSEEN_BODIES,
    BODY_LABELS,
    UNSEEN_CATEGORIES,
    VALIDATION2_BODIES,
    bodies_in_support,
    categories_held_out,
    expand_bodies,
)
from hebbkit.trainer.envs.morphology import LEGS, format_spec, parse_spec, resolve_morphology


def test_the_unseen_bodies_are_the_issues_list():
    specs = {resolve_morphology(body).spec for body in UNSEEN_BODIES}
    assert specs == {
        "front_left:lower:0.25", "front_right:lower:0.25", "rear_left:lower:0.25", "rear_right:lower:0.25",
        "front_left:lower:0.25+front_right:lower:0.25", "front_left:lower:1.5+front_right:lower:1.5",
        "front_left:lower:0", "front_right:lower:0", "rear_left:lower:0", "rear_right:lower:0",
    }
    assert len(specs) == len(UNSEEN_BODIES)


def test_validation_bodies_share_only_damaged_left_front_with_the_unseen_ones():
    assert VALIDATION_BODIES == ("damaged_left_front", "rear_left:lower:0.4",
                                 "rear_left:lower:1.5+rear_right:lower:1.5")
    unseen = {resolve_morphology(body).spec for body in UNSEEN_BODIES}
    shared = {resolve_morphology(body).spec for body in VALIDATION_BODIES} & unseen
    assert shared == {"front_left:lower:0.25"}


def test_every_listed_body_is_written_canonically_and_labelled():
    labels = set()
    for body in ALL_UNSEEN_BODIES + VALIDATION_BODIES + VALIDATION2_BODIES:
        morphology = resolve_morphology(body)
        assert body == morphology.name  # a preset name or the canonical spec: what eval reports use as keys
        labels.add(BODY_LABELS[body])
    assert all(":" not in label and "+" not in label for label in labels)
    assert len(labels) == len(set(ALL_UNSEEN_BODIES + VALIDATION_BODIES + VALIDATION2_BODIES))


def test_list_names_expand_in_place_without_repeats():
    assert expand_bodies(["standard", "validation"]) == ("standard", *VALIDATION_BODIES)
    expanded = expand_bodies(["lower-legs", "validation", "rear_left:lower:0.4"])
    assert expanded == UNSEEN_BODIES + VALIDATION_BODIES[1:]
    assert expand_bodies(["unseen"]) == ALL_UNSEEN_BODIES
    assert expand_bodies(["actuators", "validation2"]) == UNSEEN_CATEGORIES["actuators"] + VALIDATION2_BODIES
    with pytest.raises(ConfigError, match="unknown leg 'hind'"):
        expand_bodies(["standard", "hind:lower:0.5"])


def test_sampling_is_reproducible_for_a_seed():
    distribution = BODY_DISTRIBUTIONS["leg-scales"]
    first = distribution.sample(np.random.default_rng(7), 20)
    assert first == distribution.sample(np.random.default_rng(7), 20)
    assert first != distribution.sample(np.random.default_rng(8), 20)
    assert len(first) == 20 and all(isinstance(body, str) for body in first)


def test_samples_are_canonical_short_specs_inside_the_support():
    distribution = BodyDistribution()
    bodies = distribution.sample(np.random.default_rng(0), 400)
    severe = 0
    for body in bodies:
        assert format_spec(parse_spec(body)) == body  # canonical text
        assert all(len(part.split(":")[2].split(".")[-1]) <= 2 for part in body.split("+"))  # 2 decimals at most
        assert distribution.contains(body)
        scales = resolve_morphology(body).segment_scales()
        lowers = [scales.get((leg, "lower"), 1.0) for leg in LEGS]
        uppers = [scales.get((leg, "upper"), 1.0) for leg in LEGS]
        assert all(0.5 <= scale <= 1.3 for scale in lowers)
        damaged = [scale for scale in uppers if scale < 0.5]
        assert len(damaged) <= 1 and all(0.0 <= scale <= 0.4 for scale in damaged)
        assert all(0.5 <= scale <= 1.3 for scale in uppers if scale >= 0.5)
        severe += len(damaged)
    assert 160 <= severe <= 240  # probability 0.5 over 400 bodies


def test_support_membership_by_hand():
    distribution = BodyDistribution()
    assert distribution.contains("standard")
    assert distribution.contains("front_left:lower:0.5+rear_right:upper:1.3")
    assert distribution.contains("rear_right:upper:0")  # one upper segment removed: the severe damage
    assert distribution.contains("rear_right:upper:0.4+front_left:upper:0.6")
    assert not distribution.contains("rear_right:upper:0.2+front_left:upper:0.1")  # two severe uppers
    assert not distribution.contains("rear_right:upper:0.45")  # between the two ranges
    for lower in ("0.25", "0", "1.5", "0.4", "0.49", "1.31"):
        assert not distribution.contains(f"front_left:lower:{lower}")
    assert not BodyDistribution(upper_damage_probability=0.0).contains("rear_right:upper:0")


def test_no_evaluation_or_validation_body_lies_inside_a_training_distribution():
    for name, distribution in BODY_DISTRIBUTIONS.items():
        if name != "leg-scales-wide":
            assert bodies_in_support(distribution) == (), name
            assert categories_held_out(distribution) == tuple(UNSEEN_CATEGORIES), name
    wide = BodyDistribution(low=0.2, high=1.6)
    assert "front_left:lower:1.5+front_right:lower:1.5" in bodies_in_support(wide)  # the check does find them


def test_a_bad_distribution_is_refused():
    with pytest.raises(ConfigError, match="low <= high"):
        BodyDistribution(low=1.3, high=0.5)
    with pytest.raises(ConfigError, match="within \\[0, 1\\]"):
        BodyDistribution(upper_damage_probability=1.5)


def test_the_unseen_categories_cover_every_kind_of_change():
    assert tuple(UNSEEN_CATEGORIES) == ("lower-legs", "upper-legs", "uniform-scale", "several-legs", "actuators")
    assert UNSEEN_CATEGORIES["lower-legs"] == UNSEEN_BODIES
    assert len(set(ALL_UNSEEN_BODIES)) == len(ALL_UNSEEN_BODIES) == 24
    for body in UNSEEN_CATEGORIES["upper-legs"]:
        assert {part for _, part in resolve_morphology(body).part_scales()} == {"upper"}, body
    for body in UNSEEN_CATEGORIES["uniform-scale"]:
        scales = resolve_morphology(body).part_scales()
        assert len(scales) == 8 and len(set(scales.values())) == 1, body
    for body in UNSEEN_CATEGORIES["several-legs"] + UNSEEN_CATEGORIES["actuators"]:
        assert len({leg for leg, _ in resolve_morphology(body).part_scales()}) >= 2, body
    for body in UNSEEN_CATEGORIES["actuators"]:
        assert resolve_morphology(body).segment_scales() == {}, body


def test_round_two_validation_bodies_are_in_no_evaluation_list_and_no_training_distribution():
    evaluation = {resolve_morphology(body).spec for body in ALL_UNSEEN_BODIES}
    assert not {resolve_morphology(body).spec for body in VALIDATION2_BODIES} & evaluation
    assert len(VALIDATION2_BODIES) == len(UNSEEN_CATEGORIES)  # one per category
    for name, distribution in BODY_DISTRIBUTIONS.items():
        assert bodies_in_support(distribution, VALIDATION2_BODIES) == (), name


def test_the_wide_distribution_damages_one_leg_in_any_part_and_holds_out_whole_categories():
    wide = BODY_DISTRIBUTIONS["leg-scales-wide"]
    bodies = wide.sample(np.random.default_rng(0), 600)
    kinds = {"upper": 0, "lower": 0, "motor": 0}
    for body in bodies:
        assert wide.contains(body) and format_spec(parse_spec(body)) == body
        morphology = resolve_morphology(body)
        damaged = {(leg, part) for (leg, part), scale in morphology.part_scales().items()
                   if (part == "motor" and scale != 1) or not 0.5 <= scale <= 1.3}
        assert len({leg for leg, _ in damaged}) <= 1, body  # never several legs
        for _, part in damaged:
            kinds[part] += 1
    assert all(150 <= count <= 270 for count in kinds.values()), kinds  # probability 0.35 each over 600 bodies
    assert categories_held_out(wide) == ("upper-legs", "uniform-scale", "several-legs", "actuators")
    seen = set(bodies_in_support(wide, UNSEEN_BODIES))  # the single-leg lower damage it trains on
    assert seen == {body for body in UNSEEN_BODIES if len(resolve_morphology(body).damages) == 1} - {
        "front_left:lower:1.5+front_right:lower:1.5"}
    assert not wide.contains("front_left:lower:0.2+rear_right:motor:0.3")  # two legs
    assert wide.contains("front_left:lower:0.2+front_left:motor:0.3")  # one leg, two kinds


def test_distributions_without_the_new_kinds_sample_the_bodies_they_always_did():
    # recorded before lower damage and one_damaged_leg existed: resumed runs must meet the same bodies
    assert BODY_DISTRIBUTIONS["leg-scales"].sample(np.random.default_rng(3), 2)[0] == (
        "front_left:upper:0.57+front_left:lower:0.69+front_right:upper:1.14+front_right:lower:0.97+rear_left:upper:0.12"
        "+rear_left:lower:0.85+rear_right:upper:0.88+rear_right:lower:0.63")
