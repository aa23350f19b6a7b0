"""Every perturbation changes the dynamics measurably, in the direction its documentation states."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from hebbkit.runtime import ConfigError
from hebbkit.trainer.envs import Perturbations, QuadrupedEnv, ScheduledEvent

DRIVE = np.tile(np.array([0.6, -0.6, 0.6, 0.6, -0.6, 0.6, -0.6, -0.6], dtype=np.float32), (40, 1))
DRIVE[20:] *= -1


def run(perturbations: Perturbations, steps: int = 40, actions: np.ndarray = DRIVE, seed: int = 3, **options):
    env = QuadrupedEnv(perturbations=perturbations, **options)
    observation, _ = env.reset(seed=seed)
    observations, infos = [observation], []
    for action in actions[:steps]:
        observation, _, terminated, _, info = env.step(action)
        observations.append(observation)
        infos.append(info)
        if terminated:
            break
    return np.array(observations), infos, env


def peak_joint_speed(perturbations: Perturbations) -> float:
    """Torque actuation: the fastest joint's speed (observation units), averaged over the first 11 steps."""
    observations, _, _ = run(perturbations)
    return float(np.abs(observations[1:12, 9:24:2]).max(axis=1).mean())


def tracking_error(perturbations: Perturbations) -> float:
    """Position actuation: mean |joint position - target| (both in [-1, 1] units) over the first 11 steps."""
    observations, _, _ = run(perturbations, actuation="position")
    return float(np.abs(observations[1:12, 8:24:2] - DRIVE[0]).mean())


def test_weaker_actuators_move_the_joints_slower():
    assert peak_joint_speed(Perturbations(actuator_strength=0.5)) < 0.7 * peak_joint_speed(Perturbations())
    assert tracking_error(Perturbations(actuator_strength=0.1)) > 1.5 * tracking_error(Perturbations())


def test_weaker_servos_are_slower_even_below_their_stall_torque():
    # the servo quadruped's gait never needs its full 0.25 N*m: a torque limit alone would make x0.7 a no-op
    def servo_tracking_error(strength: float) -> float:
        observations, _, _ = run(Perturbations(actuator_strength=strength), robot="servo_quadruped",
                                 observation="proprio", actuation="position")
        return float(np.abs(observations[1:6, 0:8] - DRIVE[0]).mean())  # proprio: 8 positions first

    assert servo_tracking_error(0.7) > 1.1 * servo_tracking_error(1.0)
    assert servo_tracking_error(1.3) < servo_tracking_error(1.0)


def test_per_joint_strength_needs_one_factor_per_joint():
    with pytest.raises(ConfigError, match="8 joints"):
        run(Perturbations(actuator_strength=(1.0, 0.5)))


def test_joint_damping_and_friction_slow_the_joints():
    nominal = peak_joint_speed(Perturbations())
    assert peak_joint_speed(Perturbations(joint_damping=50.0)) < 0.8 * nominal
    assert peak_joint_speed(Perturbations(joint_friction=80.0)) < 0.8 * nominal
    assert tracking_error(Perturbations(joint_friction=200.0)) > 1.2 * tracking_error(Perturbations())


def first_joint_speed_in_free_space(friction_share: float) -> float:
    """The Ant's first joint, from rest in zero gravity with its torso pinned: its speed after one control step at
    half torque, with a joint friction of `friction_share` times that torque."""
    action = np.zeros(8, dtype=np.float32)
    action[0] = 0.5
    probe = QuadrupedEnv()
    torque = float(probe.profile.command_from_action(action)[0])
    probe.close()
    env = QuadrupedEnv(perturbations=Perturbations(joint_friction=friction_share * torque))
    try:
        env.reset(seed=0)
        c, robot = env._client, env._robot
        p.setGravity(0, 0, 0, physicsClientId=c)
        p.resetBasePositionAndOrientation(robot, (0, 0, 1), (0, 0, 0, 1), physicsClientId=c)
        p.createConstraint(robot, -1, -1, -1, p.JOINT_FIXED, (0, 0, 0), (0, 0, 0), (0, 0, 1), physicsClientId=c)
        for index in env._joint_indices:
            p.resetJointState(robot, index, 0.0, 0.0, physicsClientId=c)
        env.step(action)
        return p.getJointState(robot, env._joint_indices[0], physicsClientId=c)[1]
    finally:
        env.close()


@pytest.mark.parametrize("share", [0.25, 0.5])
def test_joint_friction_takes_its_own_torque_not_physics_substeps_times_it(share):
    # PyBullet caps the friction motor's impulse at force x the whole stepSimulation step in each of its 4 physics
    # steps: passed unscaled, a friction of a quarter of the torque held the joint still
    assert first_joint_speed_in_free_space(share) / first_joint_speed_in_free_space(0.0) == pytest.approx(
        1 - share, abs=0.03)


