"""Training runs: CLI smoke runs on both backends, resume after SIGKILL, Ctrl-C, worker death, bad checkpoints,
evaluation and plots."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import load_artifact, load_policy
from hebbkit.trainer.run import resolve_config, train
from hebbkit.trainer.workers import LocalEvaluator, evaluate_chunk

SMOKE = ["--config", "smoke", "--no-progress"]


def hebbkit(*arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True,
                          **kwargs)


def final_mean(run_dir: Path) -> np.ndarray:
    with np.load(run_dir / "checkpoint.npz") as checkpoint:
        return checkpoint["mean"].copy()


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    """An uninterrupted smoke run of 4 generations on the local backend."""
    run_dir = tmp_path_factory.mktemp("runs") / "reference"
    result = hebbkit("train", *SMOKE, "--generations", "4", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


def test_smoke_run_writes_config_log_checkpoint_and_exports(reference_run):
    config = json.loads((reference_run / "config.json").read_text())
    assert config["config"] == "smoke" and config["population"] == 4 and config["max_steps"] == 50
    rows = (reference_run / "log.csv").read_text().splitlines()
    assert rows[0].startswith("generation,fitness_mean,fitness_max") and len(rows) == 5
    for name in ("best", "latest"):
        artifact = load_artifact(reference_run / f"{name}.npz")
        assert artifact.provenance["config"] == "smoke" and artifact.provenance["seed"] == 0
        assert artifact.provenance["generations"] >= 1 and "git_commit" in artifact.provenance
    assert load_artifact(reference_run / "latest.npz").provenance["generations"] == 4


def test_ray_backend_gives_the_same_run(reference_run, tmp_path):
    result = hebbkit("train", *SMOKE, "--generations", "4", "--executor", "ray", "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(final_mean(tmp_path / "r"), final_mean(reference_run))


def test_resume_after_sigkill_continues_bit_identically(tmp_path):
    generations = "24"
    arguments = ["train", *SMOKE, "--population", "8", "--max-steps", "120", "--generations", generations]
    uninterrupted = tmp_path / "whole"
    assert hebbkit(*arguments, "--run-dir", str(uninterrupted)).returncode == 0
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "hebbkit.trainer.cli", *arguments, "--run-dir", str(killed)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = killed / "log.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.exists() and len(log.read_text().splitlines()) >= 4):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the trainer and its workers, mid-run, no chance to clean up
    process.wait()
    done = len(log.read_text().splitlines()) - 1
    assert 3 <= done < int(generations), f"the kill came too late to test anything ({done} generations done)"
    result = hebbkit("train", "--resume", str(killed), "--generations", generations, "--no-progress")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(final_mean(killed), final_mean(uninterrupted))
    assert len(log.read_text().splitlines()) == int(generations) + 1  # no duplicated or missing rows
    whole_rows = [row.split(",")[:6] for row in (uninterrupted / "log.csv").read_text().splitlines()]
    assert [row.split(",")[:6] for row in log.read_text().splitlines()] == whole_rows
    assert b"\r" not in log.read_bytes()  # one line ending throughout, whether written before or after the resume


def test_ctrl_c_checkpoints_and_exits_cleanly(tmp_path):
    run_dir = tmp_path / "interrupted"
    # long chunks (1,000-step episodes): the trainer must not wait for running chunks to finish
    process = subprocess.Popen([sys.executable, "-m", "hebbkit.trainer.cli", "train", *SMOKE, "--generations", "500",
                                "--max-steps", "1000", "--population", "16", "--run-dir", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (run_dir / "checkpoint.npz").exists():
        time.sleep(0.02)
    time.sleep(0.5)  # well inside the next generation
    process.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - signalled < 10
    assert process.returncode == 130
    assert "Resume with" in stderr and f"--resume {run_dir}" in stderr
    with np.load(run_dir / "checkpoint.npz") as checkpoint:
        assert int(checkpoint["generation"]) >= 1
    load_artifact(run_dir / "latest.npz")


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interrupt_during_the_set_up_takes_effect_when_it_ends_and_the_exit_code_stays_130(signal_name):
    # The set-up imports torch (TensorBoard): a KeyboardInterrupt inside that import aborted the process (-6, a C++
    # exception through pybind11) or, inside a dataclass's exec, left CPython to end it by SIGINT (-2) after exit 130
    script = f"""
import dataclasses, os, signal, sys
from hebbkit.trainer.run import interrupts_deferred, signals_interrupt
try:
    with signals_interrupt(), interrupts_deferred():
        os.kill(os.getpid(), signal.{signal_name})
        @dataclasses.dataclass(frozen=True)
        class Defined:
            x: int
        print("set-up finished", flush=True)
    print("not reached", flush=True)
except KeyboardInterrupt:
    sys.exit(130)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130, result.stderr
    assert result.stdout.splitlines() == ["set-up finished"]


