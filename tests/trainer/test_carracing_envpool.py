"""The envpool CarRacing backend: the batched controller equals `Policy.step`, the pool keeps the env API's
promises, and `hebbkit train --carracing-env envpool` trains, resumes and repeats itself."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.artifact import save_artifact
from hebbkit.trainer.batched import run_batched_episodes
from hebbkit.trainer.envs.carracing import CARRACING_PROFILE
from hebbkit.trainer.envs.carracing_pool import CarRacingPool, CarRacingPoolEnv
from hebbkit.trainer.fitness import FitnessProtocol, run_episode
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import network_for, resolve_config
from hebbkit.trainer.torch_twin import PopulationTwin


def carracing_artifacts(count: int):
    network = network_for(resolve_config({"config": "carracing-paper"}), 0, 3)
    layout = ParameterLayout.of(network)
    rng = np.random.default_rng(0)
    return [layout.to_artifact(rng.standard_normal(layout.size) * 0.1, CARRACING_PROFILE, 0.02) for _ in range(count)]


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def test_population_twin_matches_policy_step_per_candidate_also_after_dropping_some():
    artifacts = carracing_artifacts(3)
    seeds = (4, 5, 6)
    policies = [Policy(artifact, "numpy", seed=seed) for artifact, seed in zip(artifacts, seeds, strict=True)]
    twin = PopulationTwin(artifacts)
    weights = [torch.tensor(np.stack([p.weights[layer] for p in policies])) for layer in range(3)]
    frames = np.random.default_rng(1).random((12, 3, 3, 84, 84)).astype(np.float32)  # step, candidate, image
    for step, batch in enumerate(frames):
        if step == 6:  # the first candidate's episode ends: it leaves the batch
            rows = torch.tensor([1, 2])
            twin.keep(rows)
            weights = [w[rows] for w in weights]
            policies, batch = policies[1:], batch[1:]
        elif step > 6:
            batch = batch[1:]
        actions = twin.step(weights, torch.from_numpy(np.ascontiguousarray(batch))).numpy()
        for index, policy in enumerate(policies):
            np.testing.assert_allclose(actions[index], policy.step(batch[index]), atol=1e-5)
    for layer in range(3):
        for index, policy in enumerate(policies):
            expected = policy.weights[layer]
            assert np.abs(weights[layer][index].numpy() - expected).max() <= 1e-6 * np.abs(expected).max()


def test_pool_gives_preprocessed_frames_and_same_seed_same_track():
    pool = CarRacingPool([3, 3, 8], max_steps=30, threads=2)
    first = pool.reset()
    assert first.shape == (3, 3, 84, 84) and first.dtype == np.float32 and 0 <= first.min() and first.max() <= 1
    assert np.array_equal(first[0], first[1]) and not np.array_equal(first[0], first[2])
    actions = np.tile(np.array([[0.2, 0.6, 0.0]], np.float32), (2, 1))
    for step in range(1, 31):
        observations, rewards, terminated, truncated = pool.step(actions, np.array([2, 0]))  # any order, a subset
        assert observations.shape == (2, 3, 84, 84) and rewards.shape == (2,)
        assert not terminated.any() and truncated.all() == (step == 30)
    pool.close()


def test_batched_episodes_equal_episodes_stepped_one_by_one_on_the_pool():
    """Same cars, same seeds: the batch of 3 (one of which ends early) scores what each car scores alone."""
    artifacts = carracing_artifacts(2)
    protocol = FitnessProtocol.carracing(max_steps=40)
    together, steps = run_batched_episodes(artifacts + artifacts[:1], [11, 12, 11], protocol, threads=2)
    alone = [run_batched_episodes([artifact], [seed], protocol)[0][0]
             for artifact, seed in zip(artifacts, [11, 12], strict=True)]
    np.testing.assert_allclose(together, [alone[0], alone[1], alone[0]], rtol=1e-9)
    assert together[0] == together[2] and all(1 <= s <= 40 for s in steps)


def test_batched_episode_equals_policy_step_driving_the_same_car():
    """End to end: `Policy.step` (NumPy backend) driving car seed 21 alone through `run_episode` (the evaluation's
    loop, on `CarRacingPoolEnv`) scores what the batched evaluator scores for that car inside a batch of three."""
    artifacts = carracing_artifacts(3)
    protocol = FitnessProtocol.carracing(max_steps=60)
    batched, batched_steps = run_batched_episodes(artifacts, [20, 21, 22], protocol, threads=2)
    env = CarRacingPoolEnv(protocol.max_steps)
    alone = run_episode(artifacts[1], protocol, "standard", 21, env=env)
    env.close()
    assert batched_steps[1] == alone.steps
    np.testing.assert_allclose(batched[1], alone.fitness, rtol=1e-6)


def test_the_envpool_evaluator_aggregates_each_cars_episodes_as_the_protocol_says():
    """Two episodes per car, scored by the worse one: the evaluator's fitness is the min of the batched episodes."""
    from dataclasses import replace

    from hebbkit.trainer.batched import EnvpoolEvaluator
    from hebbkit.trainer.workers import EpisodeItem, Job

    network = network_for(resolve_config({"config": "carracing-paper"}), 0, 3)
    layout = ParameterLayout.of(network)
    mean = np.random.default_rng(0).standard_normal(layout.size) * 0.1
    protocol = replace(FitnessProtocol.carracing(max_steps=30, episodes=2), episode_aggregate="min")
    job = Job(mean, layout, CARRACING_PROFILE, 0.02, protocol, (EpisodeItem(0, None, (31, 32)),))
    (result,) = EnvpoolEvaluator(workers=1).run([job])
    artifact = layout.to_artifact(mean, CARRACING_PROFILE, 0.02)
    episodes = [run_batched_episodes([artifact], [seed], protocol)[0][0] for seed in (31, 32)]
    assert episodes[0] != episodes[1]
    assert result.fitness == pytest.approx(min(episodes), rel=1e-9)


