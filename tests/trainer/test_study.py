"""Studies at equal budget: snapshots of the ES mean, the env-step budget (also across a resume), bodies sampled per
generation, validation on held-out bodies and seeds, and the study table and plot."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import load_artifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.envs.body_sets import VALIDATION_BODIES, BodyDistribution
from hebbkit.trainer.run import prepare_run, resolve_config
from hebbkit.trainer.study import markdown_table, study_rows, value_at_budget

SMOKE = ["--config", "smoke", "--no-progress"]


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


def logged_steps(run_dir: Path) -> list[int]:
    with (run_dir / "log.csv").open() as stream:
        return [int(row["env_steps"]) for row in csv.DictReader(stream)]


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory) -> Path:
    """A smoke run of 4 generations with a snapshot every 2, on one fixed and one sampled body per generation."""
    run_dir = tmp_path_factory.mktemp("study") / "run"
    result = hebbkit("train", *SMOKE, "--generations", "4", "--snapshot-every", "2", "--body-distribution",
                     "leg-scales", "--bodies-per-generation", "1", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


def test_snapshots_hold_the_es_mean_every_n_generations(snapshot_run):
    assert sorted(path.name for path in (snapshot_run / "snapshots").iterdir()) == ["gen_0002.npz", "gen_0004.npz"]
    latest, snapshot = load_artifact(snapshot_run / "latest.npz"), load_artifact(snapshot_run / "snapshots" /
                                                                                  "gen_0004.npz")
    assert snapshot.provenance["generations"] == 4
    for got, expected in zip(snapshot.coefficients, latest.coefficients):
        np.testing.assert_array_equal(got, expected)


def test_sampled_bodies_are_the_same_for_a_generation_and_differ_between_generations(tmp_path):
    config = resolve_config({"config": "smoke", "run_dir": tmp_path / "r", "body_distribution": "leg-scales",
                             "bodies_per_generation": 2})
    run, state = prepare_run(config, "test")
    first = run.generation_protocol(state).morphologies
    assert first[0] == "standard" and len(first) == 3
    assert run.generation_protocol(state).morphologies == first  # a resumed run meets the same bodies
    jobs = run.jobs(state, run.strategy.ask(state), workers=2)
    assert {job.protocol.morphologies for job in jobs} == {first}  # every candidate meets the same bodies
    later = run.generation_protocol(state.__class__(**{**state.__dict__, "generation": 1})).morphologies
    assert later[1:] != first[1:]
    distribution = BodyDistribution()
    assert all(distribution.contains(body) for body in first[1:] + later[1:])


def test_training_refuses_validation_bodies_and_unknown_distributions():
    with pytest.raises(ConfigError, match="validation bodies"):
        resolve_config({"bodies": ("standard", VALIDATION_BODIES[1])})
    with pytest.raises(ConfigError, match="unknown body_distribution 'wobbly'"):
        resolve_config({"body_distribution": "wobbly"})


def test_env_step_budget_stops_the_run_and_survives_a_resume(tmp_path):
    run_dir = tmp_path / "budget"
    result = hebbkit("train", *SMOKE, "--generations", "50", "--env-steps-budget", "600", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr
    steps = logged_steps(run_dir)
    assert sum(steps) >= 600 and sum(steps[:-1]) < 600  # stops at the first generation that reaches it
    assert "env steps" in result.stdout
    resumed = hebbkit("train", "--resume", str(run_dir), "--generations", "50", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert logged_steps(run_dir) == steps  # the stored budget is kept: nothing more to do
    more = hebbkit("train", "--resume", str(run_dir), "--generations", "50", "--env-steps-budget", "1200",
                   "--no-progress")
    assert more.returncode == 0, more.stderr
    assert sum(logged_steps(run_dir)) >= 1200
    assert json.loads((run_dir / "config.json").read_text())["env_steps_budget"] == 600  # as started


def test_validate_scores_each_snapshot_once_on_fixed_seeds(snapshot_run):
    arguments = ["validate", str(snapshot_run), "--bodies", "standard", "damaged_left_front", "--episodes", "1",
                 "--workers", "2", "--no-progress"]
    result = hebbkit(*arguments)
    assert result.returncode == 0, result.stderr
    with (snapshot_run / "validation.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["generation"], row["body"]) for row in rows] == [
        ("2", "standard"), ("2", "damaged_left_front"), ("4", "standard"), ("4", "damaged_left_front")]
    assert int(rows[-1]["env_steps"]) == sum(logged_steps(snapshot_run))
    assert {row["seed"] for row in rows} == {"10000000"}
    assert b"\r" not in (snapshot_run / "validation.csv").read_bytes()  # "\n" line ends, as log.csv
    again = hebbkit(*arguments)
    assert again.returncode == 0 and "0 new" in again.stdout
    empty = snapshot_run.parent / "empty"
    empty.mkdir()
    refused = hebbkit("validate", str(empty))
    assert refused.returncode == 1 and "has no snapshots" in refused.stderr


def test_validation_csv_of_an_older_release_gains_the_max_steps_column(snapshot_run, tmp_path):
    """Rows written before `max_steps` existed scored 1,000-step episodes; they are kept and labelled so."""
    run_dir = tmp_path / "old"
    run_dir.mkdir()
    for name in ("config.json", "log.csv", "snapshots"):
        source = snapshot_run / name
        (run_dir / name).symlink_to(source, target_is_directory=source.is_dir())
    (run_dir / "validation.csv").write_text("generation,env_steps,body,episodes,seed,distance_mean,distance_std\n"
                                            "2,100,standard,1,10000000,5.5,0.0\n")
    result = hebbkit("validate", str(run_dir), "--bodies", "standard", "--episodes", "1", "--max-steps", "45",
                     "--workers", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    with (run_dir / "validation.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert (rows[0]["generation"], rows[0]["max_steps"], rows[0]["distance_mean"]) == ("2", "1000", "5.5")
    assert [(row["generation"], row["max_steps"]) for row in rows[1:]] == [("2", "45"), ("4", "45")]
    short = hebbkit("validate", str(run_dir), "--max-steps", "40", "--no-progress")
    assert short.returncode == 1 and "burn-in" in short.stderr


def test_study_table_and_plot(snapshot_run, tmp_path):
    budget, rows = study_rows((snapshot_run,), 0)
    assert budget == sum(logged_steps(snapshot_run)) and rows[0]["generations_in_budget"] == 4
    table = markdown_table(budget, rows)
    assert table.splitlines()[0].startswith("| run | env steps (total) |")
    result = hebbkit("study", str(snapshot_run), "--output", str(tmp_path / "study.png"))
    assert result.returncode == 0, result.stderr
    averaged = hebbkit("study", str(snapshot_run), "--last", "3")
    assert averaged.returncode == 0 and "mean over each run's last 3 snapshots" in averaged.stdout
    refused = hebbkit("study", str(snapshot_run), "--last", "0")
    assert refused.returncode != 0 and "--last must be >= 1" in refused.stderr
    assert (tmp_path / "study.png").stat().st_size > 10_000
    # a budget cuts both panels there; a run without validation.csv leaves the right panel saying so
    from hebbkit.trainer.study import plot_study

    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("log.csv", "config.json"):
        (bare / name).write_text((snapshot_run / name).read_text())
    assert plot_study((bare,), tmp_path / "cut.png", budget=budget // 2).stat().st_size > 10_000


def test_study_table_names_list_bodies_by_their_labels():
    spec = "front_left:lower:0.1+rear_left:lower:0.1"  # a validation2 body; its label is left_lowers_x0.1
    rows = [{"run": "r", "env_steps": 2e6, "generations_in_budget": 3, "fitness_mean": 5.0,
             "validation": {"standard": 10.0, spec: 4.0, "front_left:upper:0.9": None}}]
    header = markdown_table(2_000_000, rows).splitlines()[0]
    assert header.endswith("| standard | left_lowers_x0.1 | front_left:upper:0.9 | mean of the non-standard bodies |")


def test_study_table_means_the_non_standard_bodies_when_every_one_is_scored():
    rows = [{"run": "a", "env_steps": 2e6, "generations_in_budget": 3, "fitness_mean": 5.0,
             "validation": {"standard": 10.0, "uppers_x1.5": 4.0, "motors_x0.4": 7.0}},
            {"run": "b", "env_steps": 2e6, "generations_in_budget": 3, "fitness_mean": 5.0,
             "validation": {"standard": 10.0, "uppers_x1.5": 4.0, "motors_x0.4": None}}]
    first, second = markdown_table(2_000_000, rows).splitlines()[2:]
    assert first.endswith("| 10 | 4 | 7 | 6 |") and second.endswith("| 10 | 4 | - | - |")
    one_body = [{**rows[0], "validation": {"standard": 10.0, "uppers_x1.5": 4.0}}]
    assert "mean of the non-standard" not in markdown_table(2_000_000, one_body)


def test_value_at_budget_takes_the_last_point_within_it():
    assert value_at_budget([10, 20, 30], [1.0, 2.0, 3.0], 25) == 2.0
    assert value_at_budget([10, 20, 30], [1.0, 2.0, 3.0], 5) is None
    assert value_at_budget([10, 20, 30], [1.0, 2.0, 3.0], 30) == 3.0
    assert value_at_budget([10, 20, 30], [1.0, 2.0, 3.0], 30, last=2) == 2.5  # --last: the mean of the last N
    assert value_at_budget([10, 20, 30], [1.0, 2.0, 3.0], 25, last=3) == 1.5  # fewer if fewer lie within



def test_a_run_trained_in_stages_is_joined_with_its_env_steps_counted_from_the_first_stage(snapshot_run, tmp_path):
    """STAGE1+STAGE2 (a warm start continuing another run): logs joined, stage 2's env steps and validation points
    counted after stage 1's total; a stage that is not a run directory is refused in one line."""
    from hebbkit.trainer.study import load_study_run

    stages = []
    for index, distance in enumerate((10.0, 30.0)):
        stage = tmp_path / f"stage{index + 1}"
        stage.mkdir()
        for name in ("log.csv", "config.json"):
            (stage / name).write_text((snapshot_run / name).read_text())
        (stage / "validation.csv").write_text("generation,env_steps,body,episodes,seed,max_steps,distance_mean,"
                                              f"distance_std\n4,1000,standard,5,0,1000,{distance},1.0\n")
        stages.append(stage)
    total = sum(logged_steps(snapshot_run))
    joined = load_study_run(f"{stages[0]}+{stages[1]}")
    assert joined.name == "stage1 + stage2" and len(joined.log) == 8
    assert joined.total == 2 * total and joined.env_steps[4] == total + logged_steps(snapshot_run)[0]
    assert joined.validation["standard"] == [(1000, 10.0), (total + 1000, 30.0)]
    budget, rows = study_rows((f"{stages[0]}+{stages[1]}", stages[0]), 0)  # type: ignore[arg-type]
    assert budget == total and rows[0]["validation"]["standard"] == 10.0
    _, rows = study_rows((f"{stages[0]}+{stages[1]}",), 2 * total)  # type: ignore[arg-type]
    assert rows[0]["validation"]["standard"] == 30.0 and rows[0]["generations_in_budget"] == 8
    result = hebbkit("study", f"{stages[0]}+{stages[1]}", str(stages[0]), "--output", str(tmp_path / "staged.png"))
    assert result.returncode == 0, result.stderr
    assert "| stage1 + stage2 |" in result.stdout and (tmp_path / "staged.png").stat().st_size > 10_000
    refused = hebbkit("study", f"{stages[0]}+{tmp_path / 'nowhere'}")
    assert refused.returncode != 0 and "not a directory" in refused.stderr and "nowhere" in refused.stderr
