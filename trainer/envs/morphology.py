"""Morphologies: bodies with leg segments shortened, scaled or removed, generated from the nominal model at run time.

Legs are named by where they stand relative to the walking direction (+x): `front_left`, `front_right`,
`rear_left`, `rear_right`; each has an `upper` and a `lower` segment. A `LegDamage` scales one segment's length by a
factor (0 removes it). The paper's damage sets are presets:

- `standard`: nothing changes.
- `damaged_right_front`: the Ant's `fourth_ankle_geom` (body `right_back_leg`, which stands front-right of +x),
  fromto `0 0 0 0.4 -0.4 0` -> `0 0 0 0.1 -0.1 0` (lower segment x 0.25).
- `damaged_left_front`: `left_ankle_geom` (body `front_left_leg`), `0.4 0.4` -> `0.1 0.1`; held out from training
  in the paper.

Any other body is written as text, `leg:segment:scale` parts joined by '+', e.g.
`front_left:lower:0.25+front_right:lower:0.25` (both front lower legs at 25% of their length). Besides the two
segments, a leg has its `motor` part: `front_left:motor:0.3` leaves the leg's geometry as it is and scales the
strength of its actuators (both joints; torque, or a servo's stall torque and speed) to 30%; 0 paralyses the leg.
The canonical spelling (`Morphology.spec`, `format_spec`) lists the parts in leg order (`LEGS`), upper, lower,
motor, leaves out parts at scale 1 and writes each scale as Python's shortest float repr without a trailing ".0"
(`0.25`, `1.5`, `0`); the body with nothing changed is `standard`. A morphology parsed from text is named by its
canonical spec, so two spellings of one body get one name (and one env in `fitness.cached_env`).
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass

from hebbkit.runtime.errors import ConfigError

LEGS = ("front_left", "front_right", "rear_left", "rear_right")
SEGMENTS = ("upper", "lower")
MOTOR = "motor"
PARTS = (*SEGMENTS, MOTOR)
"""A leg's parts: its two segments (length scaled) and its motor (actuator strength scaled)."""


@dataclass(frozen=True)
class LegDamage:
    """Scale one leg segment's length by `scale` (1 unchanged, 0.25 the paper's damage, 0 removes it), or, for
    segment `motor`, the strength of the leg's actuators (0 paralyses the leg)."""

    leg: str
    segment: str = "lower"
    scale: float = 0.25

    def __post_init__(self) -> None:
        if self.leg not in LEGS:
            raise ConfigError(f"unknown leg {self.leg!r}; expected one of {LEGS}")
        if self.segment not in PARTS:
            raise ConfigError(f"unknown leg segment {self.segment!r}; expected one of {PARTS}")
        if not 0.0 <= self.scale <= 4.0:
            raise ConfigError(f"segment scale must be within [0, 4], got {self.scale}")


@dataclass(frozen=True)
class Morphology:
    """A named set of leg damages (presets keep their names; bodies given as text are named by their `spec`)."""

    name: str
    damages: tuple[LegDamage, ...] = ()

    def part_scales(self) -> dict[tuple[str, str], float]:
        """(leg, part) -> factor (segments: length; motor: strength), repeated damages combined multiplicatively."""
        scales: dict[tuple[str, str], float] = {}
        for damage in self.damages:
            key = (damage.leg, damage.segment)
            scales[key] = scales.get(key, 1.0) * damage.scale
        return scales

    def segment_scales(self) -> dict[tuple[str, str], float]:
        """(leg, segment) -> length factor of the changed segments (the geometry; motors left out)."""
        return {key: scale for key, scale in self.part_scales().items() if key[1] != MOTOR}

    def motor_scales(self) -> dict[str, float]:
        """leg -> actuator strength factor of the legs whose motors are changed."""
        return {leg: scale for (leg, part), scale in self.part_scales().items() if part == MOTOR}

    @property
    def spec(self) -> str:
        """The canonical text of this body (`standard` when nothing changes): equal for equal geometry."""
        return format_spec(self.damages)


MORPHOLOGIES = {
    "standard": Morphology("standard"),
    "damaged_right_front": Morphology("damaged_right_front", (LegDamage("front_right", "lower", 0.25),)),
    "damaged_left_front": Morphology("damaged_left_front", (LegDamage("front_left", "lower", 0.25),)),
}


SPEC_SYNTAX = ("leg:segment:scale parts joined by '+' (legs: " + ", ".join(LEGS) + "; segments: "
               + ", ".join(SEGMENTS) + ", or motor for the leg's actuator strength; scale: a number within [0, 4], "
               "1 nominal, 0 removes the segment or paralyses the leg), e.g. "
               "front_left:lower:0.25+front_right:lower:0.25")


