"""`experiments/carracing_scores.py`: the card's evaluation row from `hebbkit eval --json` reports; a finished lap is
told from an exit of the playfield by its score; a file that is not such a report is refused by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "carracing_scores.py"


def report(path: Path, episodes: list[tuple[float, int]], env: str = "gymnasium") -> Path:
    path.write_text(json.dumps({
        "config": {"max_steps": 1000, "carracing_env": env},
        "morphologies": {"standard": {"episodes": [{"seed": i, "distance": d, "steps": s, "walk_step": None}
                                                   for i, (d, s) in enumerate(episodes)]}}}))
    return path


def run_script(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True)


def test_the_row_counts_target_episodes_and_finished_laps_apart_from_exits(tmp_path):
    # 922.1 at 779 steps is a finished lap (1000 - 77.9); 250.0 at 400 steps left the playfield.
    gym = report(tmp_path / "gym.json", [(922.1, 779), (850.0, 1000), (250.0, 400), (600.0, 1000)])
    pool = report(tmp_path / "pool.json", [(900.0, 1000), (800.0, 1000)], env="envpool")
    result = run_script(str(gym), str(pool))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == "| Gymnasium `CarRacing-v3` | 655.5 +- 262.9 | 725.0 | 250.0 | 922.1 | 2 | 1 |"
    assert lines[3] == "| envpool `CarRacing-v3` | 850.0 +- 50.0 | 850.0 | 800.0 | 900.0 | 2 | 0 |"
    assert f"{gym}: 4 episodes, 1 left the playfield" in result.stdout


def test_a_file_that_is_not_an_evaluation_report_is_refused_by_name(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"morphologies": {}}))
    for name in ("broken.json", "other.json", "missing.json"):
        result = run_script(str(tmp_path / name))
        assert result.returncode == 2 and name in result.stderr and "Traceback" not in result.stderr
