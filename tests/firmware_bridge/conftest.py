"""The C firmware core built once per test session (gcc for this machine)."""

from __future__ import annotations

import ctypes
import shutil

import pytest

from tests.firmware_bridge.cores import build_c_library


@pytest.fixture(scope="session")
def c_library(tmp_path_factory) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the firmware core")
    return build_c_library(tmp_path_factory.mktemp("firmware"))
