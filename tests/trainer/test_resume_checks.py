"""`hebbkit train --resume` checks config.json and log.csv against the checkpoint (issue 28, "Training and the CLI").

Guaranteed:
- the checkpoint records the env steps spent and the run's config; a resume refuses, in one line and without
  changing any file, a config.json whose identity (any option but the resumable ones) differs from the checkpoint's,
  a log.csv that is missing, damaged (header, a row's field count, generation or env steps) or holds fewer
  generations than the checkpoint, and one whose env steps do not add up to the checkpoint's;
- rows a killed run logged past its checkpoint are still cut back, and the budget counts the checkpoint's env steps;
- a checkpoint written before hebbkit recorded env steps or its config still resumes, with a one-line warning.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SMOKE = ["--config", "smoke", "--no-progress", "--no-tensorboard"]
FILES = ("config.json", "log.csv", "checkpoint.npz")


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def resume(run_dir: Path, generations: int = 3) -> subprocess.CompletedProcess:
    return hebbkit("train", "--resume", str(run_dir), "--generations", str(generations), "--no-progress")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("resume") / "run"
    result = hebbkit("train", *SMOKE, "--generations", "2", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


def copy_run(source: Path, target: Path) -> Path:
    target.mkdir()
    for name in FILES:
        (target / name).write_bytes((source / name).read_bytes())
    return target


def contents(run_dir: Path) -> dict[str, bytes]:
    return {name: (run_dir / name).read_bytes() for name in FILES if (run_dir / name).exists()}


def refused_unchanged(run_dir: Path, *fragments: str) -> None:
    """A resume of `run_dir` ends in one line holding `fragments`, exit 1, and leaves every file as it was."""
    before = contents(run_dir)
    result = resume(run_dir)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("hebbkit ")]
    assert len(lines) == 1 and lines[0].startswith("hebbkit train: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert contents(run_dir) == before


def log_rows(run_dir: Path) -> list[str]:
    return (run_dir / "log.csv").read_text().splitlines()


def write_rows(run_dir: Path, rows: list[str]) -> None:
    (run_dir / "log.csv").write_text("\n".join(rows) + "\n")


def rewrite_checkpoint(run_dir: Path, drop: tuple[str, ...]) -> None:
    with np.load(run_dir / "checkpoint.npz") as archive:
        arrays = {name: archive[name] for name in archive.files if name not in drop}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (run_dir / "checkpoint.npz").write_bytes(buffer.getvalue())


def test_the_checkpoint_records_the_env_steps_spent(finished_run):
    logged = sum(int(row.split(",")[9]) for row in log_rows(finished_run)[1:])
    with np.load(finished_run / "checkpoint.npz") as archive:
        assert int(archive["env_steps"]) == logged > 0


def test_an_edited_config_json_is_refused(finished_run, tmp_path):
    run_dir = copy_run(finished_run, tmp_path / "edited")
    config = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, "population": 16}))
    refused_unchanged(run_dir, "does not match checkpoint.npz", "population 16 (checkpoint: 4)")


def test_a_truncated_log_is_refused(finished_run, tmp_path):
    run_dir = copy_run(finished_run, tmp_path / "truncated")
    write_rows(run_dir, log_rows(run_dir)[:-1])
    refused_unchanged(run_dir, "holds 1 generations, checkpoint.npz is at generation 2")


@pytest.mark.parametrize("damage, fragment", [
    ("garbage", "line 2 is damaged"),
    ("header", "its header is not generation,"),
    ("steps", "add up to"),
    ("generation", "generation '7', expected 2"),
    ("binary", "is damaged"),
    ("missing", "log.csv is missing"),
])
def test_a_damaged_log_is_refused_in_one_line(finished_run, tmp_path, damage, fragment):
    run_dir = copy_run(finished_run, tmp_path / damage)
    rows = log_rows(run_dir)
    if damage == "garbage":
        rows[1] = "this,is,not,a,row"
    elif damage == "header":
        rows[0] = "gen,steps"
    elif damage == "steps":
        fields = rows[2].split(",")
        fields[9] = str(int(fields[9]) - 1)
        rows[2] = ",".join(fields)
    elif damage == "generation":
        rows[2] = "7" + rows[2][rows[2].index(","):]
    if damage == "binary":
        (run_dir / "log.csv").write_bytes(b"\xff\xfe\x00garbage\n")
    elif damage == "missing":
        (run_dir / "log.csv").unlink()
    else:
        write_rows(run_dir, rows)
    refused_unchanged(run_dir, fragment)


def test_rows_past_the_checkpoint_are_cut_and_the_run_continues(finished_run, tmp_path):
    run_dir = copy_run(finished_run, tmp_path / "killed")
    rows = log_rows(run_dir)
    write_rows(run_dir, [*rows, rows[-1].replace("2,", "3,", 1), "4,half a row"])  # logged, never checkpointed
    result = resume(run_dir)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert log_rows(run_dir)[:3] == rows and len(log_rows(run_dir)) == 4


def test_an_older_checkpoint_resumes_with_a_warning_and_counts_the_log(finished_run, tmp_path):
    run_dir = copy_run(finished_run, tmp_path / "older")
    rewrite_checkpoint(run_dir, drop=("env_steps", "config"))
    result = resume(run_dir)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("hebbkit train: warning: ")]
    assert len(warnings) == 2 and "records no config" in warnings[0] and "records no env-step count" in warnings[1]
    logged = sum(int(row.split(",")[9]) for row in log_rows(run_dir)[1:])
    with np.load(run_dir / "checkpoint.npz") as archive:  # the new checkpoint records both again
        assert int(archive["env_steps"]) == logged and "config" in archive.files
