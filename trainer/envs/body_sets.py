"""Which bodies are for training and which only for evaluation.

- `UNSEEN_CATEGORIES`: "the bodies it never saw", the evaluation lists, one per kind of change: `lower-legs` (the
  first list, `UNSEEN_BODIES`: lower segments shortened, removed or lengthened), `upper-legs`, `uniform-scale` (every
  segment of every leg scaled alike), `several-legs` (damage on two or more legs at once) and `actuators` (weakened
  motors on two or more legs). `hebbkit eval --bodies unseen` and `hebbkit suite --suite unseen-bodies` take
  them all; each category's name is a list of its own. No training config lists them, and no body of them lies in
  the support of `leg-scales` or `leg-scales-motors` (tested). `leg-scales-wide` trains on single-leg damage of every
  kind, so for its models the single-leg bodies of `lower-legs` are a seen kind: `categories_held_out` says which
  categories a distribution never produces, and a card names them. Exception to note: the paper's protocol
  (`--config ant-paper`) trains on `damaged_right_front`, so for paper-protocol models that entry is a seen body.
- `VALIDATION_BODIES`: the bodies of the first study's validation curves (`--bodies validation`), distinct
  from the unseen list except `damaged_left_front`, and also outside every training distribution.
- `VALIDATION2_BODIES`: round 2's validation bodies (`--bodies validation2`), one per category, none in any
  evaluation list and none in the support of any training distribution (`leg-scales-wide` included).
- `BodyDistribution` ("leg-scales"; "leg-scales-motors" adds one leg with weakened motors to half the bodies;
  "leg-scales-wide" damages one leg in any of its parts): the bodies a training run samples, see its docstring.

Entries are morphology strings as `resolve_morphology` reads them: the paper's preset names where one exists, the
text syntax otherwise (canonical spellings). `BODY_LABELS` gives each a short, file-name-safe label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hebbkit.runtime.errors import ConfigError

from .morphology import LEGS, MORPHOLOGIES, PARTS, SPEC_SYNTAX, LegDamage, Morphology, format_spec, resolve_morphology


def every_leg(part: str, scale: float) -> str:
    """The canonical spec of `part` ("upper", "lower" or "motor") scaled by `scale` on all four legs."""
    return format_spec(LegDamage(leg, part, scale) for leg in LEGS)


def every_segment(scale: float) -> str:
    """The canonical spec of every segment of every leg scaled by `scale` (a uniformly scaled body)."""
    return format_spec(LegDamage(leg, part, scale) for leg in LEGS for part in ("upper", "lower"))


UNSEEN_BODIES: tuple[str, ...] = (
    "damaged_left_front",  # front_left:lower:0.25
    "damaged_right_front",  # front_right:lower:0.25
    "rear_left:lower:0.25",
    "rear_right:lower:0.25",
    "front_left:lower:0.25+front_right:lower:0.25",
    "front_left:lower:1.5+front_right:lower:1.5",
    "front_left:lower:0",
    "front_right:lower:0",
    "rear_left:lower:0",
    "rear_right:lower:0",
)

UPPER_LEG_BODIES: tuple[str, ...] = (
    "front_left:upper:1.6",
    "rear_left:upper:1.5+rear_right:upper:1.5",
    every_leg("upper", 1.4),
    "front_left:upper:0.2+front_right:upper:0.2",
)

UNIFORM_SCALE_BODIES: tuple[str, ...] = (
    every_segment(0.4),
    every_segment(1.4),
    every_segment(1.6),
)

SEVERAL_LEG_BODIES: tuple[str, ...] = (
    "rear_left:lower:0.1+rear_right:lower:0.1",
    "front_left:lower:0+rear_right:lower:0",
    "front_right:upper:0.3+rear_left:lower:0.25",
    every_leg("lower", 0.4),
)

ACTUATOR_BODIES: tuple[str, ...] = (
    every_leg("motor", 0.5),
    "front_left:motor:0.3+front_right:motor:0.3",
    "front_right:motor:0+rear_left:motor:0.5",
)

UNSEEN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "lower-legs": UNSEEN_BODIES,
    "upper-legs": UPPER_LEG_BODIES,
    "uniform-scale": UNIFORM_SCALE_BODIES,
    "several-legs": SEVERAL_LEG_BODIES,
    "actuators": ACTUATOR_BODIES,
}
"""The evaluation bodies by kind of change (see the module docstring)."""

ALL_UNSEEN_BODIES: tuple[str, ...] = tuple(body for bodies in UNSEEN_CATEGORIES.values() for body in bodies)

VALIDATION_BODIES: tuple[str, ...] = (
    "damaged_left_front",
    "rear_left:lower:0.4",
    "rear_left:lower:1.5+rear_right:lower:1.5",
)

VALIDATION2_BODIES: tuple[str, ...] = (
    "rear_left:lower:1.5+rear_right:lower:1.5",
    "front_right:upper:1.5+rear_left:upper:1.5",
    every_segment(0.45),
    "front_left:lower:0.1+rear_left:lower:0.1",
    "front_left:motor:0.4+rear_right:motor:0.4",
)
"""Round 2's validation bodies, one per category (lower, upper, uniform scale, several legs, actuators)."""

