"""`experiments/carracing_actions.py`: one row per episode on Gymnasium's CarRacing-v3, the training protocol's
stop, statistics within their ranges; bad counts are refused before any env starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from hebbkit.runtime.artifact import save_artifact
from hebbkit.trainer.envs.carracing import CARRACING_PROFILE
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import network_for, resolve_config

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "carracing_actions.py"


def driver(path: Path) -> Path:
    network = network_for(resolve_config({"config": "carracing-paper", "rule_family": "diagonal"}), 0, 3)
    layout = ParameterLayout.of(network)
    flat = np.random.default_rng(0).standard_normal(layout.size) * 0.1
    save_artifact(layout.to_artifact(flat, CARRACING_PROFILE, 0.02), path)
    return path


def run_script(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True)


def test_each_episode_prints_its_score_steps_and_action_statistics(tmp_path):
    result = run_script(str(driver(tmp_path / "driver.npz")), "--episodes", "2", "--seed", "3", "--max-steps", "30")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert header.split() == ["seed", "score", "steps", "steer", "|steer|", "flips", "gas", "brake"]
    assert [row.split()[0] for row in rows] == ["3", "4"]
    for row in rows:
        _, score, steps, steer, magnitude, flips, gas, brake = (float(v) for v in row.split())
        assert 1 <= steps <= 30 and np.isfinite(score)
        assert -1 <= steer <= 1 and 0 <= magnitude <= 1 and 0 <= flips <= 1 and 0 <= gas <= 1 and 0 <= brake <= 1


def test_zero_episodes_is_refused_with_a_usage_error(tmp_path):
    result = run_script(str(tmp_path / "missing.npz"), "--episodes", "0")
    assert result.returncode == 2 and "--episodes and --max-steps must be >= 1" in result.stderr
