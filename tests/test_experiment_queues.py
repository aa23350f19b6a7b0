"""The run queues' shared step (`experiments/queue_lib.sh`, `train_run`): which run it resumes or starts, and when
it validates. `hebbkit` is replaced by a script that records its arguments, so the bash logic runs for real and
nothing trains."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "queue_lib.sh").write_text((ROOT / "experiments" / "queue_lib.sh").read_text())
    fake = tmp_path / "fake-hebbkit"
    # records its arguments; a new training run leaves a checkpoint, as the real one does, so later stages resume it
    fake.write_text('#!/usr/bin/env bash\necho "$*" >> calls.txt\n'
                    'if [ "$1" = train ]; then\n'
                    '  while [ $# -gt 0 ]; do\n'
                    '    if [ "$1" = --run-dir ]; then mkdir -p "$2" && touch "$2/checkpoint.npz"; fi; shift\n'
                    '  done\n'
                    'fi\n')
    fake.chmod(0o755)
    return tmp_path


def train_run(workspace: Path, *arguments: str, flags: str = "") -> list[str]:
    script = f'set -euo pipefail\nsource experiments/queue_lib.sh\n{flags}\ntrain_run {" ".join(arguments)}\n'
    result = subprocess.run(["bash", "-c", script], cwd=workspace, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})
    assert result.returncode == 0, result.stderr
    calls = workspace / "calls.txt"
    return calls.read_text().splitlines() if calls.exists() else []


def run_queue(workspace: Path, script: str, *helpers: str, stderr: list[str] | None = None,
              stdout: list[str] | None = None, status: int = 0) -> list[str]:
    """Run the queue `experiments/SCRIPT` in the workspace with the recording stand-in; the hebbkit calls it made.
    HELPERS: the experiments/ scripts it runs besides hebbkit (with this Python); STDERR and STDOUT, if given, get its
    streams; STATUS: the exit status it must end with."""
    for name in (script, *helpers):
        (workspace / "experiments" / name).write_text((ROOT / "experiments" / name).read_text())
    result = subprocess.run(["bash", f"experiments/{script}"], cwd=workspace, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit"),
                                 "PYTHON": sys.executable})
    assert result.returncode == status, result.stderr
    if stderr is not None:
        stderr.append(result.stderr)
    if stdout is not None:
        stdout.append(result.stdout)
    return (workspace / "calls.txt").read_text().splitlines()


def train_config(call: str):
    """The TrainConfig that `hebbkit` would build from one recorded call (`train ...`)."""
    from hebbkit.trainer.cli import COMMANDS, build_parser

    return COMMANDS["train"].parse(build_parser().parse_args(call.split()))


def committed(workspace: Path, name: str = "committed") -> Path:
    source = workspace / "models" / name
    source.mkdir(parents=True)
    for file in ("config.json", "checkpoint.npz", "log.csv"):
        (source / file).write_text("x")
    return source


def test_a_committed_checkpoint_is_copied_and_resumed_and_nothing_validated_without_snapshots(workspace):
    # a finished run resumed on a new machine makes no snapshots: validating it would fail and stop the queue
    committed(workspace)
    calls = train_run(workspace, "ant", "models/committed", "150")
    assert calls == ["train --resume runs/ant --env-steps-budget 150 --generations 100000 --workers 0 --no-progress"]
    assert (workspace / "runs" / "ant" / "checkpoint.npz").exists()


def test_a_run_with_snapshots_is_validated_with_the_queue_flags(workspace):
    committed(workspace)
    snapshots = workspace / "runs" / "car" / "snapshots"
    snapshots.mkdir(parents=True)
    (snapshots / "gen_0010.npz").write_text("x")
    for file in ("config.json", "checkpoint.npz"):
        (workspace / "runs" / "car" / file).write_text("local")
    calls = train_run(workspace, "car", "models/committed", "10", flags='VALIDATE_FLAGS="--every 5"')
    assert calls == ["train --resume runs/car --env-steps-budget 10 --generations 100000 --workers 0 --no-progress",
                     "validate runs/car --no-progress --every 5"]
    assert (workspace / "runs" / "car" / "checkpoint.npz").read_text() == "local"  # the local run wins


def test_without_any_checkpoint_a_new_run_starts_with_the_given_flags(workspace):
    calls = train_run(workspace, "static", "-", "60", "--config", "ant-static")
    assert calls == ["train --config ant-static --env-steps-budget 60 --generations 100000 --run-dir runs/static "
                     "--no-progress"]


def test_the_static_carracing_queue_resumes_its_committed_checkpoint_through_every_stage(workspace):
    committed(workspace, "carracing-static/checkpoint-envpool")
    calls = run_queue(workspace, "run_carracing_static.sh")
    budgets = [call.split("--env-steps-budget ")[1].split()[0] for call in calls]
    assert budgets == ["10000000", "20830099", "30000000", "40000000", "50000000", "60000000"]
    assert all(call.startswith("train --resume runs/carracing-static ") for call in calls)
    assert (workspace / "runs" / "carracing-static" / "checkpoint.npz").exists()


def test_round_two_queue_starts_its_warm_started_arms_and_leaves_validation_to_its_own_bodies(workspace):
    snapshots = workspace / "runs" / "r2-a-const" / "snapshots"
    snapshots.mkdir(parents=True)
    (snapshots / "gen_0010.npz").write_text("x")  # VALIDATE=0: snapshots are not scored on the old bodies
    calls = run_queue(workspace, "run_study2.sh")
    assert [call.split("--run-dir ")[1].split()[0] for call in calls] == [
        "runs/r2-a-const", "runs/r2-a-restart", "runs/r2-a-decay", "runs/r2-b-standardize", "runs/r2-c-evolved",
        "runs/r2-d-wide", "runs/r2-e-pop256"]
    warm = "--config ant-robust --init-from models/ant-robust/model.npz --sigma 0.0648 --seed 1"
    assert all(call.startswith(f"train {warm} --learning-rate ") for call in calls[:3])
    assert all("--env-steps-budget 40000000" in call for call in calls)
    assert "--learning-rate 0.05 --learning-rate-decay 1.0" in calls[0]
    assert calls[3].startswith("train --config ant-robust --seed 0 --weight-norm standardize ")
    assert calls[4].startswith("train --config ant-robust --seed 0 --init-weights evolved ")
    control = f"train {warm} --learning-rate 0.0227 --learning-rate-decay 0.995"  # section a's winner
    assert calls[5].startswith(f"{control} --body-distribution leg-scales-wide ")
    assert calls[6].startswith(f"{control} --population 256 ")
    from hebbkit.trainer.cli import build_parser

    for call in calls:
        build_parser().parse_args(call.split())  # every command parses as hebbkit reads it


def test_round_two_second_seeds_pair_c_with_its_control_and_warm_start_evolved_weights(workspace):
    calls = run_queue(workspace, "run_study2_seeds.sh")
    assert [call.split("--run-dir ")[1].split()[0] for call in calls] == [
        "runs/r2-f-evolved-warm", "runs/r2-c-evolved-s1", "runs/r2-control-s1"]
    configs = [train_config(call) for call in calls]
    warm, evolved, control = configs
    assert (evolved.seed, control.seed) == (1, 1)  # seed 0 of both exists: r2-c-evolved, ant-robust's own run
    assert (evolved.init_weights, control.init_weights, warm.init_weights) == ("evolved", "random", "evolved")
    assert evolved.task == control.task and evolved.es == control.es  # c and its control differ in one setting
    assert str(warm.init_from) == "models/ant-robust/model.npz" and warm.es.learning_rate == 0.0227
    assert all(config.env_steps_budget == 40_000_000 for config in configs)


def test_the_baseline_queue_continues_ant_static_on_ant_robusts_bodies_for_the_issues_60_m(workspace):
    from hebbkit.trainer.train_config import TrainConfig

    calls = run_queue(workspace, "run_baseline.sh")
    # the first stage starts the run, the later ones resume it
    budgets = [int(call.split("--env-steps-budget ")[1].split()[0]) for call in calls]
    assert budgets == [30_000_000, 60_000_000]  # stopped at the issue's minimum, its held-out curve flat
    static = train_config(calls[0])
    configs, logs = {}, {}
    for name in ("ant-robust", "ant-static"):
        checkpoint = ROOT / "models" / name / "checkpoint"
        configs[name] = TrainConfig.from_json(json.loads((checkpoint / "config.json").read_text()))
        with (checkpoint / "log.csv").open() as stream:
            logs[name] = list(csv.DictReader(stream))
    assert static.rule == "static" and str(static.init_from) == "models/ant-static/model.npz"
    # ant-robust's bodies and seed, ant-static's ES state at its last generation: only the bodies change
    assert static.task == configs["ant-robust"].task and static.seed == configs["ant-robust"].seed == 0
    last = logs["ant-static"][-1]
    assert static.es == replace(configs["ant-static"].es, sigma=round(float(last["sigma"]), 4),
                                learning_rate=round(float(last["learning_rate"]), 4))
    # with ant-static's own 60 M env steps, 120 M in all: 30 M less than ant-robust's 150 M (docs/experiments.md)
    spent = {name: sum(int(row["env_steps"]) for row in rows) for name, rows in logs.items()}
    assert abs(spent["ant-static"] + budgets[-1] + 30_000_000 - spent["ant-robust"]) < 400_000


def test_the_winner_queue_continues_cs_committed_run_and_prefers_its_own_checkpoint(workspace):
    from hebbkit.trainer.train_config import TrainConfig

    calls = run_queue(workspace, "run_winner.sh")  # nothing committed: c's settings from scratch, in stages
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == [
        "60000000", "90000000", "120000000", "150000000"]
    winner = train_config(calls[0])
    c_run = TrainConfig.from_json(json.loads((ROOT / "experiments" / "study2" / "r2-c-evolved" / "config.json")
                                             .read_text()))
    robust = TrainConfig.from_json(json.loads((ROOT / "models" / "ant-robust" / "checkpoint" / "config.json")
                                              .read_text()))
    assert (winner.init_weights, c_run.init_weights) == ("evolved", "evolved")
    assert winner.task == c_run.task == robust.task and winner.es == c_run.es and winner.seed == c_run.seed == 0
    assert robust.seed == 0  # the same bodies per generation as ant-robust's own run

    (workspace / "calls.txt").unlink()
    shutil.rmtree(workspace / "runs")  # a new machine: the first queue's run is gone
    study = workspace / "experiments" / "study2"
    study.mkdir()
    (study / "r2-c-evolved").mkdir()
    for file in ("config.json", "checkpoint.npz", "log.csv"):
        (study / "r2-c-evolved" / file).write_text("c")
    run_queue(workspace, "run_winner.sh")
    assert (workspace / "runs" / "ant-robust-evolved" / "checkpoint.npz").read_text() == "c"  # c's run continued

    (workspace / "calls.txt").unlink()
    (workspace / "runs" / "ant-robust-evolved" / "checkpoint.npz").unlink()
    own = committed(workspace, "ant-robust-evolved/checkpoint")
    (own / "checkpoint.npz").write_text("own")
    calls = run_queue(workspace, "run_winner.sh")
    assert (workspace / "runs" / "ant-robust-evolved" / "checkpoint.npz").read_text() == "own"  # a later session's
    assert all(call.startswith("train --resume runs/ant-robust-evolved") for call in calls)


def training_log(run: Path, best: float, sigma: float = 0.08, learning_rate: float = 0.15) -> None:
    """A log.csv of two generations whose best candidate scored `best` (what experiments/left_the_ground.py reads)."""
    run.mkdir(parents=True, exist_ok=True)
    header = "generation,fitness_mean,fitness_max,fitness_min,center_fitness,sigma,learning_rate\n"
    rows = f"1,1.0,3.0,-2.0,1.0,0.1,0.2\n2,2.0,{best},-1.0,2.0,{sigma},{learning_rate}\n"
    (run / "log.csv").write_text(header + rows)


def a1_hebbian_calls(calls: list[str]) -> None:
    assert calls[0] == ("train --config a1-robust --seed 0 --env-steps-budget 30000000 --generations 100000 "
                        "--run-dir runs/a1-hebbian --no-progress")
    assert calls[1:] == [
        f"train --resume runs/a1-hebbian --env-steps-budget {budget} --generations 100000 --workers 0 --no-progress"
        for budget in (60000000, 90000000, 120000000, 150000000)]


def test_the_a1_queue_trains_both_models_in_one_protocol_with_commands_hebbkit_parses(workspace):
    training_log(committed(workspace, "a1-static/checkpoint"), best=35.0)  # resumes its committed checkpoint
    calls = run_queue(workspace, "run_a1.sh", "left_the_ground.py")
    # the static baseline first: a pilot of 5 M env steps whose best candidate left the standing plateau, then its
    # stages of 30 M env steps, each resuming the last (validated after each when the run has snapshots; the
    # stand-in makes none); then the Hebbian model
    assert calls[:3] == [
        f"train --resume runs/a1-static --env-steps-budget {budget} --generations 100000 --workers 0 --no-progress"
        for budget in (5000000, 30000000, 60000000)]
    a1_hebbian_calls(calls[3:])
    hebbian = train_config(calls[3].replace("30000000", "150000000"))
    static = train_config("train --config a1-static --seed 0 --env-steps-budget 60000000")
    assert (hebbian.rule, hebbian.init_weights, static.rule, static.static_init) == (
        "ABCD_lr", "random", "static", "fan-in-uniform")
    assert (hebbian.env_steps_budget, str(hebbian.run_dir)) == (150_000_000, "runs/a1-hebbian")
    assert hebbian.task == static.task and hebbian.seed == static.seed == 0  # one protocol for both
    task = hebbian.task  # the A1's robot file, what a real A1 measures, randomised bodies and actuators
    assert (task.robot, task.observation, task.actuation) == ("unitree_a1", "proprio_contacts_action", "position")
    assert (task.bodies, task.body_distribution, task.domain_randomization) == (("standard",), "leg-scales-motors",
                                                                                True)
    assert task.early_stop_clock == "policy"  # the seed code's clock, which T4 found to matter


def test_a_static_a1_that_stands_still_starts_on_the_standard_body_then_continues_under_the_full_protocol(workspace):
    training_log(committed(workspace, "a1-static/checkpoint"), best=4.0)  # the pilot never left the ground
    training_log(committed(workspace, "a1-static/checkpoint-standard"), best=60.0, sigma=0.09, learning_rate=0.17)
    calls = run_queue(workspace, "run_a1.sh", "left_the_ground.py")
    resume = "train --resume runs/{} --env-steps-budget {} --generations 100000 --workers 0 --no-progress"
    assert calls[:3] == [resume.format("a1-static", 5000000), resume.format("a1-static-standard", 5000000),
                         resume.format("a1-static-standard", 30000000)]
    assert calls[3] == ("train --config a1-static --seed 0 --static-init normal --init-from "
                        "runs/a1-static-standard/latest.npz --sigma 0.09 --learning-rate 0.17 --env-steps-budget "
                        "30000000 --generations 100000 --run-dir runs/a1-static-robust --no-progress")
    assert calls[4] == resume.format("a1-static-robust", 60000000)
    a1_hebbian_calls(calls[5:])
    standard = train_config("train --config a1-static-standard --seed 0").task
    robust = train_config(calls[3])  # the ES continues with the standard run's step and noise, on the A1's task
    assert (standard.bodies, standard.body_distribution, standard.domain_randomization) == (("standard",), None, False)
    assert robust.task == train_config("train --config a1-robust --seed 0").task
    assert (robust.rule, robust.es.sigma, robust.es.learning_rate) == ("static", 0.09, 0.17)


def test_a_static_a1_that_stands_still_on_the_standard_body_too_is_reported_and_the_hebbian_model_trains(workspace):
    training_log(committed(workspace, "a1-static/checkpoint"), best=4.0)
    training_log(committed(workspace, "a1-static/checkpoint-standard"), best=6.0)
    stderr: list[str] = []
    calls = run_queue(workspace, "run_a1.sh", "left_the_ground.py", stderr=stderr)
    assert "static weights stand still on the A1 even on the standard body alone" in stderr[0]
    assert [call.split()[2] for call in calls[:2]] == ["runs/a1-static", "runs/a1-static-standard"]
    a1_hebbian_calls(calls[2:])


def test_the_servo_retraining_learns_to_walk_by_the_mean_then_hardens_on_the_worst_episode(workspace):
    calls = run_queue(workspace, "run_followups.sh")
    assert [call.split("--run-dir ")[1].split()[0] for call in calls] == [
        "runs/servo-proprio-limits", "runs/servo-proprio-worst"]
    limits, worst = (train_config(call) for call in calls)
    assert str(limits.init_from) == "models/servo-proprio/model.npz"
    assert str(worst.init_from) == "runs/servo-proprio-limits/latest.npz"  # stage 2 goes on from stage 1's mean
    assert (limits.task.episode_aggregate, worst.task.episode_aggregate) == ("mean", "min")
    assert limits.task.robot == worst.task.robot == "servo_quadruped" and limits.seed != worst.seed


def ship(workspace: Path, script: str, *arguments: str) -> subprocess.CompletedProcess:
    for name in ("ship_lib.sh", script):
        (workspace / "experiments" / name).write_text((ROOT / "experiments" / name).read_text())
    return subprocess.run(["bash", f"experiments/{script}", *arguments], cwd=workspace, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})


def shipped(workspace: Path, script: str, *arguments: str) -> list[str]:
    result = ship(workspace, script, *arguments)
    assert result.returncode == 0, result.stderr
    return (workspace / "calls.txt").read_text().splitlines()


def finished_run(workspace: Path, name: str) -> None:
    run = workspace / "runs" / name
    (run / "snapshots").mkdir(parents=True)
    for file in ("config.json", "log.csv", "validation.csv", "checkpoint.npz", "best.npz", "latest.npz"):
        (run / file).write_text(file)
    (run / "snapshots" / "gen_0400.npz").write_text("snapshot 400")


def test_ship_model_ships_the_chosen_snapshot_and_copies_the_resumable_files(workspace):
    finished_run(workspace, "ant-paper")
    calls = shipped(workspace, "ship_model.sh", "ant-paper", "runs/ant-paper", "models/ant-static/model.npz",
                    "runs/ant-paper/snapshots/gen_0400.npz")
    model = workspace / "models" / "ant-paper"
    assert (model / "model.npz").read_text() == "snapshot 400"
    assert sorted(p.name for p in (model / "checkpoint").iterdir()) == [
        "best.npz", "checkpoint.npz", "config.json", "log.csv", "validation.csv"]  # not latest.npz, no snapshots
    assert calls[:3] == ["validate runs/ant-paper --no-progress", "inspect runs/ant-paper/snapshots/gen_0400.npz",
                         "plot models/ant-paper/checkpoint --output models/ant-paper/training_curve.png"]
    assert [call.split()[0] for call in calls[3:]] == ["eval", "suite", "suite"]
    assert all("--baseline models/ant-static/model.npz" in call for call in calls[4:])


def test_a_model_without_a_baseline_ships_its_suites_alone(workspace):
    finished_run(workspace, "servo-proprio")
    calls = shipped(workspace, "ship_model.sh", "servo-proprio", "runs/servo-proprio", "-")
    suites = [call for call in calls if call.startswith("suite")]
    assert len(suites) == 2 and not any("--baseline" in call for call in suites)


def test_ship_carracing_scores_both_envs_and_records_a_gif(workspace):
    finished_run(workspace, "carracing-diagonal")  # the default run: the diagonal-family driver
    calls = shipped(workspace, "ship_carracing.sh")
    model = workspace / "models" / "carracing-paper"
    assert (model / "model.npz").read_text() == "latest.npz"
    assert (model / "checkpoint-envpool" / "checkpoint.npz").exists()
    assert calls[0] == "validate runs/carracing-diagonal --no-progress --every 5"
    evals = [call for call in calls if call.startswith("eval")]
    assert len(evals) == 2 and "--carracing-env envpool" in evals[1] and "--carracing-env" not in evals[0]
    assert calls[-1].startswith("record models/carracing-paper/model.npz --seed 0")


def test_ship_carracing_ships_the_static_baseline_to_its_own_folder(workspace):
    finished_run(workspace, "carracing-static")
    calls = shipped(workspace, "ship_carracing.sh", "runs/carracing-static", "runs/carracing-static/latest.npz",
                    "models/carracing-static")
    assert (workspace / "models" / "carracing-static" / "model.npz").read_text() == "latest.npz"
    assert not (workspace / "models" / "carracing-paper").exists()
    assert sum(call.startswith("eval models/carracing-static/model.npz") for call in calls) == 2


def test_shipping_a_missing_artifact_stops_before_overwriting_anything(workspace):
    finished_run(workspace, "ant-paper")
    model = workspace / "models" / "ant-paper"
    model.mkdir(parents=True)
    (model / "model.npz").write_text("shipped before")
    result = ship(workspace, "ship_model.sh", "ant-paper", "runs/ant-paper", "-", "runs/nope.npz")
    assert result.returncode != 0 and "no runs/nope.npz: nothing to ship" in result.stderr
    assert (model / "model.npz").read_text() == "shipped before" and not (model / "checkpoint").exists()


def test_a_model_ships_from_its_committed_checkpoint_on_a_machine_without_runs(workspace):
    checkpoint = workspace / "models" / "ant-paper" / "checkpoint"
    checkpoint.mkdir(parents=True)
    for file in ("config.json", "log.csv", "checkpoint.npz", "latest.npz"):
        (checkpoint / file).write_text(file)
    calls = shipped(workspace, "ship_model.sh", "ant-paper", "models/ant-paper/checkpoint")
    assert (workspace / "models" / "ant-paper" / "model.npz").read_text() == "latest.npz"
    assert calls[0] == "inspect models/ant-paper/checkpoint/latest.npz"  # no snapshots there: nothing to validate


def test_rescoring_ranks_the_candidates_by_their_mean_over_the_three_bodies(workspace):
    (workspace / "experiments" / "rescore_snapshots.sh").write_text(
        (ROOT / "experiments" / "rescore_snapshots.sh").read_text())
    fake = workspace / "fake-hebbkit"  # prints a report whose distances are the artifact name's number
    fake.write_text('#!/usr/bin/env bash\necho "$*" >> calls.txt\nn=$((10#$(basename "$2" .npz | tr -dc 0-9)))\n'
                    'echo "{\\"artifact\\": \\"$2\\", \\"morphologies\\": {\\"a\\": {\\"distance_mean\\": $n}, '
                    '\\"b\\": {\\"distance_mean\\": 0}, \\"c\\": {\\"distance_mean\\": 0}}}"\n')
    result = subprocess.run(["bash", "experiments/rescore_snapshots.sh", "runs/x/gen_0300.npz", "runs/x/gen_0600.npz"],
                            cwd=workspace, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(fake), "PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["200.0", "runs/x/gen_0600.npz"], ["100.0", "runs/x/gen_0300.npz"]]
    calls = (workspace / "calls.txt").read_text().splitlines()
    assert all("--episodes 20 --seed 10000100" in call and "damaged_left_front" not in call for call in calls)


def test_servo_rescoring_ranks_walkers_by_their_worst_perturbation(workspace):
    (workspace / "experiments" / "rescore_servo.sh").write_text((ROOT / "experiments" / "rescore_servo.sh").read_text())
    fake = workspace / "fake-hebbkit"  # a suite report: speed and worst share from the artifact's name
    fake.write_text("""#!/usr/bin/env bash
