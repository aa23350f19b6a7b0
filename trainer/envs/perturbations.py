"""Perturbations that model the gap between simulation and a real robot. Every field has a unit; defaults are
the nominal simulation. Pass a `Perturbations` to the env, or a callable `rng -> Perturbations` to draw a new one
at every reset (domain randomisation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hebbkit.runtime.errors import ConfigError

from .morphology import LEGS, SEGMENTS

EVENT_KINDS = ("break_segment", "push")


@dataclass(frozen=True)
class ScheduledEvent:
    """Something that happens at a given control step of an episode.

    kind "break_segment": leg `leg`'s `segment` is scaled to `scale` of its length (0 removes it), from this step on.
    kind "push": a force `force` (N, world frame x, y, z) pushes the torso's centre during this control step.
    """

    step: int
    kind: str
    leg: str = "front_right"
    segment: str = "lower"
    scale: float = 0.25
    force: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ConfigError(f"unknown event kind {self.kind!r}; expected one of {EVENT_KINDS}")
        if self.step < 0:
            raise ConfigError(f"event step must be >= 0, got {self.step}")
        if self.kind == "break_segment" and (self.leg not in LEGS or self.segment not in SEGMENTS):
            raise ConfigError(f"break_segment needs a leg in {LEGS} and a segment in {SEGMENTS}")


@dataclass(frozen=True)
class Perturbations:
    """The reality gap, one knob per effect (defaults: none).

    actuator_strength: factor on every joint's torque (torque actuation), or on the servo's stall torque and
        no-load speed (position actuation: a servo's supply voltage scales both); a tuple gives one factor per joint.
    joint_damping: extra viscous damping at every joint, N*m*s/rad.
    joint_friction: Coulomb friction torque at every joint, N*m.
    ground_friction: factor on the floor's lateral friction coefficient (nominal 0.8).
    torso_mass: factor on the torso's mass (1.3 = +30%).
    observation_noise: standard deviation of Gaussian noise added to every observation entry, in observation units.
    action_latency: whole control steps between the policy's action and its application (zeros before).
    observation_dropout: probability that an observation entry repeats its previous value (a stale sensor) at a step.
    events: scheduled events (a leg segment breaking, a push).
    """

    actuator_strength: float | tuple[float, ...] = 1.0
    joint_damping: float = 0.0
    joint_friction: float = 0.0
    ground_friction: float = 1.0
    torso_mass: float = 1.0
    observation_noise: float = 0.0
    action_latency: int = 0
    observation_dropout: float = 0.0
    events: tuple[ScheduledEvent, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        strengths = self.actuator_strength if isinstance(self.actuator_strength, tuple) else (self.actuator_strength,)
        checks = {
            "actuator_strength": all(s >= 0 for s in strengths),
            "joint_damping": self.joint_damping >= 0,
            "joint_friction": self.joint_friction >= 0,
            "ground_friction": self.ground_friction >= 0,
            "torso_mass": self.torso_mass > 0,
            "observation_noise": self.observation_noise >= 0,
            "action_latency": isinstance(self.action_latency, int) and self.action_latency >= 0,
            "observation_dropout": 0 <= self.observation_dropout < 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"invalid perturbations {bad}: see the units and ranges in Perturbations' docstring")
        object.__setattr__(self, "events", tuple(sorted(self.events, key=lambda event: event.step)))

    def strength_per_joint(self, n_joints: int) -> tuple[float, ...]:
        """The actuator strength factor of each joint."""
        if isinstance(self.actuator_strength, tuple):
            if len(self.actuator_strength) != n_joints:
                raise ConfigError(f"actuator_strength has {len(self.actuator_strength)} factors for {n_joints} joints")
            return self.actuator_strength
        return (float(self.actuator_strength),) * n_joints


def perturbation_fields(options: Mapping) -> dict:
    """`Perturbations` fields from their JSON-ready form (a fitness protocol's `perturbations`, the sim node's
    parameter): every field as given, `events` (a list of `ScheduledEvent` fields) as `ScheduledEvent`s. The one
    parser of events; TypeError for an event that is not a mapping of known fields."""
    fields = dict(options)
    events = fields.get("events", ())
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise TypeError(f"events should be a list of ScheduledEvent fields, found {events!r}")
    fields["events"] = tuple(ScheduledEvent(**event) for event in events)
    return fields


def perturbations_from_dict(options: Mapping) -> Perturbations:
    """`Perturbations` from their JSON-ready form (see `perturbation_fields`)."""
    return Perturbations(**perturbation_fields(options))


NOMINAL = Perturbations()


@dataclass(frozen=True)
class RandomizedPerturbations:
    """Domain randomisation: a callable drawing new `Perturbations` at every reset from the env's seeded RNG.

    ranges: field name -> (low, high), drawn uniformly (`action_latency`: an integer in [low, high]).
    fixed: fields that stay as given (e.g. events).
    """

    ranges: tuple[tuple[str, tuple[float, float]], ...]
    fixed: tuple[tuple[str, object], ...] = ()

    def __call__(self, rng) -> Perturbations:
        values: dict[str, object] = dict(self.fixed)
        for name, (low, high) in self.ranges:
            if name == "action_latency":
                values[name] = int(rng.integers(int(low), int(high) + 1))
            else:
                values[name] = float(rng.uniform(low, high))
        return Perturbations(**values)  # type: ignore[arg-type]


SIM2REAL_RANGES = (
    ("actuator_strength", (0.7, 1.3)),
    ("ground_friction", (0.5, 1.5)),
    ("torso_mass", (1.0, 1.3)),
    ("observation_noise", (0.0, 0.05)),
    ("action_latency", (0, 2)),
)
"""The ranges the deployable model is trained over: the sim-to-real suite's conditions are their corners."""
