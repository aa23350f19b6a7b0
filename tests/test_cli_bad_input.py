"""Bad input on the training and evaluation command line: each case ends in one clear line on stderr and exit 1,
and loses nothing.

Guaranteed (issue 13, "Training and the command line"):
- `train --resume DIR` keeps the run's settings: without `--generations` it keeps the stored budget (it used to run
  on to the default 300); a flag that would change the run (e.g. `--population`) is refused, naming what may change.
- A damaged run directory is refused with CheckpointError, never a traceback and never silently: a 2-D mean, a
  config.json with another seed than the checkpoint, best parameters of the wrong shape, config.json that is not
  JSON (or not UTF-8, or not an object).
- `train`: negative or zero counts (`--generations -1`, `--episodes -1`, odd or tiny `--population`,
  `--burn-in >= --max-steps`) and `--run-dir FILE` are refused before anything is written; a refused config leaves
  no empty run folder.
- `eval`: `--episodes 0`/`-1`, `--workers -3`, `--max-steps -10` are refused; a CarRacing model refuses Ant bodies.
- `bridge ping --count 0` (and a non-positive `--seconds` or `--baudrate`) is refused before the port is opened.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SMOKE = ["--config", "smoke", "--no-progress"]


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("hebbkit ")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("bad") / "run"
    result = hebbkit("train", *SMOKE, "--generations", "2", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


def copy_run(source: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("config.json", "log.csv", "checkpoint.npz"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def rewrite_checkpoint(run_dir: Path, **changes) -> None:
    with np.load(run_dir / "checkpoint.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays.update(changes)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (run_dir / "checkpoint.npz").write_bytes(buffer.getvalue())


def test_resume_without_generations_keeps_the_stored_budget(finished_run):
    rows = (finished_run / "log.csv").read_text()
    result = hebbkit("train", "--resume", str(finished_run), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert (finished_run / "log.csv").read_text() == rows  # it did not run on to the default 300


def test_resume_refuses_flags_that_would_change_the_run(finished_run):
    refused(hebbkit("train", "--resume", str(finished_run), "--population", "8"), "--population",
            "only generations")
    same = hebbkit("train", "--resume", str(finished_run), "--population", "4", "--no-progress")
    assert same.returncode == 0, same.stderr  # the stored value given again is fine


@pytest.mark.parametrize("damage, message", [
    ("mean_2d", "mean of shape"),
    ("seed", "seed"),
    ("best_shape", "best parameters of shape"),
    ("config_not_json", "is damaged"),
    ("config_binary", "is damaged"),
    ("config_list", "is damaged"),
])
def test_damaged_run_directories_are_refused(finished_run, tmp_path, damage, message):
    run_dir = copy_run(finished_run, tmp_path / damage)
    with np.load(run_dir / "checkpoint.npz") as archive:
        mean = archive["mean"]
    if damage == "mean_2d":
        rewrite_checkpoint(run_dir, mean=np.stack([mean, mean]))
    elif damage == "seed":
        config = json.loads((run_dir / "config.json").read_text())
        (run_dir / "config.json").write_text(json.dumps({**config, "seed": 7}))
    elif damage == "best_shape":
        rewrite_checkpoint(run_dir, best_parameters=mean[:-1])
    elif damage == "config_not_json":
        (run_dir / "config.json").write_text("{ not json")
    elif damage == "config_binary":
        (run_dir / "config.json").write_bytes(b"\xff\xfe\x00garbage")
    else:
        (run_dir / "config.json").write_text("[1, 2]")
    refused(hebbkit("train", "--resume", str(run_dir), "--generations", "3"), message)


@pytest.mark.parametrize("flags, message", [
    (["--generations", "-1"], "generations must be an integer >= 1"),
    (["--episodes", "-1"], "episodes must be an integer >= 1"),
    (["--population", "5"], "population must be even"),
    (["--burn-in", "60"], "burn_in (60) must be below max_steps (50)"),
    (["--sigma", "0"], "sigma must be a finite number > 0"),
])
def test_train_refuses_bad_numbers_before_writing_anything(tmp_path, flags, message):
    run_dir = tmp_path / "never"
    refused(hebbkit("train", *SMOKE, *flags, "--run-dir", str(run_dir)), message)
    assert not run_dir.exists()


def test_train_refuses_a_file_as_run_dir_and_leaves_no_empty_folder(tmp_path):
    existing = tmp_path / "file.txt"
    existing.write_text("keep me")
    refused(hebbkit("train", *SMOKE, "--run-dir", str(existing)), "is a file")
    assert existing.read_text() == "keep me"
    run_dir = tmp_path / "static-family"
    refused(hebbkit("train", *SMOKE, "--rule", "static", "--rule-family", "neuron", "--run-dir", str(run_dir)),
            "rule_family must be 'synapse'")
    assert not run_dir.exists()  # refused after the folder was made: removed again


@pytest.mark.parametrize("flags, message", [
    (["--episodes", "0"], "--episodes must be >= 1"),
    (["--episodes", "-1"], "--episodes must be >= 1"),
    (["--workers", "-3"], "--workers must be >= 0"),
    (["--max-steps", "-10"], "--burn-in < --max-steps"),
    (["--carracing-env", "envpool"], "applies to CarRacing drivers only"),
])
def test_eval_refuses_counts_that_would_crash_or_report_nothing(flags, message):
    model = Path(__file__).resolve().parents[1] / "models" / "ant-paper" / "model.npz"
    refused(hebbkit("eval", str(model), *flags), message)


def test_eval_of_a_carracing_model_refuses_ant_bodies(tmp_path):
    from hebbkit.runtime.artifact import save_artifact
    from hebbkit.trainer.envs.carracing import CARRACING_PROFILE
    from hebbkit.trainer.parameters import ParameterLayout
    from hebbkit.trainer.run import network_for, resolve_config

    config = resolve_config({"config": "carracing-paper", "hidden": (4,)})
    network = network_for(config, CARRACING_PROFILE.n_observations, CARRACING_PROFILE.n_actions)
    layout = ParameterLayout.of(network)
    artifact = layout.to_artifact(np.zeros(layout.size), CARRACING_PROFILE, 0.02)
    path = save_artifact(artifact, tmp_path / "car.npz")
    refused(hebbkit("eval", str(path), "--bodies", "damaged_left_front"), "CarRacing", "one body")


@pytest.mark.parametrize("flags, message", [
    (["ping", "--count", "0"], "--count must be >= 1"),
    (["monitor", "--seconds", "-1"], "--seconds must be a finite number > 0"),
    (["stats", "--baudrate", "0"], "--baudrate must be >= 1"),
])
def test_bridge_refuses_counts_that_would_crash(flags, message):
    refused(hebbkit("bridge", *flags, "--port", "loop://"), message)
