"""The training config: nested parts (ESConfig, TaskConfig) behind flat flags and a flat config.json, so every run
directory written before the parts were nested resumes unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime.cli import option_fields, renamed_options
from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.checkpoints import CheckpointError, load_checkpoint, read_stored_config
from hebbkit.trainer.cli import build_parser
from hebbkit.trainer.es import ESConfig
from hebbkit.trainer.train_config import PRESETS, TaskConfig, TrainConfig, resolve_config, resume_config

MODELS = Path(__file__).resolve().parents[2] / "models"
# config.json of a run from before the C backend, rule families, CarRacing and body distributions (ant-paper's)
LEGACY = {"config": "ant-paper", "run_dir": "runs/ant-paper", "resume": None, "generations": 2000, "population": 128,
          "sigma": 0.1, "sigma_decay": 0.999, "sigma_min": 0.01, "learning_rate": 0.2, "learning_rate_decay": 0.995,
          "learning_rate_min": 0.001, "optimizer": "sgd", "weight_decay": 0.0, "init_std": 1.0, "rule": "ABCD_lr",
          "hidden": [128, 64], "robot": "ant", "observation": "ant28", "actuation": "torque",
          "morphologies": ["standard", "damaged_right_front"], "episodes": 1, "max_steps": 1000, "burn_in": 40,
          "seed": 0, "backend": "local", "workers": 0, "ray_address": None, "chunks_per_worker": 4, "progress": False}


def test_a_legacy_flat_config_json_reads_into_the_nested_parts():
    config = TrainConfig.from_json(LEGACY)
    assert config.es == ESConfig()  # the paper's ES, as the run had it
    assert config.task == TaskConfig()
    assert config.backend == "numpy" and config.executor == "local" and config.rule_family == "synapse"
    assert config.run_dir == Path("runs/ant-paper")
    assert config.es.fitness_shaping == "centered-ranks"  # the only shaping before it was an option
    assert config.static_init == "normal"  # likewise the static weights' start
    assert config.task.foot_duty_bonus == 0.0  # scored on distance alone, as before gait shaping existed
    assert TrainConfig.from_json({**LEGACY, "a_field_that_is_gone": 1}) == config  # unknown keys are ignored
    static = TrainConfig.from_json({**LEGACY, "config": "ant-static", "rule": "static"})
    assert (static.static_init, static.es.fitness_shaping) == ("normal", "centered-ranks")  # not today's preset


def test_the_ant_static_preset_starts_as_the_papers_static_baseline():
    config = resolve_config({"config": "ant-static"})
    # the paper's weights start; the ES of the Hebbian presets (the study found no gain in the paper's shaping)
    assert (config.rule, config.static_init, config.es) == ("static", "fan-in-uniform", ESConfig())


def test_config_json_stays_one_flat_object_with_every_flag():
    config = resolve_config({"config": "servo-proprio", "sigma": 0.05, "run_dir": Path("runs/x")})
    written = config.to_json()
    assert "es" not in written and "task" not in written
    assert written["sigma"] == 0.05 and written["episodes"] == 2 and written["bodies"] == ["standard"]
    assert written["run_dir"] == "runs/x"
    assert set(renamed_options(TrainConfig, LEGACY)) <= set(written)  # every key an older run wrote is still
    # written (under its new name: morphologies -> bodies)
    assert TrainConfig.from_json(json.loads(json.dumps(written))) == config


def test_flags_are_flat_and_name_each_option_once():
    names = [item.name for item, _ in option_fields(TrainConfig)]
    assert len(names) == len(set(names))
    assert {"population", "sigma", "episodes", "burn_in", "domain_randomization", "adam_beta1"} <= set(names)
    arguments = build_parser().parse_args(["train", "--population", "6", "--episodes", "3", "--burn-in", "7"])
    assert (arguments.population, arguments.episodes, arguments.burn_in) == (6, 3, 7)
    assert not hasattr(arguments, "sigma")  # train: flags not given stay unset, so the preset supplies them


def test_presets_are_flat_options_and_all_resolve():
    for name in PRESETS:
        config = resolve_config({"config": name})
        assert config.config == name
    assert resolve_config({"config": "smoke"}).es.population == 4
    assert resolve_config({"config": "carracing-paper"}).task.env == "carracing"
    help_text = TrainConfig.__dataclass_fields__["config"].metadata["help"]
    assert sorted(help_text.removeprefix("preset: ").split(", ")) == sorted(PRESETS)  # --help names every preset
    with pytest.raises(ConfigError, match="unknown options"):
        resolve_config({"popluation": 4})


@pytest.mark.parametrize("options, message", [
    ({"population": 5}, "population must be even"),
    ({"population": 0}, "population must be an integer >= 2"),
    ({"sigma": 0}, "sigma must be a finite number > 0"),
    ({"episodes": 0}, "episodes must be an integer >= 1"),
    ({"burn_in": 50, "max_steps": 50}, "burn_in (50) must be below max_steps (50)"),
    ({"bodies": ("standard", "damaged_left_front")}, "validation bodies"),
    ({"generations": 0}, "generations must be an integer >= 1"),
    ({"episode_aggregate": "median"}, "episode_aggregate must be one of mean, worst-half, min, got 'median'"),
])
def test_each_part_refuses_its_bad_values(options, message):
    with pytest.raises(ConfigError) as error:
        TrainConfig.from_options(options)
    assert message in str(error.value)


def test_resume_refuses_a_changed_option_of_a_nested_part(tmp_path):
    stored = TrainConfig.from_json(LEGACY)
    with pytest.raises(ConfigError, match=r"--episodes \(run: 1, given: 2\)"):
        resume_config(stored, tmp_path, {"episodes": 2, "generations": 10})
    resumed = resume_config(stored, tmp_path, {"episodes": 1, "generations": 10, "workers": 2})
    assert (resumed.generations, resumed.workers, resumed.resume, resumed.es) == (10, 2, tmp_path, stored.es)


@pytest.mark.parametrize("model", ["ant-paper", "ant-static", "servo-proprio", "carracing-paper"])
def test_the_shipped_run_directories_still_resume(model, tmp_path):
    from hebbkit.trainer.run import Run

    run_dir = shutil.copytree(MODELS / model / "checkpoint", tmp_path / "run")
    config = read_stored_config(run_dir)
    run = Run(config, run_dir, "test")
    checkpoint = load_checkpoint(run_dir / "checkpoint.npz", run.layout.size, config.seed)
    assert checkpoint.state.generation >= 1 and np.isfinite(checkpoint.best_center_fitness)
    assert json.loads((run_dir / "config.json").read_text()) == json.loads(
        (MODELS / model / "checkpoint" / "config.json").read_text())  # reading never rewrites it
    with pytest.raises(CheckpointError, match="seed"):
        load_checkpoint(run_dir / "checkpoint.npz", run.layout.size, config.seed + 1)


def test_the_worst_case_servo_preset_differs_from_servo_proprio_only_in_its_aggregate():
    servo, worst = resolve_config({"config": "servo-proprio"}), resolve_config({"config": "servo-proprio-worst"})
    assert worst.task.protocol().episode_aggregate == "min" and servo.task.protocol().episode_aggregate == "mean"
    different = {name for name, value in worst.options().items() if servo.options()[name] != value}
    assert different == {"config", "episode_aggregate"}
    assert TrainConfig.from_json({"config": "servo-proprio"}).task.episode_aggregate == "mean"  # older runs: mean


def test_shared_episodes_put_every_candidate_of_a_generation_on_the_same_seeds(tmp_path):
    """--shared-episodes: all candidates on the generation's seeds (CarRacing: the same tracks), new every generation,
    the centre on its own; by default each antithetic pair draws its own (the paper). Stored, and off for old runs."""
    from hebbkit.trainer.cli import COMMANDS
    from hebbkit.trainer.run import prepare_run

    def candidate_seeds(shared: bool, generation: int = 0) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
        config = resolve_config({"config": "smoke", "run_dir": tmp_path / f"r{shared}{generation}",
                                 "shared_episodes": shared, "episodes": 2})
        run, state = prepare_run(config, "test")
        state = state.__class__(**{**state.__dict__, "generation": generation})
        items = sorted((item for job in run.jobs(state, run.strategy.ask(state), workers=2) for item in job.items),
                       key=lambda item: item.slot)
        return [item.seeds for item in items[:-1]], items[-1].seeds

    shared, centre = candidate_seeds(True)
    assert len(set(shared)) == 1 and len(shared[0]) == 2 and centre != shared[0]
    later, _ = candidate_seeds(True, generation=1)
    assert later[0] != shared[0]
    paired, paired_centre = candidate_seeds(False)
    assert len(set(paired)) == len(paired) // 2 and paired_centre == centre  # one draw per antithetic pair
    parsed = COMMANDS["train"].parse(build_parser().parse_args(["train", "--config", "smoke", "--shared-episodes"]))
    assert parsed.task.shared_episodes and not TrainConfig.from_json(LEGACY).task.shared_episodes