echo "$*" >> calls.txt
case "$2" in
  *fast_fragile*) speed=0.9; share=0.4 ;;
  *slow_robust*) speed=0.3; share=0.95 ;;
  *) speed=0.6; share=0.7 ;;
esac
cat <<JSON
{"artifacts": {"m": "$2"}, "conditions": [{"name": "standard", "morphology": "standard"},
 {"name": "damaged_right_front", "morphology": "damaged_right_front"},
 {"name": "friction_x1.5", "morphology": "standard"},
 {"name": "latency_1", "morphology": "standard"}],
 "results": {"m": {"standard": {"speed_body_lengths_per_s": $speed, "retained": 1.0},
  "damaged_right_front": {"speed_body_lengths_per_s": 0.01, "retained": 0.01},
  "friction_x1.5": {"speed_body_lengths_per_s": 0.1, "retained": $share},
  "latency_1": {"speed_body_lengths_per_s": 0.1, "retained": 0.99}}}}
JSON
""")
    candidates = ["runs/s/fast_fragile.npz", "runs/s/slow_robust.npz", "runs/s/balanced.npz"]
    result = subprocess.run(["bash", "experiments/rescore_servo.sh", *candidates], cwd=workspace, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(fake), "PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr
    ranked = [line.split()[1] for line in result.stdout.splitlines()]
    assert ranked == ["runs/s/balanced.npz", "runs/s/fast_fragile.npz", "runs/s/slow_robust.npz"]
    assert "worst: friction_x1.5" in result.stdout  # the damaged body (1%) is not ranked on
    calls = (workspace / "calls.txt").read_text().splitlines()
    assert all("--suite sim2real --episodes 20 --seed 1000" in call for call in calls)


def test_the_paper_tests_change_one_difference_from_ant_paper_each(workspace):
    from hebbkit.trainer.train_config import TrainConfig

    calls = run_queue(workspace, "run_paper_tests.sh")
    names = [call.split("--run-dir runs/")[1].split()[0] for call in calls if "--run-dir" in call]
    assert names == ["p4-t1-step", "p4-t2-first-release", "p4-t4-early-stop"]
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == [
        "30000000", "40000000", "20000000", "40000000"]
    # T4's second stage resumes its first: the same run, to 40 M env steps
    assert calls[3] == "train --resume runs/p4-t4-early-stop --env-steps-budget 40000000 --generations 100000 " \
                       "--workers 0 --no-progress"
    step, release, clock = (train_config(call) for call in calls[:3])
    stored = ROOT / "models" / "ant-paper" / "checkpoint" / "config.json"
    paper = TrainConfig.from_json(json.loads(stored.read_text()))
    assert str(step.init_from) == "models/ant-paper/model.npz"
    assert (step.es.fitness_shaping, step.es.learning_rate, step.es.sigma) == ("standardized-ranks", 0.0077, 0.0522)
    assert (release.rule_family, release.es.fitness_shaping) == ("diagonal", "standardized-ranks")
    assert clock.task.early_stop_clock == "policy" and paper.task.early_stop_clock == "env"
    assert clock.task == replace(paper.task, early_stop_clock="policy")  # the paper's protocol but for the clock


def validated_run(run: Path, standard: float, others: float, generations: int = 4) -> None:
    """A run directory that trained 40 M env steps in `generations` generations (10 M each), every generation's
    snapshot validated at `standard` on the standard body and `others` on two other bodies."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps({"bodies": ["standard"]}))
    (run / "log.csv").write_text("generation,fitness_mean,env_steps\n" + "".join(
        f"{generation},1.0,10000000\n" for generation in range(1, generations + 1)))
    rows = [f"{generation},{generation * 10000000},{body},5,10000000,1000,{value},1.0\n"
            for generation in range(1, generations + 1)
            for body, value in (("standard", standard), ("damaged_left_front", others),
                                ("damaged_right_front", others))]
    (run / "validation.csv").write_text("generation,env_steps,body,episodes,seed,max_steps,distance_mean,"
                                        "distance_std\n" + "".join(rows))


