"""`experiments/like_for_like.py`: issue 27's Hebbian-vs-static target table from the shipped models' own files; a
suite that ran other models, or a model not shipped yet, is refused by name (a stale table cannot pass for new)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from hebbkit.trainer.episodes import summarise

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "like_for_like.py"


def run_script(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], cwd=ROOT, capture_output=True, text=True)


def test_the_table_reads_the_shipped_cards_files_and_says_which_targets_are_met():
    result = run_script("models/ant-robust", "models/ant-static", "--unseen",
                        "models/ant-robust/unseen-categories/suite.json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| measure | ant-robust (Hebbian) | ant-static (static) | target | met |"
    assert lines[2] == "| standard body, 100 episodes | 933.9 +- 55.9 | 1,714.1 +- 68.7 | >= 1,100 | no: 15% short |"
    assert "| median steps to walk, standard body | 42 | 18 | <= 100 | yes |" in lines
    assert not any("cruise" in line for line in lines)  # these evaluations predate the cruise step
    assert "| unseen bodies keeping >= 60% of standard | 5/24 | 0/24 | every body | no: 19 bodies below |" in lines
    # one row per category of the suite, each Hebbian against static
    categories = [line.split(",")[0] for line in lines if line.startswith("| unseen ") and "mean of" in line]
    assert categories == ["| unseen bodies", "| unseen lower-legs", "| unseen upper-legs", "| unseen uniform-scale",
                          "| unseen several-legs", "| unseen actuators"]
    assert "| unseen upper-legs, mean of 4 | 481.0 | 692.3 | Hebbian > static | no: 211.3 behind |" in lines


def shipped_copy(source: str, folder: Path, cruise_steps: list[int]) -> Path:
    """models/SOURCE's card files (no binaries) copied to FOLDER, its standard episodes given these cruise steps
    (cycled)."""
    shutil.copytree(ROOT / "models" / source, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("checkpoint", "normal-init-run", "*.png", "*.npz"))
    report = json.loads((folder / "eval_100_episodes.json").read_text())
    standard = report["morphologies"]["standard"]
    for index, episode in enumerate(standard["episodes"]):
        episode["cruise_step"] = cruise_steps[index % len(cruise_steps)]
    # as `hebbkit eval --json` writes it: per episode and the body's median (summarise)
    standard["cruise_step_median"] = summarise(standard["episodes"])["cruise_step_median"]
    (folder / "eval_100_episodes.json").write_text(json.dumps(report))
    return folder


def test_a_suite_of_other_models_or_a_model_not_shipped_is_refused_by_name(tmp_path):
    result = run_script("models/ant-robust", "models/ant-paper")
    assert result.returncode == 1 and "no unseen-bodies suite ran" in result.stderr
    assert "models/ant-paper/unseen-bodies/suite.json ran" in result.stderr  # what it found instead
    unshipped = tmp_path / "ant-static-robust"
    unshipped.mkdir()
    result = run_script("models/ant-robust", str(unshipped))
    assert result.returncode == 1
    assert f"{unshipped / 'eval_100_episodes.json'}: missing (ship the model first" in result.stderr
    (unshipped / "eval_100_episodes.json").write_text("{broken")
    result = run_script("models/ant-robust", str(unshipped))
    assert result.returncode == 1 and "eval_100_episodes.json: not JSON" in result.stderr


def test_evaluations_with_cruise_steps_get_their_row(tmp_path):
    static = shipped_copy("ant-static", tmp_path / "ant-static-robust", [150, 160, 170])  # median 160
    hebbian = shipped_copy("ant-robust", tmp_path / "ant-robust", [240])
    suites = [hebbian / "unseen-categories" / "suite.json", hebbian / "suite" / "suite.json"]
    for suite in suites:  # the copied suites name models/ant-robust and models/ant-static: point them at the copies
        report = json.loads(suite.read_text())
        report["artifacts"] = {"hebbian": str(hebbian / "model.npz"), "static": str(static / "model.npz")}
        suite.write_text(json.dumps(report))
    result = run_script(str(hebbian), str(static), "--unseen", str(suites[0]), "--sim2real", str(suites[1]))
    assert result.returncode == 0, result.stderr
    assert "| median steps to cruise speed, standard body | 240 | 160 | (no target) | yes |" in result.stdout