def test_pool_env_keeps_the_env_api():
    """`reset(seed)` puts the car on that seed's track (the pool's first frame); the episode is truncated at
    `max_steps`; stepping after the end raises instead of silently starting a new episode."""
    env = CarRacingPoolEnv(max_steps=5)
    first, info = env.reset(seed=3)
    pool = CarRacingPool([3], max_steps=5)
    assert np.array_equal(first, pool.reset()[0]) and info == {}
    pool.close()
    assert env.observation_space.contains(first)
    for step in range(1, 6):
        observation, reward, terminated, truncated, _ = env.step(np.array([0.0, 0.5, 0.0], np.float32))
        assert not terminated
        assert observation.shape == (3, 84, 84) and isinstance(reward, float) and truncated == (step == 5)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, np.float32))
    again, _ = env.reset(seed=3)
    assert np.array_equal(again, first)
    assert not np.array_equal(env.reset()[0], first)  # no seed: a new track
    env.close()


def test_pool_env_passes_gymnasiums_env_checker():
    from gymnasium.utils.env_checker import check_env

    env = CarRacingPoolEnv(max_steps=20)
    check_env(env, skip_render_check=True)
    env.close()


def test_eval_on_envpool_scores_what_the_training_scores(tmp_path):
    """`hebbkit eval --carracing-env envpool` drives the runtime's `Policy` on envpool's cars: for the same
    artifact and seeds it reports the batched training evaluator's scores (without the early stop, as eval does)."""
    artifact = carracing_artifacts(1)[0]
    path = tmp_path / "driver.npz"
    save_artifact(artifact, path)
    result = hebbkit("eval", str(path), "--carracing-env", "envpool", "--episodes", "2", "--seed", "7",
                     "--max-steps", "40", "--burn-in", "0", "--workers", "1", "--json", "--no-progress")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["config"]["carracing_env"] == "envpool"
    scores = [e["distance"] for e in report["morphologies"]["standard"]["episodes"]]
    protocol = FitnessProtocol.carracing(max_steps=40, early_stop=False)
    batched, _ = run_batched_episodes([artifact, artifact], [7, 8], protocol)
    np.testing.assert_allclose(scores, batched, rtol=1e-6, atol=1e-3)


def test_missing_envpool_is_a_dependency_error_with_the_install_command(monkeypatch):
    from hebbkit.runtime.errors import DependencyError
    from hebbkit.trainer.batched import EnvpoolEvaluator

    monkeypatch.setitem(sys.modules, "envpool", None)  # import envpool now raises ImportError
    with pytest.raises(DependencyError, match="pip install envpool"):
        EnvpoolEvaluator(1)


