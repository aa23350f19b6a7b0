"""Morphologies: bodies with leg segments shortened, scaled or removed, generated from the nominal model at run time.

Legs are named by where they stand relative to the walking direction (+x): `front_left`, `front_right`,
`rear_left`, `rear_right`; each has an `upper` and a `lower` segment. A `LegDamage` scales one segment's length by a
factor (0 removes it). The paper's damage sets are presets:

- `standard`: nothing changes.
- `damaged_right_front`: the Ant's `fourth_ankle_geom` (body `right_back_leg`, which stands front-right of +x),
  fromto `0 0 0 0.4 -0.4 0` -> `0 0 0 0.1 -0.1 0` (lower segment x 0.25).
- `damaged_left_front`: `left_ankle_geom` (body `front_left_leg`), `0.4 0.4` -> `0.1 0.1`; held out from training
  in the paper.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass

from hebbkit.runtime.errors import ConfigError

LEGS = ("front_left", "front_right", "rear_left", "rear_right")
SEGMENTS = ("upper", "lower")


@dataclass(frozen=True)
class LegDamage:
    """Scale one leg segment's length by `scale` (1 unchanged, 0.25 the paper's damage, 0 removes it)."""

    leg: str
    segment: str = "lower"
    scale: float = 0.25

    def __post_init__(self) -> None:
        if self.leg not in LEGS:
            raise ConfigError(f"unknown leg {self.leg!r}; expected one of {LEGS}")
        if self.segment not in SEGMENTS:
            raise ConfigError(f"unknown leg segment {self.segment!r}; expected one of {SEGMENTS}")
        if not 0.0 <= self.scale <= 4.0:
            raise ConfigError(f"segment scale must be within [0, 4], got {self.scale}")


@dataclass(frozen=True)
class Morphology:
    """A named set of leg damages."""

    name: str
    damages: tuple[LegDamage, ...] = ()

    def segment_scales(self) -> dict[tuple[str, str], float]:
        """(leg, segment) -> length factor, combining repeated damages multiplicatively."""
        scales: dict[tuple[str, str], float] = {}
        for damage in self.damages:
            key = (damage.leg, damage.segment)
            scales[key] = scales.get(key, 1.0) * damage.scale
        return scales


MORPHOLOGIES = {
    "standard": Morphology("standard"),
    "damaged_right_front": Morphology("damaged_right_front", (LegDamage("front_right", "lower", 0.25),)),
    "damaged_left_front": Morphology("damaged_left_front", (LegDamage("front_left", "lower", 0.25),)),
}


def resolve_morphology(value: str | Morphology | Iterable[LegDamage]) -> Morphology:
    """A preset name, a `Morphology`, or an iterable of `LegDamage` (named "custom")."""
    if isinstance(value, Morphology):
        return value
    if isinstance(value, str):
        try:
            return MORPHOLOGIES[value]
        except KeyError:
            raise ConfigError(f"unknown morphology {value!r}; expected one of {sorted(MORPHOLOGIES)} "
                              "or a list of LegDamage") from None
    return Morphology("custom", tuple(value))


# The Ant's legs in ant.xml: (body holding the upper segment, upper geom, child body, lower geom).
ANT_LEG_PARTS = {
    "front_left": ("aux_1", "left_leg_geom", "front_left_foot", "left_ankle_geom"),
    "front_right": ("aux_4", "rightback_leg_geom", "right_back_foot", "fourth_ankle_geom"),
    "rear_left": ("aux_2", "right_leg_geom", "front_right_foot", "right_ankle_geom"),
    "rear_right": ("aux_3", "back_leg_geom", "left_back_foot", "third_ankle_geom"),
}


def _scaled(values: str, factor: float) -> str:
    return " ".join(repr(round(float(v) * factor, 9)) for v in values.split())


def damage_ant_mjcf(tree: ElementTree.ElementTree, morphology: Morphology) -> ElementTree.ElementTree:
    """A copy of the parsed ant.xml with the morphology's segments scaled (geom fromto; for an upper segment, the
    child body's position too, so the lower segment stays attached). A removed segment loses its geom."""
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    if root is None:
        raise ConfigError("empty MJCF document")
    geoms = {geom.get("name"): geom for geom in root.iter("geom")}
    bodies = {body.get("name"): body for body in root.iter("body")}
    for (leg, segment), factor in morphology.segment_scales().items():
        upper_body, upper_geom, child_body, lower_geom = ANT_LEG_PARTS[leg]
        geom = geoms[upper_geom if segment == "upper" else lower_geom]
        if segment == "upper":
            child = bodies[child_body]
            child.set("pos", _scaled(child.get("pos", "0 0 0"), factor))
        if factor == 0.0:
            owner = bodies[upper_body if segment == "upper" else child_body]
            owner.remove(geom)
        else:
            geom.set("fromto", _scaled(geom.get("fromto", ""), factor))
    return tree