BODY_LABELS: dict[str, str] = {
    "damaged_left_front": "damaged_left_front",
    "damaged_right_front": "damaged_right_front",
    "rear_left:lower:0.25": "rear_left_lower_x0.25",
    "rear_right:lower:0.25": "rear_right_lower_x0.25",
    "front_left:lower:0.25+front_right:lower:0.25": "front_lowers_x0.25",
    "front_left:lower:1.5+front_right:lower:1.5": "front_lowers_x1.5",
    "front_left:lower:0": "front_left_lower_removed",
    "front_right:lower:0": "front_right_lower_removed",
    "rear_left:lower:0": "rear_left_lower_removed",
    "rear_right:lower:0": "rear_right_lower_removed",
    "rear_left:lower:0.4": "rear_left_lower_x0.4",
    "rear_left:lower:1.5+rear_right:lower:1.5": "rear_lowers_x1.5",
    "front_left:upper:1.6": "front_left_upper_x1.6",
    "rear_left:upper:1.5+rear_right:upper:1.5": "rear_uppers_x1.5",
    every_leg("upper", 1.4): "all_uppers_x1.4",
    "front_left:upper:0.2+front_right:upper:0.2": "front_uppers_x0.2",
    every_segment(0.4): "all_segments_x0.4",
    every_segment(1.4): "all_segments_x1.4",
    every_segment(1.6): "all_segments_x1.6",
    "rear_left:lower:0.1+rear_right:lower:0.1": "rear_lowers_x0.1",
    "front_left:lower:0+rear_right:lower:0": "diagonal_lowers_removed",
    "front_right:upper:0.3+rear_left:lower:0.25": "front_right_upper_x0.3_rear_left_lower_x0.25",
    every_leg("lower", 0.4): "all_lowers_x0.4",
    every_leg("motor", 0.5): "all_motors_x0.5",
    "front_left:motor:0.3+front_right:motor:0.3": "front_motors_x0.3",
    "front_right:motor:0+rear_left:motor:0.5": "front_right_paralysed_rear_left_motor_x0.5",
    "front_right:upper:1.5+rear_left:upper:1.5": "diagonal_uppers_x1.5",
    every_segment(0.45): "all_segments_x0.45",
    "front_left:lower:0.1+rear_left:lower:0.1": "left_lowers_x0.1",
    "front_left:motor:0.4+rear_right:motor:0.4": "diagonal_motors_x0.4",
}

def body_label(body: str) -> str:
    """A body's short name for tables: its `BODY_LABELS` label when a list holds it, else the body as written."""
    return BODY_LABELS.get(body, body)


BODY_LISTS: dict[str, tuple[str, ...]] = {"unseen": ALL_UNSEEN_BODIES, **UNSEEN_CATEGORIES,
                                         "validation": VALIDATION_BODIES, "validation2": VALIDATION2_BODIES}


def expand_bodies(names: Iterable[str]) -> tuple[str, ...]:
    """`names` (the `--bodies` of eval and validate) with the list names of `BODY_LISTS` ("unseen", "validation")
    replaced by their entries, repeats dropped (first occurrence kept, as written). Every entry is checked with
    `resolve_morphology`; a name that is no preset, list or body written as text is a ConfigError naming the flag
    and every name it accepts, the lists too (as its --help does)."""
    expanded: list[str] = []
    for name in names:
        if name not in MORPHOLOGIES and name not in BODY_LISTS and ":" not in name and "+" not in name:
            raise ConfigError(f"--bodies: unknown body {name!r}; expected a preset "
                              f"({', '.join(sorted(MORPHOLOGIES))}), a list ({', '.join(BODY_LISTS)}) or {SPEC_SYNTAX}")
        for body in BODY_LISTS.get(name, (name,)):
            resolve_morphology(body)
            if body not in expanded:
                expanded.append(body)
    return tuple(expanded)