def test_envpool_backend_is_refused_for_the_ant_and_on_ray():
    from hebbkit.runtime.errors import ConfigError

    with pytest.raises(ConfigError, match="carracing env only"):
        resolve_config({"config": "smoke", "carracing_env": "envpool"})
    with pytest.raises(ConfigError, match="--executor local"):
        resolve_config({"config": "carracing-paper", "carracing_env": "envpool", "executor": "ray"})


@pytest.fixture(scope="module")
def envpool_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("envpool") / "run"
    result = hebbkit("train", "--config", "carracing-paper", "--carracing-env", "envpool", "--population", "4",
                     "--generations", "2", "--max-steps", "30", "--workers", "2", "--run-dir", str(run_dir),
                     "--no-progress", "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    return run_dir


def log_rows(run_dir):
    with open(run_dir / "log.csv") as handle:
        return [{key: row[key] for key in ("generation", "fitness_mean", "fitness_max", "center_fitness",
                                           "env_steps")} for row in csv.DictReader(handle)]


def test_envpool_training_runs_resumes_and_repeats_itself(envpool_run, tmp_path):
    assert json.loads((envpool_run / "config.json").read_text())["carracing_env"] == "envpool"
    assert len({row["fitness_max"] for row in log_rows(envpool_run)}) > 1  # the candidates scored differently
    result = hebbkit("train", "--resume", str(envpool_run), "--generations", "3", "--no-progress")
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again"
    result = hebbkit("train", "--config", "carracing-paper", "--carracing-env", "envpool", "--population", "4",
                     "--generations", "3", "--max-steps", "30", "--workers", "1", "--run-dir", str(again),
                     "--no-progress", "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    assert log_rows(again) == log_rows(envpool_run)  # resumed == uninterrupted, 2 threads == 1 thread


def test_fan_in_uniform_starts_the_car_s_kernels_and_weights_and_leaves_the_ant_s_draw_as_it_was():
    car = ParameterLayout.of(network_for(resolve_config({"config": "carracing-static"}), 0, 3))
    tensors = car.unravel(car.fan_in_uniform(np.random.default_rng(0)))
    bounds = {"frontend/0": 1 / np.sqrt(3 * 3 * 3), "frontend/1": 1 / np.sqrt(6 * 5 * 5),
              "initial_weights/0": 1 / np.sqrt(648), "initial_weights/1": 1 / np.sqrt(128),
              "initial_weights/2": 1 / np.sqrt(64)}
    assert set(tensors) == set(bounds)
    for name, bound in bounds.items():
        assert 0.8 * bound < np.abs(tensors[name]).max() <= bound + 1e-7, name
    ant = ParameterLayout.of(network_for(resolve_config({"config": "ant-static"}), 28, 8))
    rng = np.random.default_rng(3)
    before = np.concatenate([rng.uniform(-1.0, 1.0, size=shape).reshape(-1) / np.sqrt(shape[0])
                             for shape in ant.shapes])  # the draw as written before front ends were allowed
    np.testing.assert_array_equal(ant.fan_in_uniform(np.random.default_rng(3)), before)


def test_the_static_car_baseline_trains_on_envpool_and_its_twin_equals_policy_step(tmp_path):
    """carracing-static: weights (conv kernels included) evolved directly, started fan-in-uniform; the batched
    twin steps such a network as `Policy.step` does (nothing learns, nothing is normalised)."""
    run_dir = tmp_path / "static-car"
    result = hebbkit("train", "--config", "carracing-static", "--carracing-env", "envpool", "--population", "4",
                     "--generations", "1", "--max-steps", "20", "--workers", "1", "--learning-rate", "1e-9",
                     "--run-dir", str(run_dir), "--no-progress", "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    artifact = load_artifact(run_dir / "latest.npz")
    assert artifact.network.rule == "static" and artifact.network.weight_norm == "none"
    assert np.abs(artifact.static_tensors["frontend/1"]).max() <= 1 / np.sqrt(150) + 1e-3  # one tiny ES step
    policy = Policy(artifact, "numpy", seed=4)
    twin = PopulationTwin([artifact])
    weights = [torch.tensor(w[None].copy()) for w in policy.weights]
    for frame in np.random.default_rng(2).random((5, 1, 3, 84, 84)).astype(np.float32):
        actions = twin.step(weights, torch.from_numpy(frame)).numpy()
        np.testing.assert_allclose(actions[0], policy.step(frame[0]), atol=1e-5)