def robust_clock_queue(workspace: Path, standard: float, others: float) -> tuple[list[str], str]:
    """run_robust_clock.sh after a 40 M run that validated at `standard` / `others` against ant-robust's 600 / 300."""
    validated_run(workspace / "models" / "ant-robust" / "checkpoint", 600.0, 300.0)
    validated_run(workspace / "runs" / "ant-robust-clock", standard, others)
    (workspace / "runs" / "ant-robust-clock" / "checkpoint.npz").write_text("x")
    stdout: list[str] = []
    calls = run_queue(workspace, "run_robust_clock.sh", "leads_at_budget.py", stdout=stdout)
    return calls, stdout[0]


def test_ant_robust_with_the_paper_clock_changes_that_one_item_of_its_protocol(workspace):
    from hebbkit.trainer.train_config import TrainConfig

    stderr: list[str] = []  # no reference run here: no verdict, the queue stops with the reason (decide by hand)
    calls = run_queue(workspace, "run_robust_clock.sh", "leads_at_budget.py", stderr=stderr, status=2)
    assert "leads_at_budget: cannot compare runs/ant-robust-clock with models/ant-robust/checkpoint" in stderr[0]
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == ["20000000", "40000000"]
    assert calls[1].startswith("train --resume runs/ant-robust-clock ")  # the second stage continues the first
    clock = train_config(calls[0])
    stored = ROOT / "models" / "ant-robust" / "checkpoint" / "config.json"
    robust = TrainConfig.from_json(json.loads(stored.read_text()))
    assert clock.task == replace(robust.task, early_stop_clock="policy") and robust.task.early_stop_clock == "env"
    assert (clock.seed, clock.es) == (robust.seed, robust.es)  # same bodies per generation, same ES