def slide_after_push(ground_friction: float, torso_mass: float = 1.0) -> float:
    """Let the ant settle on its belly, push it along +x for one step, return how far it slid (m)."""
    push = ScheduledEvent(step=40, kind="push", force=(9000.0, 0.0, 0.0))
    zeros = np.zeros((90, 8), dtype=np.float32)
    perturbations = Perturbations(ground_friction=ground_friction, torso_mass=torso_mass, events=(push,))
    env = QuadrupedEnv(perturbations=perturbations)
    env.reset(seed=0)
    xs = []
    for action in zeros:
        env.step(action)
        xs.append(env._torso_position[0])
    return xs[-1] - xs[38]


def test_lower_ground_friction_slides_further_after_a_push_and_higher_less():
    nominal = slide_after_push(1.0)
    assert nominal > 0.01  # the push moved it along +x
    assert slide_after_push(0.5) > 1.2 * nominal
    assert slide_after_push(1.5) < 0.9 * nominal


def test_heavier_torso_weighs_more_and_moves_less_under_the_same_push():
    env = QuadrupedEnv(perturbations=Perturbations(torso_mass=1.3))
    env.reset(seed=0)
    nominal_mass = QuadrupedEnv()._nominal_torso_mass
    assert p.getDynamicsInfo(env._robot, -1, physicsClientId=env._client)[0] == pytest.approx(1.3 * nominal_mass)
    assert slide_after_push(1.0, torso_mass=1.3) < 0.9 * slide_after_push(1.0)


def test_observation_noise_has_the_documented_standard_deviation():
    clean, _, _ = run(Perturbations())
    noisy, _, _ = run(Perturbations(observation_noise=0.05))
    difference = (noisy - clean)[1:, :8]  # body entries: dynamics identical, only the reading differs
    assert 0.04 < difference.std() < 0.06


def test_action_latency_delays_actions_by_whole_steps():
    delayed, _, _ = run(Perturbations(action_latency=2), steps=30)
    shifted = np.concatenate([np.zeros((2, 8), dtype=np.float32), DRIVE[:28]])
    reference, _, _ = run(Perturbations(), steps=30, actions=shifted)
    np.testing.assert_array_equal(delayed, reference)


def test_observation_dropout_repeats_entries_at_the_documented_rate():
    observations, _, _ = run(Perturbations(observation_dropout=0.3), steps=40)
    clean, _, _ = run(Perturbations(), steps=40)
    changed = clean[1:] != clean[:-1]  # entries that would have changed
    repeated = (observations[1:] == observations[:-1]) & changed
    assert 0.2 < repeated.sum() / changed.sum() < 0.4


def test_a_leg_breaks_at_its_scheduled_step_without_a_jump():
    event = ScheduledEvent(step=25, kind="break_segment", leg="front_right", segment="lower", scale=0.25)
    hold = np.zeros((60, 8), dtype=np.float32)  # position actuation: the ant stands on its four legs
    broken, _, env = run(Perturbations(events=(event,)), steps=60, actions=hold, actuation="position")
    intact, _, _ = run(Perturbations(), steps=60, actions=hold, actuation="position")
    assert len(broken) == len(intact) == 61
    np.testing.assert_array_equal(broken[:26], intact[:26])  # identical until the event
    assert not np.array_equal(broken[40:], intact[40:])
    assert np.abs(broken[26] - broken[25]).max() < 0.5  # the swap keeps pose and joint states
    assert env._world_morphology.segment_scales() == {("front_right", "lower"): 0.25}
    assert p.getNumBodies(physicsClientId=env._client) == 2  # floor and the new body; the intact one is gone
    env.reset(seed=3)  # the next episode starts from the intact body again
    assert env._world_morphology.segment_scales() == {}
    np.testing.assert_array_equal(run(Perturbations(), steps=5, actions=hold, actuation="position")[0],
                                  [env.reset(seed=3)[0]] + [env.step(a)[0] for a in hold[:5]])


def test_a_callable_draws_new_perturbations_every_reset():
    draws = []

    def randomise(rng):
        draws.append(float(rng.uniform(0.7, 1.3)))
        return Perturbations(actuator_strength=draws[-1])

    env = QuadrupedEnv(perturbations=randomise)
    env.reset(seed=1)
    env.reset(seed=2)
    assert len(draws) == 2 and draws[0] != draws[1] and env.perturbations.actuator_strength == draws[1]


def test_invalid_perturbations_are_refused():
    with pytest.raises(ConfigError, match="action_latency"):
        Perturbations(action_latency=-1)
    with pytest.raises(ConfigError, match="observation_dropout"):
        Perturbations(observation_dropout=1.0)
    with pytest.raises(ConfigError, match="event kind"):
        ScheduledEvent(step=3, kind="earthquake")


def test_domain_randomisation_draws_within_its_ranges_reproducibly():
    from hebbkit.trainer.envs.perturbations import SIM2REAL_RANGES, RandomizedPerturbations

    randomise = RandomizedPerturbations(SIM2REAL_RANGES)
    env = QuadrupedEnv(perturbations=randomise)
    draws = []
    for seed in (1, 2, 1):
        env.reset(seed=seed)
        draws.append(env.perturbations)
    assert draws[0] == draws[2] and draws[0] != draws[1]
    for drawn in draws:
        for name, (low, high) in SIM2REAL_RANGES:
            assert low <= getattr(drawn, name) <= high
    assert isinstance(draws[0].action_latency, int)
