"""Bodies with one leg's motors weakened (`leg:motor:scale`): the spec, the joints it reaches on both robots, what it
does in the simulation (that leg only, nothing else), and the body distribution that samples them."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.envs import BODY_DISTRIBUTIONS, QuadrupedEnv
from hebbkit.trainer.envs.bodies import ANT, SERVO_QUADRUPED, Body
from hebbkit.trainer.envs.body_sets import bodies_in_support
from hebbkit.trainer.envs.morphology import LEGS, format_spec, parse_spec, resolve_morphology


def test_a_motor_part_is_canonical_and_kept_apart_from_the_geometry():
    body = resolve_morphology("front_left:motor:0.30+front_left:lower:0.8")
    assert body.spec == "front_left:lower:0.8+front_left:motor:0.3"  # parts in order upper, lower, motor
    assert body.segment_scales() == {("front_left", "lower"): 0.8}
    assert body.motor_scales() == {"front_left": 0.3}
    assert resolve_morphology("rear_right:motor:1").spec == "standard"
    with pytest.raises(ConfigError, match="front_left:motor appears twice"):
        parse_spec("front_left:motor:0.3+front_left:motor:0.5")
    with pytest.raises(ConfigError, match="expected one of upper, lower, motor"):
        parse_spec("front_left:servo:0.3")


@pytest.mark.parametrize("body", [ANT, SERVO_QUADRUPED], ids=lambda b: b.name)
def test_each_joint_belongs_to_the_leg_standing_where_its_name_says(body):
    """`joint_legs` checked against the simulation: at reset every joint sits in its leg's quadrant of the torso
    (front = +x, the walking direction; left = +y)."""
    env = QuadrupedEnv(robot=body, actuation="torque" if body is ANT else "position")
    env.reset(seed=0)
    torso = np.array(p.getBasePositionAndOrientation(env._robot, physicsClientId=env._client)[0])
    for index, leg in zip(env._joint_indices, body.joint_legs, strict=True):
        position = np.array(p.getLinkState(env._robot, index, physicsClientId=env._client)[4]) - torso
        front, left = leg.startswith("front"), leg.endswith("left")
        assert (position[0] > 0) == front and (position[1] > 0) == left, (index, leg, position)
    env.close()


def rollout(morphology: str, action: np.ndarray, steps: int = 30, **options) -> np.ndarray:
    env = QuadrupedEnv(morphology=morphology, **options)
    observations = [env.reset(seed=3)[0]] + [env.step(action)[0] for _ in range(steps)]
    env.close()
    return np.array(observations)


def test_weakened_motors_act_on_their_leg_only():
    """Ant, torque actuation: with the front-left leg paralysed, actions that leave that leg's joints at zero give
    bit for bit the standard body's episode; an action on its joints no longer moves them as it did."""
    other_legs = np.array([0, 0, 0.4, -0.4, 0.4, -0.4, 0.4, -0.4], np.float32)  # ANT_JOINTS: hip_1, ankle_1 first
    np.testing.assert_array_equal(rollout("front_left:motor:0", other_legs), rollout("standard", other_legs))
    front_left = np.array([0.8, 0.8, 0, 0, 0, 0, 0, 0], np.float32)
    assert not np.array_equal(rollout("front_left:motor:0", front_left), rollout("standard", front_left))
    assert not np.array_equal(rollout("front_left:motor:0.5", front_left), rollout("front_left:motor:0", front_left))


def test_a_servo_leg_without_strength_goes_limp():
    """Position actuation: the servo's stall torque and speed scale with the motor part, so even a zero command
    (hold the joint) no longer holds a paralysed leg."""
    zero = np.zeros(8, np.float32)
    options = {"robot": "servo_quadruped", "actuation": "position", "observation": "proprio"}
    assert not np.array_equal(rollout("rear_right:motor:0", zero, **options), rollout("standard", zero, **options))


def test_a_body_that_does_not_name_its_legs_refuses_weakened_motors():
    anonymous = Body(**{**ANT.__dict__, "name": "anonymous", "joint_legs": ()})
    assert anonymous.strength_per_joint(resolve_morphology("standard")) == (1.0,) * 8
    with pytest.raises(ConfigError, match="does not say which leg each joint moves"):
        QuadrupedEnv(robot=anonymous, morphology="front_left:motor:0.3")


def test_the_motor_distribution_weakens_one_leg_in_about_half_the_bodies_and_no_evaluation_body():
    distribution = BODY_DISTRIBUTIONS["leg-scales-motors"]
    bodies = distribution.sample(np.random.default_rng(0), 400)
    weakened = 0
    for body in bodies:
        assert format_spec(parse_spec(body)) == body and distribution.contains(body)
        motors = resolve_morphology(body).motor_scales()
        assert len(motors) <= 1 and all(0.0 <= scale <= 0.5 and leg in LEGS for leg, scale in motors.items())
        weakened += len(motors)
    assert 160 <= weakened <= 240
    assert bodies_in_support(distribution) == ()
    # the motor draws come after leg-scales' own: for one seed both give the same geometry, and leg-scales
    # (motor probability 0) draws nothing more, so its runs meet the bodies they met before motors existed
    plain = BODY_DISTRIBUTIONS["leg-scales"]
    pairs = zip(plain.sample(np.random.default_rng(5), 30), distribution.sample(np.random.default_rng(5), 30),
                strict=True)
    assert all(resolve_morphology(a).segment_scales() == resolve_morphology(b).segment_scales() for a, b in pairs)
    assert plain.sample(np.random.default_rng(5), 3) == (  # as sampled before motor parts existed
        "front_left:upper:1.14+front_left:lower:1.15+front_right:upper:0.91+front_right:lower:0.73+"
        "rear_left:upper:0.54+rear_left:lower:0.81+rear_right:upper:0.83+rear_right:lower:0.54",
        "front_left:upper:0.54+front_left:lower:1.3+front_right:upper:1.02+front_right:lower:0.69+"
        "rear_left:upper:0.85+rear_left:lower:1.28+rear_right:upper:1.22+rear_right:lower:1.18",
        "front_left:upper:0.81+front_left:lower:0.89+front_right:upper:1.04+front_right:lower:0.55+"
        "rear_left:upper:0.94+rear_left:lower:0.72+rear_right:upper:0+rear_right:lower:0.55")
    assert not plain.contains("front_left:motor:0.3")
    assert not distribution.contains("front_left:motor:0.3+rear_left:motor:0.3")  # two weak legs
    assert not distribution.contains("front_left:motor:0.7")  # between nominal and the damage range