def test_ctrl_c_in_the_first_generation_says_nothing_was_checkpointed_and_its_command_works(tmp_path):
    run_dir = tmp_path / "first"
    process = subprocess.Popen([sys.executable, "-m", "hebbkit.trainer.cli", "train", *SMOKE, "--generations", "1",
                                "--max-steps", "1000", "--population", "16", "--run-dir", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith(f"run {run_dir}")  # printed just before generation 1 starts
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert not (run_dir / "checkpoint.npz").exists(), "generation 1 finished before the interrupt: nothing tested"
    assert "nothing was checkpointed" in stderr and "(checkpointed)" not in stderr
    command = next(line.split() for line in stderr.splitlines() if line.startswith("  hebbkit train --resume"))
    assert command[3] == str(run_dir)
    result = hebbkit(*command[1:])  # the command it printed, as printed
    assert result.returncode == 0, result.stderr
    with np.load(run_dir / "checkpoint.npz") as checkpoint:
        assert int(checkpoint["generation"]) == 1
    assert len((run_dir / "log.csv").read_text().splitlines()) == 2  # the header and generation 1, once


def test_a_run_that_never_checkpointed_resumes_from_its_start_and_one_that_lost_its_checkpoint_is_refused(
        reference_run, tmp_path):
    from hebbkit.trainer.run import not_started

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "config.json").write_text((reference_run / "config.json").read_text())
    assert not_started(fresh)
    result = hebbkit("train", "--resume", str(fresh), "--generations", "4", "--no-progress")
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(final_mean(fresh), final_mean(reference_run))  # as if it had never stopped
    (fresh / "checkpoint.npz").unlink()
    assert not not_started(fresh)  # four generations logged: their checkpoint is lost, not yet to be written
    refused = hebbkit("train", "--resume", str(fresh), "--no-progress")
    assert refused.returncode == 1 and "no checkpoint.npz" in refused.stderr


def test_a_finished_run_resumed_from_its_committed_files_writes_the_exports_it_lacks(reference_run, tmp_path):
    # a new machine holds a finished run's config.json, log.csv and checkpoint.npz only (no exports are committed)
    committed = tmp_path / "committed"
    committed.mkdir()
    for name in ("config.json", "log.csv", "checkpoint.npz"):
        (committed / name).write_bytes((reference_run / name).read_bytes())
    result = hebbkit("train", "--resume", str(committed), "--generations", "4", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "latest.npz and best.npz written from checkpoint.npz" in result.stdout
    for name in ("latest", "best"):
        written, original = load_artifact(committed / f"{name}.npz"), load_artifact(reference_run / f"{name}.npz")
        for key in ("generations", "fitness", "seed", "config"):
            assert written.provenance[key] == original.provenance[key], (name, key)
        for mine, theirs in zip(written.coefficients, original.coefficients, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    again = hebbkit("train", "--resume", str(committed), "--generations", "4", "--no-progress")
    assert again.returncode == 0 and "written from checkpoint.npz" not in again.stdout  # present: left alone


def die_once(job):
    """A chunk function whose first call kills its worker process (a stand-in for an OOM kill or a lost node)."""
    marker = Path(os.environ["HEBBKIT_TEST_MARKER"])
    if not marker.exists():
        marker.write_text("died")
        os._exit(9)
    return evaluate_chunk(job)


def test_a_worker_dying_mid_generation_costs_a_retry_not_the_run(reference_run, tmp_path, monkeypatch):
    monkeypatch.setenv("HEBBKIT_TEST_MARKER", str(tmp_path / "marker"))
    evaluator = LocalEvaluator(workers=2, chunk_function=die_once)
    config = resolve_config({"config": "smoke", "generations": 4, "run_dir": tmp_path / "run"})
    train(config, evaluator=evaluator)
    assert evaluator.retries >= 1 and (tmp_path / "marker").exists()
    np.testing.assert_array_equal(final_mean(tmp_path / "run"), final_mean(reference_run))


def test_exports_name_the_commit_of_the_code_the_run_loaded(tmp_path, monkeypatch):
    # a checkout moved on while the run trains (a later commit, an edit) must not relabel what the old code trained
    from hebbkit.trainer import run as run_module

    commits = iter(f"commit{index}" for index in range(1000))
    monkeypatch.setattr(run_module, "current_git_commit", lambda: next(commits))
    config = resolve_config({"config": "smoke", "generations": 2, "workers": 1, "run_dir": tmp_path / "run"})
    train(config)
    for name in ("best", "latest"):
        assert load_artifact(tmp_path / "run" / f"{name}.npz").provenance["git_commit"] == "commit0"


def test_a_ray_worker_dying_is_retried_too(reference_run, tmp_path, monkeypatch):
    from hebbkit.trainer.workers import RayEvaluator

    monkeypatch.setenv("HEBBKIT_TEST_MARKER", str(tmp_path / "marker"))
    evaluator = RayEvaluator(workers=2, chunk_function=die_once)
    config = resolve_config({"config": "smoke", "generations": 4, "run_dir": tmp_path / "run", "executor": "ray"})
    train(config, evaluator=evaluator)
    assert (tmp_path / "marker").exists()
    np.testing.assert_array_equal(final_mean(tmp_path / "run"), final_mean(reference_run))


def test_bad_checkpoints_and_directories_give_clear_errors(reference_run, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("config.json", "log.csv"):
        (damaged / name).write_bytes((reference_run / name).read_bytes())
    (damaged / "checkpoint.npz").write_bytes((reference_run / "checkpoint.npz").read_bytes()[:500])
    result = hebbkit("train", "--resume", str(damaged), "--generations", "5")
    assert result.returncode == 1 and "is damaged or not a hebbkit checkpoint" in result.stderr
    result = hebbkit("train", "--resume", str(tmp_path), "--generations", "5")
    assert result.returncode == 1 and "not a run directory" in result.stderr
    result = hebbkit("train", *SMOKE, "--run-dir", str(reference_run))
    assert result.returncode == 1 and "already holds a run" in result.stderr
    result = hebbkit("train", "--config", "nope")
    assert result.returncode == 1 and "unknown preset 'nope'" in result.stderr


def test_static_baseline_trains_and_runs_on_the_runtime(tmp_path):
    result = hebbkit("train", *SMOKE, "--rule", "static", "--run-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    policy = load_policy(tmp_path / "s" / "latest.npz", seed=3)
    before = policy.weights
    policy.step(np.zeros(28, dtype=np.float32))
    for got, expected in zip(policy.weights, before):
        np.testing.assert_array_equal(got, expected)


def test_static_baseline_can_start_as_the_papers_does(tmp_path):
    """--static-init fan-in-uniform: layer l's weights start U(-1/sqrt(in_l), 1/sqrt(in_l)) (PyTorch's nn.Linear
    default), not N(0, 1); the first generation's snapshot is the starting mean moved by one small ES step."""
    run_dir = tmp_path / "s"
    result = hebbkit("train", *SMOKE, "--rule", "static", "--static-init", "fan-in-uniform", "--generations", "1",
                     "--learning-rate", "1e-9", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert json.loads((run_dir / "config.json").read_text())["static_init"] == "fan-in-uniform"
    weights = load_artifact(run_dir / "latest.npz").static_tensors
    for layer, fan_in in enumerate((28, 16)):  # smoke: 28-16-8
        bound = 1 / np.sqrt(fan_in)
        tensor = weights[f"initial_weights/{layer}"]
        assert np.abs(tensor).max() <= bound + 1e-6 and np.abs(tensor).max() > 0.8 * bound
    refused = hebbkit("train", *SMOKE, "--static-init", "fan-in-uniform", "--run-dir", str(tmp_path / "h"))
    assert refused.returncode == 1 and "needs --rule static" in refused.stderr and not (tmp_path / "h").exists()


def test_eval_json_schema(reference_run):
    result = hebbkit("eval", str(reference_run / "latest.npz"), "--bodies", "standard", "damaged_left_front",
                     "--episodes", "2", "--max-steps", "80", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"artifact", "sha256", "config", "morphologies"}
    for morphology in ("standard", "damaged_left_front"):
        summary = report["morphologies"][morphology]
        assert set(summary) == {"episodes", "distance_mean", "distance_std", "walk_step_median", "walked_fraction",
                                "cruise_step_median", "joint_limit_excess_max"}
        assert [e["seed"] for e in summary["episodes"]] == [0, 1]
        assert set(summary["episodes"][0]) == {"seed", "distance", "steps", "walk_step", "cruise_step",
                                               "joint_limit_excess"}
        assert summary["episodes"][0]["steps"] == 80
    table = hebbkit("eval", str(reference_run / "latest.npz"), "--episodes", "1", "--max-steps", "60")
    assert table.returncode == 0 and "distance" in table.stdout


def test_plot_draws_the_training_curve(reference_run, tmp_path):
    result = hebbkit("plot", str(reference_run), "--output", str(tmp_path / "curve.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    assert hebbkit("plot", str(tmp_path)).returncode == 1
    both = hebbkit("plot", str(reference_run), str(reference_run), "--output", str(tmp_path / "both.png"))
    assert both.returncode == 0 and (tmp_path / "both.png").stat().st_size > 10_000  # e.g. Hebbian vs static


def test_plot_can_put_runs_on_their_env_steps_and_names_the_fitness_by_env(reference_run, tmp_path):
    steps = hebbkit("plot", str(reference_run), "--x", "env-steps", "--output", str(tmp_path / "steps.png"))
    assert steps.returncode == 0 and (tmp_path / "steps.png").stat().st_size > 10_000
    assert hebbkit("plot", str(reference_run), "--x", "seconds").returncode == 2  # not an axis: a usage error
    from hebbkit.trainer.evaluate import fitness_label

    car = tmp_path / "car"
    car.mkdir()
    (car / "config.json").write_text(json.dumps({"env": "carracing"}))
    assert fitness_label((reference_run,)) == "fitness (distance)"
    assert fitness_label((car,)) == "fitness (score)"
    assert fitness_label((reference_run, car)) == "fitness"


def test_plots_name_committed_checkpoints_by_their_model():
    from hebbkit.trainer.evaluate import run_name

    assert run_name(Path("models/ant-paper/checkpoint")) == "ant-paper"
    assert run_name(Path("models/carracing-paper/checkpoint-envpool")) == "carracing-paper (envpool)"
    assert run_name(Path("runs/carracing-diagonal")) == "carracing-diagonal"