def test_ant_robust_with_the_clock_goes_on_to_150_m_only_if_it_leads_at_40_m(workspace):
    calls, stdout = robust_clock_queue(workspace, standard=650.0, others=320.0)
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == [
        "20000000", "40000000", "70000000", "100000000", "150000000"]
    assert all(call.startswith("train --resume runs/ant-robust-clock ") for call in calls)
    assert "leads" in stdout and "standard body 650 vs 600, mean of 2 other bodies 320 vs 300" in stdout


@pytest.mark.parametrize("standard, others", [(650.0, 280.0), (580.0, 320.0)])
def test_ant_robust_with_the_clock_stops_at_40_m_unless_it_leads_on_both_figures(workspace, standard, others):
    calls, stdout = robust_clock_queue(workspace, standard, others)
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == ["20000000", "40000000"]
    assert "does not lead" in stdout and "stops at 40 M env steps" in stdout


def test_a_run_short_of_the_budget_is_not_compared(workspace):
    validated_run(workspace / "short", 900.0, 900.0, generations=3)  # 30 M env steps
    validated_run(workspace / "reference", 600.0, 300.0)
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / "leads_at_budget.py"), "short", "reference",
                             "--budget", "40000000"], cwd=workspace, capture_output=True, text=True)
    assert result.returncode == 2 and "short has not trained to 40 M env steps yet" in result.stderr


