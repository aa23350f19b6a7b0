"""CarRacing from pixels: preprocessing, the paper's network in training, evaluation, resume."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from hebbkit.runtime import Policy, load_artifact
from hebbkit.trainer.envs.carracing import CARRACING_PROFILE, CarRacingPixels, preprocess
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import network_for, resolve_config


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def test_preprocessing_gives_channels_first_84x84_in_unit_range():
    frame = np.zeros((96, 96, 3), np.uint8)
    frame[:, :, 1] = 255
    image = preprocess(frame)
    assert image.shape == (3, 84, 84) and image.dtype == np.float32
    np.testing.assert_allclose(image[1], 1.0) and np.testing.assert_allclose(image[0], 0.0)


def test_wrapped_env_observations_match_the_network():
    env = CarRacingPixels()
    observation, _ = env.reset(seed=0)
    assert observation.shape == (3, 84, 84) and env.observation_space.contains(observation)
    config = resolve_config({"config": "carracing-paper"})
    network = network_for(config, 0, 3)
    layout = ParameterLayout.of(network)
    assert network.n_coefficients == 456_640 and layout.size == 456_640 + 1_362
    artifact = layout.to_artifact(np.random.default_rng(0).standard_normal(layout.size) * 0.1, CARRACING_PROFILE,
                                  env.dt)
    action = Policy(artifact, seed=0).step(observation)
    assert action.shape == (3,) and -1 <= action[0] <= 1 and 0 <= action[1] <= 1 and 0 <= action[2] <= 1
    env.step(action)


@pytest.fixture(scope="module")
def car_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("car") / "run"
    result = hebbkit("train", "--config", "carracing-paper", "--population", "4", "--generations", "2",
                     "--max-steps", "30", "--workers", "2", "--snapshot-every", "1", "--run-dir", str(run_dir),
                     "--no-progress")
    assert result.returncode == 0, result.stderr
    return run_dir


def test_training_runs_resumes_and_exports_the_frontend(car_run):
    artifact = load_artifact(car_run / "latest.npz")
    assert artifact.network.frontend is not None and "frontend/1" in artifact.static_tensors
    result = hebbkit("train", "--resume", str(car_run), "--generations", "3", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert load_artifact(car_run / "latest.npz").provenance["generations"] == 3


def test_eval_reports_scores(car_run):
    result = hebbkit("eval", str(car_run / "latest.npz"), "--episodes", "2", "--max-steps", "40", "--burn-in", "0",
                     "--json")  # CarRacing has no burn-in; the default 40 is refused with --max-steps 40
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    episodes = report["morphologies"]["standard"]["episodes"]
    assert len(episodes) == 2 and all(e["steps"] == 40 for e in episodes)


def test_validate_scores_a_carracing_run_on_its_one_track_body(car_run):
    """The Ant's validation bodies mean nothing to a car: every snapshot is scored once, on Gymnasium's env."""
    result = hebbkit("validate", str(car_run), "--episodes", "1", "--max-steps", "20", "--workers", "2",
                     "--no-progress")
    assert result.returncode == 0, result.stderr
    with (car_run / "validation.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert rows and {row["body"] for row in rows} == {"standard"} and {row["max_steps"] for row in rows} == {"20"}
    assert [int(row["generation"]) for row in rows] == sorted({int(row["generation"]) for row in rows})
