"""QuadrupedEnv: Gymnasium API, env checker, seeding, registration, rendering, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from hebbkit.runtime import ANT28, ConfigError, NetworkSpec, load_artifact, new_artifact, save_artifact
from hebbkit.trainer.envs import QuadrupedEnv, custom_body
from hebbkit.trainer.envs.bodies import SERVO_QUADRUPED, ServoQuadrupedParameters, servo_quadruped_urdf
from hebbkit.trainer.envs.morphology import MORPHOLOGIES

CONFIGURATIONS = [
    {"robot": "ant", "observation": "ant28", "actuation": "torque"},
    {"robot": "ant", "observation": "proprio_contacts", "actuation": "position"},
    {"robot": "servo_quadruped", "observation": "proprio", "actuation": "position"},
    {"robot": "servo_quadruped", "observation": "proprio_contacts", "actuation": "torque"},
]


@pytest.mark.parametrize("options", CONFIGURATIONS, ids=lambda o: "-".join(o.values()))
def test_env_checker(options):
    env = QuadrupedEnv(**options)
    check_env(env, skip_render_check=True)
    env.close()


def rollout(env, seed, steps=60):
    observation, _ = env.reset(seed=seed)
    actions = np.random.default_rng(7).uniform(-1, 1, (steps, 8)).astype(np.float32)
    trajectory = [observation]
    for action in actions:
        observation, reward, terminated, truncated, _ = env.step(action)
        trajectory.append(np.append(observation, reward))
        if terminated or truncated:
            break
    return trajectory


@pytest.mark.parametrize("robot", ["ant", "servo_quadruped"])
def test_same_seed_same_episode_different_seed_different(robot):
    env = QuadrupedEnv(robot=robot)
    first, again, other = rollout(env, 5), rollout(env, 5), rollout(env, 6)
    assert len(first) == len(again)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    fresh = QuadrupedEnv(robot=robot)  # a new instance reproduces it too
    for a, b in zip(first, rollout(fresh, 5)):
        np.testing.assert_array_equal(a, b)


def test_registered_ids_make_the_right_envs():
    import hebbkit.trainer.envs  # noqa: F401  (registers)

    ant = gym.make("hebbkit/AntBullet-v0")
    assert ant.unwrapped.profile == ANT28 and ant.unwrapped.dt == 0.0165
    servo = gym.make("hebbkit/ServoQuadruped-v0", morphology="damaged_left_front")
    assert servo.unwrapped.profile.action_mode == "position" and servo.unwrapped.dt == 0.02
    assert servo.unwrapped.morphology is MORPHOLOGIES["damaged_left_front"]


def test_zero_actions_make_the_standard_ant_collapse_within_20_to_40_steps():
    env = QuadrupedEnv()
    env.reset(seed=0)
    steps = 0
    while True:
        steps += 1
        _, _, terminated, _, info = env.step(np.zeros(8, dtype=np.float32))
        if terminated or steps == 100:
            break
    assert terminated and 20 <= steps <= 40, steps
    assert info["alive"] == -1.0 and info["torso_position"][2] < 0.26


def test_random_actions_give_returns_in_the_originals_range():
    """pybullet_envs' Ant with uniform random actions: mean return of about 380 over (up to) 1,000 steps,
    progress near zero (the random walk goes nowhere)."""
    env = QuadrupedEnv()
    rng = np.random.default_rng(0)
    returns, progress = [], []
    for episode in range(12):
        env.reset(seed=episode)
        total = distance = 0.0
        for _ in range(1000):
            _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 8).astype(np.float32))
            total += reward
            distance += info["progress"]
            if terminated or truncated:
                break
        returns.append(total)
        progress.append(distance)
    assert 200 <= np.mean(returns) <= 550, returns
    assert abs(np.mean(progress)) < 10, progress


def test_truncates_at_max_episode_steps():
    env = QuadrupedEnv(robot="servo_quadruped", observation="proprio", actuation="position", max_episode_steps=30)
    env.reset(seed=0)
    outcomes = [env.step(np.zeros(8, dtype=np.float32))[2:4] for _ in range(30)]
    assert outcomes[-1] == (False, True)
    assert not any(terminated or truncated for terminated, truncated in outcomes[:-1])


def test_info_reports_every_reward_term_and_they_sum_to_the_reward():
    env = QuadrupedEnv()
    env.reset(seed=1)
    _, reward, _, _, info = env.step(np.full(8, 0.5, dtype=np.float32))
    terms = ("alive", "progress", "electricity_cost", "joints_at_limit_cost", "feet_collision_cost")
    assert reward == pytest.approx(sum(info[t] for t in terms))
    assert info["feet_collision_cost"] == 0.0 and info["electricity_cost"] < 0


def test_bad_actions_and_options_raise_clear_errors():
    env = QuadrupedEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="NaN/Inf"):
        env.step(np.array([np.nan] + [0.0] * 7, dtype=np.float32))
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        env.step(np.zeros(7, dtype=np.float32))
    for options, message in [({"robot": "hexapod"}, "unknown robot"), ({"morphology": "no_legs"}, "unknown morph"),
                             ({"observation": "lidar"}, "unknown observation"),
                             ({"actuation": "pwm"}, "unknown actuation")]:
        with pytest.raises(ConfigError, match=message):
            QuadrupedEnv(**options)


def test_profile_round_trips_through_the_artifact(tmp_path):
    for options in CONFIGURATIONS:
        env = QuadrupedEnv(**options)
        spec = NetworkSpec(layer_sizes=(env.profile.n_observations, 16, env.profile.n_actions),
                           activations=("tanh", "tanh"))
        artifact = new_artifact(spec, profile=env.profile, control_period=env.dt)
        loaded = load_artifact(save_artifact(artifact, tmp_path / "p.npz"))
        assert loaded.profile == env.profile and loaded.control_period == env.dt
    assert QuadrupedEnv().profile == ANT28  # the runtime's built-in profile is the env's, to the last digit


def test_rgb_rendering_and_gif(tmp_path):
    from PIL import Image

    from hebbkit.trainer.envs.video import record_gif

    env = QuadrupedEnv(render_mode="rgb_array", render_size=(96, 64))
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (64, 96, 3) and frame.dtype == np.uint8 and frame.std() > 5
    path = record_gif(env, lambda o: np.zeros(8, dtype=np.float32), tmp_path / "a.gif", steps=12, every=3)
    with Image.open(path) as gif:
        assert gif.n_frames >= 4
    assert QuadrupedEnv().render() is None


def test_a_users_own_urdf_runs_and_refuses_damage_it_cannot_build(tmp_path):
    path = tmp_path / "my_robot.urdf"
    from hebbkit.trainer.envs.morphology import Morphology

    path.write_text(servo_quadruped_urdf(ServoQuadrupedParameters(), Morphology("standard")))
    body = custom_body(path, SERVO_QUADRUPED.joint_names, SERVO_QUADRUPED.foot_links, alive_height=0.05,
                       start_height=0.15, torque_per_action=0.25)
    env = QuadrupedEnv(robot=body, observation="proprio", actuation="position")
    check_env(env, skip_render_check=True)
    with pytest.raises(ConfigError, match="no damage function"):
        QuadrupedEnv(robot=body, morphology="damaged_right_front")
    with pytest.raises(ConfigError, match="no robot model"):
        custom_body(tmp_path / "none.urdf", (), (), alive_height=0.1)


def test_physics_time_is_counted_for_throughput_benchmarks():
    env = QuadrupedEnv()
    env.reset(seed=0)
    assert env.physics_seconds == 0.0
    for _ in range(5):
        env.step(np.zeros(8, dtype=np.float32))
    assert env.physics_seconds > 0.0
    env.close()