def test_round_three_shapes_the_first_10_m_by_every_foot_then_continues_on_distance_alone(workspace):
    log = workspace / "runs" / "r3-duty-shaped" / "log.csv"  # what the shaped run's last generation logged
    log.parent.mkdir(parents=True)
    log.write_text("generation,fitness_mean,fitness_max,fitness_min,center_fitness,best_center_fitness,sigma,"
                   "learning_rate,seconds,env_steps,env_steps_per_second,retries\n"
                   "98,400.0,600.0,-5.0,450.0,470.0,0.0906737,0.122945,30.0,101000,3300.0,0\n")
    calls = run_queue(workspace, "run_gait_shaping.sh")
    assert [call.split("--run-dir ")[1].split()[0] for call in calls] == [
        "runs/r3-duty-shaped", "runs/r3-duty-then-distance"]
    shaped, distance = (train_config(call) for call in calls)
    assert (shaped.task.foot_duty_bonus, distance.task.foot_duty_bonus) == (2.0, 0.0)
    assert replace(shaped.task, foot_duty_bonus=0.0) == distance.task  # only the score changes between stages
    assert str(distance.init_from) == "runs/r3-duty-shaped/latest.npz"
    assert (distance.es.sigma, distance.es.learning_rate) == (0.0907, 0.1229)  # the ES schedule continues
    assert (shaped.env_steps_budget, distance.env_steps_budget) == (10_000_000, 30_000_000)
    assert shaped.seed == 0 and distance.seed == 1  # seed 0 meets ant-robust's own first episodes


