"""Shared fixtures: small and Ant-sized artifacts, built deterministically."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from hebbkit.runtime import ANT28, NetworkSpec, PolicyArtifact, new_artifact


@pytest.fixture
def ant_artifact() -> PolicyArtifact:
    """The paper's Ant network (28-128-64-8, ABCD_lr) with N(0, 1) coefficients, seed 0."""
    return new_artifact(NetworkSpec(), profile=ANT28, seed=0)


@pytest.fixture
def small_artifact() -> PolicyArtifact:
    """A 4-6-3 network, ABCD_lr, for fast tests."""
    return new_artifact(NetworkSpec(layer_sizes=(4, 6, 3), activations=("tanh", "tanh")), seed=1)


def load_script(path: Path) -> ModuleType:
    """A script of experiments/ or benchmarks/ (folders that are not packages) imported as a module named after its
    file; registered in sys.modules first, where dataclasses look their module up."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def random_observations(n_inputs: int, steps: int, seed: int) -> np.ndarray:
    """Bounded observations in [-5, 5], as the Ant's (its env clips to that range)."""
    return np.random.default_rng(seed).uniform(-5, 5, size=(steps, n_inputs)).astype(np.float32)
