"""Packaging: the wheel maps the folders into the `hebbkit` namespace and installs no generic top-level names."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (found,) = out.glob("hebbkit-*.whl")
    return found


def test_wheel_holds_only_the_hebbkit_namespace(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_levels = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_levels == {"hebbkit", "hebb_runtime"}  # hebb_runtime: the ROS 2 nodes, for pip-only users
    for module in ("hebbkit/runtime/__init__.py", "hebbkit/runtime/backends/onnx_backend.py",
                   "hebbkit/trainer/cli.py", "hebbkit/trainer/envs/quadruped.py", "hebbkit/firmware_bridge/__init__.py",
                   "hebb_runtime/controller_node.py", "hebbkit/runtime/kernel/hebb_kernel.c",
                   "hebbkit/runtime/kernel/hebb_kernel.h", "hebbkit/runtime/backends/c_backend.py"):
        assert module in names  # the kernel's source ships: the C backend compiles it on first use
    assert "hebbkit/__init__.py" not in names  # implicit namespace package
    metadata = next(n for n in names if n.endswith("METADATA"))
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(metadata).decode()
    requirements = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    base = [line for line in requirements if "extra ==" not in line]
    assert base == ["Requires-Dist: numpy>=1.26"]
    assert any("torch==2.13.0" in line and 'extra == "train"' in line for line in requirements)


def test_installed_wheel_imports_from_its_own_location(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    code = "import hebbkit.runtime, hebbkit.trainer.cli as c; print(hebbkit.runtime.__file__); c.build_parser()"
    environment = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env=environment, check=True)
    assert result.stdout.strip().splitlines()[-1].startswith(str(target))