def test_round_three_stops_with_one_line_when_the_shaped_run_logged_nothing(workspace):
    (workspace / "experiments" / "run_gait_shaping.sh").write_text(
        (ROOT / "experiments" / "run_gait_shaping.sh").read_text())
    result = subprocess.run(["bash", "experiments/run_gait_shaping.sh"], cwd=workspace, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})
    assert result.returncode == 1 and "runs/r3-duty-shaped/log.csv: no generation logged" in result.stderr


def chain(workspace: Path, *arguments: str, queues: dict[str, str], **env: str) -> subprocess.CompletedProcess:
    """Run experiments/run_all.sh over stand-in queues (name -> body, each sourcing queue_lib.sh)."""
    (workspace / "experiments" / "run_all.sh").write_text((ROOT / "experiments" / "run_all.sh").read_text())
    for name, body in queues.items():
        (workspace / "experiments" / name).write_text(
            f'set -euo pipefail\ncd "$(dirname "$0")/.."\nsource experiments/queue_lib.sh\n{body}\n')
    return subprocess.run(["bash", "experiments/run_all.sh", *arguments], cwd=workspace, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit"),
                                          "QUEUES": " ".join(queues), **env})


def test_the_chain_runs_every_queue_in_order_and_goes_on_after_one_that_fails(workspace):
    result = chain(workspace, queues={"q1.sh": "train_run one - 10 --config smoke",
                                      "q2.sh": "echo q2 >> calls.txt; exit 3",
                                      "q3.sh": "train_run three - 10 --config smoke"})
    calls = (workspace / "calls.txt").read_text().splitlines()
    # the queues it starts train under its lock (they inherit it), in the order given
    assert [call.split()[0] for call in calls] == ["train", "q2", "train"]
    assert "--run-dir runs/one" in calls[0] and "--run-dir runs/three" in calls[2]
    assert result.returncode == 1 and "queue q2.sh failed (exit status 3)" in result.stderr
    assert "failed: q2.sh" in result.stdout


