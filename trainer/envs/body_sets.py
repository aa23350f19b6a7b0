"""Which bodies are for training and which only for evaluation.

- `UNSEEN_BODIES`: "the bodies it never saw", the evaluation list (`hebbkit eval --morphologies unseen`,
  `hebbkit suite --suite unseen-bodies`). No training may use them: no training config lists them, and they lie
  outside the support of every training distribution in `BODY_DISTRIBUTIONS` (tested). Exception to note: the
  paper's protocol (`--config ant-paper`) trains on `damaged_right_front`, so for paper-protocol models that entry
  is a seen body; the list is "unseen" for models trained on a body distribution.
- `VALIDATION_BODIES`: the bodies of a study's validation curves (`--morphologies validation`), distinct from the
  unseen list except `damaged_left_front`, and also outside every training distribution.
- `BodyDistribution` ("leg-scales"; "leg-scales-motors" adds one leg with weakened motors to half the bodies): the
  bodies a training run samples, see its docstring.

Entries are morphology strings as `resolve_morphology` reads them: the paper's preset names where one exists, the
text syntax otherwise (canonical spellings). `BODY_LABELS` gives each a short, file-name-safe label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hebbkit.runtime.errors import ConfigError

from .morphology import LEGS, PARTS, LegDamage, Morphology, format_spec, resolve_morphology

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

VALIDATION_BODIES: tuple[str, ...] = (
    "damaged_left_front",
    "rear_left:lower:0.4",
    "rear_left:lower:1.5+rear_right:lower:1.5",
)

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
}

BODY_LISTS: dict[str, tuple[str, ...]] = {"unseen": UNSEEN_BODIES, "validation": VALIDATION_BODIES}


def expand_bodies(names: Iterable[str]) -> tuple[str, ...]:
    """`names` with the list names of `BODY_LISTS` ("unseen", "validation") replaced by their entries, repeats
    dropped (first occurrence kept, as written). Every entry is checked with `resolve_morphology` (ConfigError)."""
    expanded: list[str] = []
    for name in names:
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
    on an upper segment: no evaluation body has one); and, with probability `motor_damage_probability`, one leg
    chosen uniformly gets its motors weakened to a strength drawn from U(motor_damage_low, motor_damage_high)
    (`leg:motor:scale`: the geometry stays, the actuators weaken; no evaluation body has one). Scales are rounded to
    `decimals` so the specs stay short.

    Its support (`contains`) is: lower segments within [low, high]; upper segments within [low, high], or at most
    one of them within [upper_damage_low, upper_damage_high]; motors nominal, or (if `motor_damage_probability` >
    0) at most one leg's within [motor_damage_low, motor_damage_high]. The evaluation bodies (a lower segment at
    0.25, 0.4, 0 or 1.5, or a front pair at 0.25 or 1.5) all lie outside it (`bodies_in_support` finds any that do not).

    low, high: range of every segment's scale (1 = nominal length).
    upper_damage_probability: chance that a body has one severely damaged upper segment.
    upper_damage_low, upper_damage_high: range of that segment's scale (0 removes it).
    motor_damage_probability: chance that a body has one leg with weakened motors (0: never; the draws for it
        are then not made, so the bodies of the other fields are those of a distribution without it).
    motor_damage_low, motor_damage_high: range of that leg's actuator strength (0 paralyses it).
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
    decimals: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high <= 4.0:
            raise ConfigError(f"segment scales need 0 <= low <= high <= 4, got low={self.low}, high={self.high}")
        if not 0.0 <= self.upper_damage_low <= self.upper_damage_high <= 4.0:
            raise ConfigError("upper damage scales need 0 <= upper_damage_low <= upper_damage_high <= 4, got "
                              f"{self.upper_damage_low}, {self.upper_damage_high}")
        if not 0.0 <= self.motor_damage_low <= self.motor_damage_high <= 4.0:
            raise ConfigError("motor damage scales need 0 <= motor_damage_low <= motor_damage_high <= 4, got "
                              f"{self.motor_damage_low}, {self.motor_damage_high}")
        for name in ("upper_damage_probability", "motor_damage_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {getattr(self, name)}")

    def sample(self, rng: np.random.Generator, n: int) -> tuple[str, ...]:
        """`n` bodies as canonical spec strings. The draws, in this order, all from `rng`: an (n, 8) array of
        segment scales (columns: LEGS x (upper, lower)), n damage coin flips, n upper-segment choices, n damage
        scales; then, only if `motor_damage_probability` > 0, n motor coin flips, n leg choices, n strengths. So
        the same seed and n give the same bodies."""
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
            motors[weakened, motor_legs[weakened]] = strengths[weakened]
        scales = np.concatenate([scales, motors[:, :, None]], axis=2).round(self.decimals)
        return tuple(format_spec(LegDamage(leg, part, float(body[index, column]))
                                 for index, leg in enumerate(LEGS)
                                 for column, part in enumerate(PARTS))
                     for body in scales)

    def contains(self, morphology: str | Morphology) -> bool:
        """Whether the body lies in the support of this distribution (see the class docstring)."""
        body = resolve_morphology(morphology)
        weakened = list(body.motor_scales().values())
        if weakened and not (len(weakened) == 1 and self.motor_damage_probability > 0
                             and self.motor_damage_low <= weakened[0] <= self.motor_damage_high):
            return False
        scales = body.segment_scales()
        lowers = [scales.get((leg, "lower"), 1.0) for leg in LEGS]
        uppers = [scales.get((leg, "upper"), 1.0) for leg in LEGS]
        if not all(self.low <= scale <= self.high for scale in lowers):
            return False
        outside = [scale for scale in uppers if not self.low <= scale <= self.high]
        if not outside:
            return True
        return (len(outside) == 1 and self.upper_damage_probability > 0
                and self.upper_damage_low <= outside[0] <= self.upper_damage_high)


BODY_DISTRIBUTIONS: dict[str, BodyDistribution] = {
    "leg-scales": BodyDistribution(),
    "leg-scales-motors": BodyDistribution(motor_damage_probability=0.5),
}


def bodies_in_support(distribution: BodyDistribution,
                      bodies: Iterable[str] = UNSEEN_BODIES + VALIDATION_BODIES) -> tuple[str, ...]:
    """The bodies (default: every evaluation and validation body) that `distribution` could sample: should be
    none, or training would see what evaluation calls unseen. The standard body is left out: it is inside every
    distribution that contains scale 1."""
    return tuple(body for body in bodies
                 if resolve_morphology(body).damages and distribution.contains(body))
