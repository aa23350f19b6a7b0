"""The robot installs the runtime alone: importing it must not pull in the training or ROS stacks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_FOR_RUNTIME = {"torch", "pybullet", "rclpy", "serial", "gymnasium", "ray", "hebbkit.trainer"}


def test_importing_the_runtime_pulls_in_neither_torch_nor_pybullet_nor_onnxruntime():
    code = (
        "import sys, json; import hebbkit.runtime; from hebbkit.runtime import load_policy, Policy; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'torch', 'pybullet', 'onnxruntime', 'onnx', 'gymnasium', 'rclpy', 'serial', 'ray', 'matplotlib'} "
        "or m.startswith('hebbkit.trainer'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_numpy_backend_runs_without_onnx_loaded():
    code = (
        "import sys, numpy as np; from hebbkit.runtime import *; "
        "p = Policy(new_artifact(NetworkSpec(), seed=0), 'numpy'); p.step(np.zeros(28)); "
        "print('onnxruntime' in sys.modules, 'onnx' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_runtime_sources_import_only_numpy_and_onnx_lazily():
    for path in (ROOT / "runtime").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in FORBIDDEN_FOR_RUNTIME and not name.startswith("hebbkit.trainer"), (
                    f"{path.relative_to(ROOT)} imports {name}"
                )
                if root in {"onnx", "onnxruntime"}:
                    assert node.col_offset > 0, f"{path.relative_to(ROOT)} imports {name} at module level"