def test_the_chain_waits_for_the_queue_started_by_hand_and_the_training_it_left(workspace):
    import threading

    # a queue in its own process group whose script (0.5 s) ends before the training it started (1.5 s); reaped by a
    # thread, as a parent would (a zombie stays alive to kill -0)
    queue = subprocess.Popen(["bash", "-c", "sleep 1.5 & sleep 0.5"], start_new_session=True)
    threading.Thread(target=queue.wait, daemon=True).start()
    result = chain(workspace, "--after", str(queue.pid), POLL_SECONDS="0.1",
                   queues={"q1.sh": f"pgrep -g {queue.pid} > /dev/null && echo alive >> calls.txt || echo ended >> "
                                    "calls.txt"})
    assert result.returncode == 0, result.stderr
    assert (workspace / "calls.txt").read_text().split() == ["ended"]
    assert f"waiting for process {queue.pid} and its process group" in result.stdout
    # a process of the chain's own group would never end first: refused in one line
    refused = subprocess.run(["bash", "-c", "sleep 5 & bash experiments/run_all.sh --after $!; status=$?; kill $!; "
                              "exit $status"], cwd=workspace, capture_output=True, text=True, start_new_session=True,
                             env={"PATH": "/usr/bin:/bin", "QUEUES": "q1.sh"})
    assert refused.returncode == 2 and "this script's own process group" in refused.stderr


