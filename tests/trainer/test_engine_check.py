"""`experiments/engine_check.py` (paper test T3): on the pybullet hebbkit installs, the replay of the stored
pybullet_envs recording agrees at every step, and `--eval` scores a model as `hebbkit eval` does, episode for
episode (ant-paper's first two episodes of its card's evaluation)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "engine_check.py"


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_installed_engine_replays_the_recording_and_scores_as_hebbkit_eval():
    result = subprocess.run([sys.executable, str(SCRIPT), "--eval", str(ROOT / "models/ant-paper/model.npz"),
                             "--episodes", "2"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("pybullet 3.2.7") and "deterministic pair order" in lines[0]
    rows = [cells(line) for line in lines[3:] if line.startswith("| ")]
    assert len(rows) == 10
    for name, steps, progress, first_off, _ in rows:
        here, there = steps.split(" / ")
        assert here == there, name
        here, there = (float(value) for value in progress.split(" / "))
        assert here == pytest.approx(there, abs=0.01), name
        assert first_off == "none", name
    card = json.loads((ROOT / "models/ant-paper/eval_100_episodes.json").read_text())
    first_two = [episode["distance"] for episode in card["morphologies"]["standard"]["episodes"][:2]]
    assert lines[-1].split(": ")[1].startswith(f"{sum(first_two) / 2:.1f} +- ")
