"""`hebbkit train --init-from ARTIFACT`: a new run whose ES mean starts at a trained artifact's parameters (e.g. a
finished run continued with another learning-rate schedule), refused for another network, and resumable like any
run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import load_artifact
from hebbkit.runtime.errors import ArtifactError, ConfigError
from hebbkit.trainer.checkpoints import read_stored_config
from hebbkit.trainer.run import prepare_run, train
from hebbkit.trainer.train_config import resolve_config, resume_config


def smoke(tmp_path: Path, name: str, **overrides):
    return resolve_config({"config": "smoke", "run_dir": tmp_path / name, "tensorboard": False, "workers": 1,
                           **overrides})


@pytest.fixture
def trained(tmp_path) -> Path:
    """A source artifact: the ES mean of a 2-generation smoke run."""
    return train(smoke(tmp_path, "source")) / "latest.npz"


def test_a_warm_start_begins_at_the_artifacts_parameters_with_its_own_schedule(tmp_path, trained):
    run, state = prepare_run(smoke(tmp_path, "warm", init_from=trained, learning_rate=0.05), "test")
    np.testing.assert_array_equal(state.mean, run.layout.from_artifact(load_artifact(trained)))
    assert state.generation == 0 and state.learning_rate == 0.05 and run.best_parameters is None
    stored = json.loads((tmp_path / "warm" / "config.json").read_text())
    assert stored["init_from"] == str(trained) and stored["learning_rate"] == 0.05


def test_a_warm_started_run_resumes_and_keeps_its_origin(tmp_path, trained):
    directory = train(smoke(tmp_path, "warm", init_from=trained, generations=1))
    stored = read_stored_config(directory)
    assert stored.init_from == trained
    resumed = resume_config(stored, directory, {"generations": 2})
    with np.load(directory / "checkpoint.npz") as checkpoint:
        generation = int(checkpoint["generation"])
    assert generation == 1 and resumed.init_from == trained
    train(resumed)
    with np.load(directory / "checkpoint.npz") as checkpoint:
        assert int(checkpoint["generation"]) == 2  # continued from its checkpoint, not re-initialised
    with pytest.raises(ConfigError, match="keeps its settings"):
        resume_config(stored, directory, {"init_from": tmp_path / "other.npz"})


def test_another_network_is_refused_before_any_run_folder_exists(tmp_path, trained):
    with pytest.raises(ConfigError, match=r"its network 28-16-8 ABCD_lr \(synapse\) is not this run's 28-32-8"):
        prepare_run(smoke(tmp_path, "wider", init_from=trained, hidden=(32,)), "test")
    assert not (tmp_path / "wider").exists()


def test_a_missing_or_malformed_artifact_is_refused_before_any_run_folder_exists(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not an npz")
    for path in (tmp_path / "missing.npz", garbage):
        with pytest.raises(ArtifactError, match=path.name):
            prepare_run(smoke(tmp_path, "run", init_from=path), "test")
        assert not (tmp_path / "run").exists()


def test_init_from_and_a_static_init_cannot_both_choose_the_start(tmp_path):
    with pytest.raises(ConfigError, match="give one"):
        smoke(tmp_path, "run", rule="static", static_init="fan-in-uniform", init_from=tmp_path / "x.npz")