def format_scale(scale: float) -> str:
    """The shortest text that reads back as exactly `scale`: `0.25`, `1.5`, `0`, `2`."""
    text = repr(float(scale) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return text[:-2] if text.endswith(".0") else text


def canonical_damages(damages: Iterable[LegDamage]) -> tuple[LegDamage, ...]:
    """One damage per changed part (repeats combined multiplicatively, scale-1 parts left out), in leg order
    (`LEGS`), then part order (`PARTS`: upper, lower, motor)."""
    scales = Morphology("", tuple(damages)).part_scales()
    return tuple(LegDamage(leg, part, scales[(leg, part)]) for leg in LEGS for part in PARTS
                 if scales.get((leg, part), 1.0) != 1.0)


def format_spec(damages: Iterable[LegDamage]) -> str:
    """The canonical text of a body: `leg:segment:scale` parts of `canonical_damages` joined by '+'; `standard`
    when nothing changes."""
    parts = [f"{d.leg}:{d.segment}:{format_scale(d.scale)}" for d in canonical_damages(damages)]
    return "+".join(parts) or "standard"


def parse_spec(text: str) -> tuple[LegDamage, ...]:
    """The damages of a body written as text (see the module docstring), in canonical form; `standard` is the body
    with nothing changed. A segment may appear only once. ConfigError says which part is wrong and why."""
    if text.strip() == "standard":
        return ()
    if not text.strip():
        raise ConfigError(f"empty morphology spec {text!r}; expected a preset or {SPEC_SYNTAX}")
    seen: set[tuple[str, str]] = set()
    damages = []
    for index, part in enumerate(text.split("+"), start=1):
        where = f"morphology {text!r}, part {index}"
        fields = [field.strip() for field in part.split(":")]
        if not part.strip():
            raise ConfigError(f"{where} is empty; expected leg:segment:scale between the '+' signs")
        if len(fields) != 3:
            raise ConfigError(f"{where} is {part.strip()!r} ({len(fields)} field(s)); expected leg:segment:scale, "
                              "e.g. front_left:lower:0.25")
        leg, segment, scale_text = fields
        if leg not in LEGS:
            raise ConfigError(f"{where}: unknown leg {leg!r}; expected one of {', '.join(LEGS)}")
        if segment not in PARTS:
            raise ConfigError(f"{where}: unknown segment {segment!r}; expected one of {', '.join(PARTS)}")
        try:
            scale = float(scale_text)
        except ValueError:
            raise ConfigError(f"{where}: scale {scale_text!r} is not a number; expected a number within [0, 4] "
                              "(1 nominal, 0 removes the segment or paralyses the leg)") from None
        if not 0.0 <= scale <= 4.0:
            raise ConfigError(f"{where}: scale {scale_text!r} is outside [0, 4]; expected a number within [0, 4] "
                              "(1 nominal, 0 removes the segment or paralyses the leg)")
        if (leg, segment) in seen:
            raise ConfigError(f"{where}: {leg}:{segment} appears twice; give each segment once")
        seen.add((leg, segment))
        damages.append(LegDamage(leg, segment, scale))
    return canonical_damages(damages)


def resolve_morphology(value: str | Morphology | Iterable[LegDamage]) -> Morphology:
    """A preset name (the preset itself), a body as text (see the module docstring; named by its canonical spec,
    the standard preset if nothing changes), a `Morphology` (as is), or an iterable of `LegDamage` (canonical
    damages, named by their spec)."""
    if isinstance(value, Morphology):
        return value
    if isinstance(value, str):
        if value in MORPHOLOGIES:
            return MORPHOLOGIES[value]
        if ":" not in value and "+" not in value:
            raise ConfigError(f"unknown morphology {value!r}; expected a preset ({', '.join(sorted(MORPHOLOGIES))}) "
                              f"or {SPEC_SYNTAX}")
        damages = parse_spec(value)
    else:
        damages = canonical_damages(value)
    return Morphology(format_spec(damages), damages) if damages else MORPHOLOGIES["standard"]


# The Ant's legs in ant.xml: (body holding the upper segment, upper geom, child body, lower geom).
ANT_LEG_PARTS = {
    "front_left": ("aux_1", "left_leg_geom", "front_left_foot", "left_ankle_geom"),
    "front_right": ("aux_4", "rightback_leg_geom", "right_back_foot", "fourth_ankle_geom"),
    "rear_left": ("aux_2", "right_leg_geom", "front_right_foot", "right_ankle_geom"),
    "rear_right": ("aux_3", "back_leg_geom", "left_back_foot", "third_ankle_geom"),
}


def _scaled(values: str, factor: float) -> str:
    return " ".join(repr(round(float(v) * factor, 9)) for v in values.split())


def damage_ant_mjcf(tree: ElementTree.ElementTree, morphology: Morphology,
                    parts: dict[str, tuple[str, str, str, str]] | None = None) -> ElementTree.ElementTree:
    """A copy of the parsed ant.xml (or any MJCF whose legs `parts` names like `ANT_LEG_PARTS`: upper body, upper
    geom, lower body, lower geom) with the morphology's segments scaled (geom fromto; for an upper segment, the
    child body's position too, so the lower segment stays attached). A removed segment loses its geom."""
    parts = ANT_LEG_PARTS if parts is None else parts
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    if root is None:
        raise ConfigError("empty MJCF document")
    geoms = {geom.get("name"): geom for geom in root.iter("geom")}
    bodies = {body.get("name"): body for body in root.iter("body")}
    for (leg, segment), factor in morphology.segment_scales().items():
        if leg not in parts:
            raise ConfigError(f"morphology {morphology.name!r} changes the {leg} leg, which the model does not name")
        upper_body, upper_geom, child_body, lower_geom = parts[leg]
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
