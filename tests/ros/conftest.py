"""Fixtures shared by the ROS 2 node tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hebbkit.runtime import ANT28, NetworkSpec, new_artifact, save_artifact


@pytest.fixture(scope="module")
def untrained(tmp_path_factory) -> Path:
    """An untrained Ant artifact (fresh rules, seed 4): enough for the nodes to configure and step."""
    return save_artifact(new_artifact(NetworkSpec(), profile=ANT28, seed=4),
                         tmp_path_factory.mktemp("model") / "ant.npz")