def test_a_second_queue_never_trains_beside_the_first(workspace):
    holder = subprocess.Popen(["bash", "-c", "source experiments/queue_lib.sh; hold_queue_lock; echo held; sleep 30"],
                              cwd=workspace, stdout=subprocess.PIPE, text=True,
                              env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        script = "set -euo pipefail\nsource experiments/queue_lib.sh\ntrain_run two - 10 --config smoke\n"
        second = subprocess.run(["bash", "-c", script], cwd=workspace, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})
        assert second.returncode == 75 and "another training queue is running" in second.stderr
        assert str(holder.pid) in second.stderr and not (workspace / "calls.txt").exists()
    finally:
        holder.kill()
        holder.wait()
    assert train_run(workspace, "two", "-", "10", "--config", "smoke")  # the lock goes with its holder


def test_the_driver_queue_ranks_candidates_by_their_worst_of_three_shared_tracks(workspace):
    calls = run_queue(workspace, "run_carracing_driver.sh")
    assert [call.split("--env-steps-budget ")[1].split()[0] for call in calls] == ["10000000", "20000000"]
    assert calls[1].startswith("train --resume runs/carracing-driver ")  # the second stage continues the first
    driver = train_config(calls[0])
    assert (driver.task.episodes, driver.task.shared_episodes, driver.task.episode_aggregate) == (3, True, "min")
    assert str(driver.init_from) == "models/carracing-paper/model.npz" and driver.rule_family == "diagonal"
    assert driver.carracing_env == "envpool" and driver.seed == 1


def test_the_chain_runs_the_queues_in_the_projects_order_and_each_exists():
    text = (ROOT / "experiments" / "run_all.sh").read_text()
    default = text.split('QUEUES=${QUEUES:-"')[1].split('"')[0].split()
    # servo, paper tests, ant-robust with the paper's clock (the winner's question), A1, CarRacing (the guide's order)
    assert default == ["run_followups.sh", "run_paper_tests.sh", "run_robust_clock.sh", "run_a1.sh",
                       "run_carracing_static.sh", "run_carracing_driver.sh"]
    assert all((ROOT / "experiments" / queue).exists() for queue in default)


def test_the_plateau_check_says_in_one_line_when_it_cannot_read_a_log(tmp_path):
    # the queue takes any non-zero status as "did not leave the ground": a missing or empty log must not pass
    check = [sys.executable, str(ROOT / "experiments" / "left_the_ground.py")]
    missing = subprocess.run([*check, str(tmp_path / "none")], capture_output=True, text=True)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "log.csv").write_text("generation,fitness_max\n")
    empty = subprocess.run([*check, str(tmp_path / "empty")], capture_output=True, text=True)
    for result in (missing, empty):
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith("left_the_ground: cannot read")
