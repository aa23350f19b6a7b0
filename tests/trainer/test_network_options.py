"""`hebbkit train --weight-norm none|max|standardize` and `--init-weights random|evolved`: config fields saved in
config.json (older files load as they ran), the network and parameter layout they make, where an evolved-init run
starts, warm starts into it from a rules-only artifact, and a smoke run that resumes with its own settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import load_artifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.checkpoints import read_stored_config
from hebbkit.trainer.cli import build_parser
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import initial_weights_rng, prepare_run, train
from hebbkit.trainer.train_config import PRESETS, TrainConfig, network_for, resolve_config, resume_config
from tests.trainer.test_train_config import LEGACY

MODELS = Path(__file__).resolve().parents[2] / "models"


def smoke(tmp_path: Path, name: str, **overrides) -> TrainConfig:
    return resolve_config({"config": "smoke", "run_dir": tmp_path / name, "tensorboard": False, "workers": 1,
                           **overrides})


def test_flags_defaults_and_presets():
    arguments = build_parser().parse_args(["train", "--weight-norm", "standardize", "--init-weights", "evolved"])
    assert (arguments.weight_norm, arguments.init_weights) == ("standardize", "evolved")
    assert (TrainConfig().weight_norm, TrainConfig().init_weights) == ("none", "random")
    assert {name: resolve_config({"config": name}).weight_norm for name in PRESETS if "carracing" in name} == {
        "carracing-paper": "max", "carracing-static": "none"}
    with pytest.raises(ConfigError, match="weight_norm must be one of none, max, standardize, got 'l2'"):
        TrainConfig.from_json({"weight_norm": "l2"})
    with pytest.raises(ConfigError, match="init_weights must be one of random, evolved, got 'zero'"):
        TrainConfig(init_weights="zero")
    with pytest.raises(ConfigError, match="apply to Hebbian rules"):
        TrainConfig(rule="static", init_weights="evolved")
    with pytest.raises(ConfigError, match="apply to Hebbian rules"):
        TrainConfig(rule="static", weight_norm="max")


def test_config_json_keeps_both_and_older_files_load_as_they_ran():
    config = TrainConfig(weight_norm="standardize", init_weights="evolved")
    written = json.loads(json.dumps(config.to_json()))
    assert (written["weight_norm"], written["init_weights"]) == ("standardize", "evolved")
    assert TrainConfig.from_json(written) == config
    legacy = TrainConfig.from_json(LEGACY)
    assert (legacy.weight_norm, legacy.init_weights) == ("none", "random")
    car = TrainConfig.from_json({**LEGACY, "env": "carracing", "morphologies": ["standard"]})
    assert car.weight_norm == "max"  # every Hebbian CarRacing run normalised so before the option
    stored = read_stored_config(MODELS / "carracing-paper" / "checkpoint")
    assert network_for(stored, 0, 3).weight_norm == "max"


def test_the_network_and_its_parameter_layout():
    network = network_for(TrainConfig(weight_norm="standardize", init_weights="evolved"), 28, 8)
    assert network.weight_norm == "standardize" and network.init.distribution == "stored"
    layout = ParameterLayout.of(network)
    assert layout.size == 61_440 + 12_288 and layout.evolved_init
    assert layout.names[-3:] == ("initial_weights/0", "initial_weights/1", "initial_weights/2")
    assert ParameterLayout.of(network_for(TrainConfig(rule_family="neuron", init_weights="evolved"), 28, 8)
                              ).size == 1_104 + 12_288
    assert not ParameterLayout.of(network_for(TrainConfig(), 28, 8)).evolved_init


def test_an_evolved_init_run_starts_from_the_rules_draw_and_u_01_weights(tmp_path):
    random_run, random_state = prepare_run(smoke(tmp_path, "random"), "test")
    run, state = prepare_run(smoke(tmp_path, "evolved", init_weights="evolved"), "test")
    tensors = run.layout.unravel(state.mean)
    coefficients = sum(int(np.prod(shape)) for name, shape in zip(run.layout.names, run.layout.shapes)
                       if name.startswith("coefficients/"))
    np.testing.assert_array_equal(state.mean[:coefficients], random_state.mean[:coefficients])  # N(0, init_std^2)
    expected = run.layout.random_initial_weights(initial_weights_rng(run.config.seed))
    for layer, weights in enumerate(expected):
        np.testing.assert_array_equal(tensors[f"initial_weights/{layer}"], weights)
        assert np.abs(weights).max() <= 0.1 and np.abs(weights).max() > 0.09
    artifact = run.layout.to_artifact(state.mean, run.profile, run.control_period)
    assert artifact.network.init.distribution == "stored"
    assert run.layout.size == random_run.layout.size + 28 * 16 + 16 * 8  # smoke: 28-16-8


def test_a_rules_only_artifact_warm_starts_an_evolved_init_run(tmp_path):
    """`--init-from` the shipped ant-robust rules into an evolved-init run: its coefficients copied, its initial
    weights one draw from the init the source used (U(-0.1, 0.1))."""
    source = load_artifact(MODELS / "ant-robust" / "model.npz")
    config = resolve_config({"config": "ant-robust", "init_weights": "evolved", "init_from": MODELS / "ant-robust" /
                             "model.npz", "run_dir": tmp_path / "warm", "seed": 4, "tensorboard": False})
    run, state = prepare_run(config, "test")
    tensors = run.layout.unravel(state.mean)
    for name, coefficients in source.coefficient_tensors().items():
        np.testing.assert_array_equal(tensors[name], coefficients)
    drawn = source.network.initial_weights(initial_weights_rng(4))
    for layer, weights in enumerate(drawn):
        np.testing.assert_array_equal(tensors[f"initial_weights/{layer}"], weights)
    assert json.loads((tmp_path / "warm" / "config.json").read_text())["init_weights"] == "evolved"


def test_warm_starts_between_inits_and_weight_norms(tmp_path):
    evolved = train(smoke(tmp_path, "evolved", init_weights="evolved", generations=1)) / "latest.npz"
    run, state = prepare_run(smoke(tmp_path, "again", init_weights="evolved", init_from=evolved,
                                   weight_norm="standardize"), "test")
    np.testing.assert_array_equal(state.mean, run.layout.ravel({**load_artifact(evolved).static_tensors,
                                                                **load_artifact(evolved).coefficient_tensors()}))
    with pytest.raises(ConfigError, match=r"its network 28-16-8 ABCD_lr \(synapse, evolved initial weights\) is "
                                          r"not this run's 28-16-8 ABCD_lr \(synapse\)"):
        prepare_run(smoke(tmp_path, "rules-only", init_from=evolved), "test")
    assert not (tmp_path / "rules-only").exists()


def test_a_smoke_run_trains_exports_and_resumes_with_its_own_settings(tmp_path):
    directory = train(smoke(tmp_path, "run", weight_norm="standardize", init_weights="evolved", generations=1))
    artifact = load_artifact(directory / "latest.npz")
    assert artifact.network.weight_norm == "standardize" and artifact.network.init.distribution == "stored"
    assert artifact.metadata()["schema_version"] == 3
    stored = read_stored_config(directory)
    assert (stored.weight_norm, stored.init_weights) == ("standardize", "evolved")
    with pytest.raises(ConfigError, match=r"--weight-norm \(run: 'standardize', given: 'none'\)"):
        resume_config(stored, directory, {"weight_norm": "none"})
    with pytest.raises(ConfigError, match=r"--init-weights \(run: 'evolved', given: 'random'\)"):
        resume_config(stored, directory, {"init_weights": "random"})
    train(resume_config(stored, directory, {"generations": 2}))
    with np.load(directory / "checkpoint.npz") as checkpoint:
        assert int(checkpoint["generation"]) == 2