@dataclass(frozen=True)
class BodyDistribution:
    """The bodies a training run samples: every one of the 8 segments (4 legs x upper, lower) gets a length scale
    drawn independently from U(low, high); then, with probability `upper_damage_probability`, one upper segment
    chosen uniformly gets its scale replaced by a draw from U(upper_damage_low, upper_damage_high) (severe damage
    on an upper segment); with probability `motor_damage_probability`, one leg gets its motors weakened to a
    strength drawn from U(motor_damage_low, motor_damage_high) (`leg:motor:scale`: the geometry stays, the actuators
    weaken); and with probability `lower_damage_probability`, one lower segment gets a scale drawn from
    U(lower_damage_low, lower_damage_high). The damaged leg is drawn for each kind of damage on its own, or, with
    `one_damaged_leg`, once per body (the upper damage's leg), so that damage never spreads over several legs.
    Scales are rounded to `decimals` so the specs stay short.

    Its support (`contains`) is: segments within [low, high], except at most one upper segment within
    [upper_damage_low, upper_damage_high] (if `upper_damage_probability` > 0) and at most one lower segment within
    [lower_damage_low, lower_damage_high] (if `lower_damage_probability` > 0); motors nominal, or at most one
    leg's within [motor_damage_low, motor_damage_high] (if `motor_damage_probability` > 0); with
    `one_damaged_leg`, all of these on one leg. `bodies_in_support` finds the evaluation bodies a distribution
    could sample; `categories_held_out` the evaluation categories it never produces.

    low, high: range of every segment's scale (1 = nominal length).
    upper_damage_probability: chance that a body has one severely damaged upper segment.
    upper_damage_low, upper_damage_high: range of that segment's scale (0 removes it).
    motor_damage_probability: chance that a body has one leg with weakened motors (0: never; the draws for it
        are then not made, so the bodies of the other fields are those of a distribution without it).
    motor_damage_low, motor_damage_high: range of that leg's actuator strength (0 paralyses it).
    lower_damage_probability, lower_damage_low, lower_damage_high: the same for one severely damaged lower
        segment (its draws come last and only when the probability is > 0, for the same reason).
    one_damaged_leg: every damage of a body on the same leg.
    decimals: decimals the scales are rounded to.
    """

    low: float = 0.5
    high: float = 1.3
    upper_damage_probability: float = 0.5
    upper_damage_low: float = 0.0
    upper_damage_high: float = 0.4
    motor_damage_probability: float = 0.0
    motor_damage_low: float = 0.0
    motor_damage_high: float = 0.5
    lower_damage_probability: float = 0.0
    lower_damage_low: float = 0.0
    lower_damage_high: float = 0.45
    one_damaged_leg: bool = False
    decimals: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high <= 4.0:
            raise ConfigError(f"segment scales need 0 <= low <= high <= 4, got low={self.low}, high={self.high}")
        if not 0.0 <= self.upper_damage_low <= self.upper_damage_high <= 4.0:
            raise ConfigError("upper damage scales need 0 <= upper_damage_low <= upper_damage_high <= 4, got "
                              f"{self.upper_damage_low}, {self.upper_damage_high}")
        if not 0.0 <= self.lower_damage_low <= self.lower_damage_high <= 4.0:
            raise ConfigError("lower damage scales need 0 <= lower_damage_low <= lower_damage_high <= 4, got "
                              f"{self.lower_damage_low}, {self.lower_damage_high}")
        if not 0.0 <= self.motor_damage_low <= self.motor_damage_high <= 4.0:
            raise ConfigError("motor damage scales need 0 <= motor_damage_low <= motor_damage_high <= 4, got "
                              f"{self.motor_damage_low}, {self.motor_damage_high}")
        for name in ("upper_damage_probability", "motor_damage_probability", "lower_damage_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {getattr(self, name)}")

    def sample(self, rng: np.random.Generator, n: int) -> tuple[str, ...]:
        """`n` bodies as canonical spec strings. The draws, in this order, all from `rng`: an (n, 8) array of
        segment scales (columns: LEGS x (upper, lower)), n damage coin flips, n upper-segment choices, n damage
        scales; then, only if `motor_damage_probability` > 0, n motor coin flips, n leg choices, n strengths; then,
        only if `lower_damage_probability` > 0, the same three for the lower segment (with `one_damaged_leg` the leg
        choices are drawn all the same and replaced by the upper damage's). So the same seed and n give the same
        bodies, and a distribution without the later kinds gives the bodies it always gave."""
        scales = rng.uniform(self.low, self.high, size=(n, len(LEGS), 2))
        damaged = rng.random(n) < self.upper_damage_probability
        legs = rng.integers(0, len(LEGS), size=n)
        severe = rng.uniform(self.upper_damage_low, self.upper_damage_high, size=n)
        scales[damaged, legs[damaged], 0] = severe[damaged]
        motors = np.ones((n, len(LEGS)))
        if self.motor_damage_probability > 0:
            weakened = rng.random(n) < self.motor_damage_probability
            motor_legs = rng.integers(0, len(LEGS), size=n)
            strengths = rng.uniform(self.motor_damage_low, self.motor_damage_high, size=n)
            motor_legs = legs if self.one_damaged_leg else motor_legs
            motors[weakened, motor_legs[weakened]] = strengths[weakened]
        if self.lower_damage_probability > 0:
            hit = rng.random(n) < self.lower_damage_probability
            lower_legs = rng.integers(0, len(LEGS), size=n)
            lower_scales = rng.uniform(self.lower_damage_low, self.lower_damage_high, size=n)
            lower_legs = legs if self.one_damaged_leg else lower_legs
            scales[hit, lower_legs[hit], 1] = lower_scales[hit]
        scales = np.concatenate([scales, motors[:, :, None]], axis=2).round(self.decimals)
        return tuple(format_spec(LegDamage(leg, part, float(body[index, column]))
                                 for index, leg in enumerate(LEGS)
                                 for column, part in enumerate(PARTS))
                     for body in scales)

    def contains(self, morphology: str | Morphology) -> bool:
        """Whether the body lies in the support of this distribution (see the class docstring)."""
        body = resolve_morphology(morphology)
        scales = body.segment_scales()
        damaged_legs: set[str] = set()
        for part, probability, low, high in (("upper", self.upper_damage_probability, self.upper_damage_low,
                                              self.upper_damage_high),
                                             ("lower", self.lower_damage_probability, self.lower_damage_low,
                                              self.lower_damage_high)):
            outside = {leg: scale for leg in LEGS
                       if not self.low <= (scale := scales.get((leg, part), 1.0)) <= self.high}
            if outside and not (len(outside) == 1 and probability > 0
                                and all(low <= scale <= high for scale in outside.values())):
                return False
            damaged_legs.update(outside)
        weakened = body.motor_scales()
        if weakened and not (len(weakened) == 1 and self.motor_damage_probability > 0
                             and all(self.motor_damage_low <= scale <= self.motor_damage_high
                                     for scale in weakened.values())):
            return False
        damaged_legs.update(weakened)
        return len(damaged_legs) <= 1 or not self.one_damaged_leg


