"""Gymnasium environments on raw PyBullet. Importing this package registers:

- `hebbkit/AntBullet-v0`: pybullet_envs' AntBulletEnv-v0, faithfully (ant28 observation, torque actuation);
- `hebbkit/ServoQuadruped-v0`: the reference hobby-servo quadruped (proprio observation, position actuation).

Both accept every `QuadrupedEnv` option through `gymnasium.make(id, **options)`.
"""

import gymnasium

from .bodies import ANT, BODIES, SERVO_QUADRUPED, Body, Servo, ServoQuadrupedParameters, custom_body
from .body_sets import BODY_DISTRIBUTIONS, UNSEEN_BODIES, VALIDATION_BODIES, BodyDistribution
from .morphology import LEGS, MORPHOLOGIES, SEGMENTS, LegDamage, Morphology, resolve_morphology
from .perturbations import Perturbations, ScheduledEvent
from .quadruped import QuadrupedEnv

ENTRY_POINT = "hebbkit.trainer.envs.quadruped:QuadrupedEnv"
for _id, _kwargs in (
    ("hebbkit/AntBullet-v0", {"robot": "ant", "observation": "ant28", "actuation": "torque"}),
    ("hebbkit/ServoQuadruped-v0", {"robot": "servo_quadruped", "observation": "proprio", "actuation": "position"}),
):
    if _id not in gymnasium.registry:
        gymnasium.register(_id, entry_point=ENTRY_POINT, kwargs=_kwargs, disable_env_checker=True)

__all__ = [
    "ANT",
    "BODIES",
    "BODY_DISTRIBUTIONS",
    "LEGS",
    "MORPHOLOGIES",
    "SEGMENTS",
    "SERVO_QUADRUPED",
    "UNSEEN_BODIES",
    "VALIDATION_BODIES",
    "Body",
    "BodyDistribution",
    "LegDamage",
    "Morphology",
    "Perturbations",
    "QuadrupedEnv",
    "ScheduledEvent",
    "Servo",
    "ServoQuadrupedParameters",
    "custom_body",
    "resolve_morphology",
]