BODY_DISTRIBUTIONS: dict[str, BodyDistribution] = {
    "leg-scales": BodyDistribution(),
    "leg-scales-motors": BodyDistribution(motor_damage_probability=0.5),
    "leg-scales-wide": BodyDistribution(upper_damage_probability=0.35, motor_damage_probability=0.35,
                                        motor_damage_low=0.1, motor_damage_high=0.6, lower_damage_probability=0.35,
                                        lower_damage_low=0.0, lower_damage_high=0.45, one_damaged_leg=True),
}
"""Training body distributions by name (`--body-distribution`). `leg-scales-wide` damages one leg in any of its
parts (about 73% of the bodies: upper segment, lower segment, motors, or several of them on that leg) and never
several legs: the categories it holds out are `categories_held_out(...)`."""


def bodies_in_support(distribution: BodyDistribution,
                      bodies: Iterable[str] = ALL_UNSEEN_BODIES + VALIDATION_BODIES + VALIDATION2_BODIES,
                      ) -> tuple[str, ...]:
    """The bodies (default: every evaluation and validation body) that `distribution` could sample: should be
    none, or training would see what evaluation calls unseen. The standard body is left out: it is inside every
    distribution that contains scale 1."""
    return tuple(body for body in bodies
                 if resolve_morphology(body).damages and distribution.contains(body))


def categories_held_out(distribution: BodyDistribution) -> tuple[str, ...]:
    """The categories of `UNSEEN_CATEGORIES` none of whose bodies `distribution` could sample: the kinds of body a
    model trained on it has never seen (what its card names)."""
    return tuple(name for name, bodies in UNSEEN_CATEGORIES.items() if not bodies_in_support(distribution, bodies))
