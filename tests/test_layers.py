"""The layers hold: every module of every folder imports only what `docs/architecture.md`'s layer table allows.

One table (`MAY_IMPORT`) mirrors the doc's "may import", "lazily" and "one file only" columns; `NEVER` repeats its
never-rules, so a break names the rule it breaks. Each module's imports are read with `ast` (relative imports resolved
to absolute names); the standard library and the folder's own package are always allowed. The doc's table is parsed
and compared with these two tables, so the doc cannot drift from what is enforced. Two subprocess checks show the
runtime's rule also holds for what is actually loaded, not only for what is written.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ROS = ("rclpy", "std_msgs", "sensor_msgs", "diagnostic_msgs", "lifecycle_msgs", "rosgraph_msgs", "rcl_interfaces",
       "std_srvs", "ament_index_python", "launch", "launch_ros", "yaml")
"""rclpy and what comes with it: message and service packages, the ament index, the launch system, PyYAML (which ROS
uses for parameter files)."""


@dataclass(frozen=True)
class Layer:
    folder: str  # relative to the repository
    package: str  # the import name of the folder
    may_import: tuple[str, ...]  # module names, or prefixes of them (`hebbkit.runtime` allows hebbkit.runtime.*)
    lazily: tuple[str, ...] = ()  # allowed only inside a function (not when the module is imported)
    per_file: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (file name, extra modules only it may import)


MAY_IMPORT = (
    Layer("runtime", "hebbkit.runtime", ("numpy",), lazily=("onnx", "onnxruntime")),
    # matplotlib (plots), tqdm (progress), PIL (video frames): plotting and reporting helpers of the training stack;
    # envpool (the batched CarRacing backend) only when that backend runs
    Layer("trainer", "hebbkit.trainer", ("numpy", "hebbkit.runtime", "torch", "pybullet", "pybullet_data", "gymnasium",
                                         "onnx", "ray", "matplotlib", "tqdm", "PIL"), lazily=("envpool",)),
    Layer("firmware_bridge", "hebbkit.firmware_bridge",
          ("numpy", "serial", "hebbkit.runtime.errors", "hebbkit.runtime.profile")),
    Layer("ros_ws/src/hebb_runtime", "hebb_runtime",
          ("numpy", *ROS, "hebbkit.runtime", "hebbkit.firmware_bridge"),
          per_file=(("sim_node.py", ("hebbkit.trainer.envs",)), ("setup.py", ("setuptools",)))),
)

NEVER = {
    "runtime": ("torch", "pybullet", "rclpy", "serial", "hebbkit.trainer"),
    "firmware_bridge": ("hebbkit.trainer", "rclpy"),
    "trainer": ("hebb_runtime",),
    # anything but the CLI, tests and the sim node importing trainer
    "ros_ws/src/hebb_runtime": ("hebbkit.trainer",),
}
NEVER_EXCEPT = {("ros_ws/src/hebb_runtime", "sim_node.py")}


@dataclass(frozen=True)
class Imported:
    module: str
    line: int
    at_import_time: bool  # False when the import statement sits inside a function


def module_name(layer: Layer, path: Path) -> str:
    """The dotted name `path` is imported as (the package's own folder for hebb_runtime)."""
    relative = path.relative_to(ROOT / layer.folder).with_suffix("")
    parts = list(relative.parts)
    if parts and parts[0] == layer.package:  # ros_ws/src/hebb_runtime/hebb_runtime/x.py
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([layer.package, *parts])


def imports_of(layer: Layer, path: Path) -> list[Imported]:
    """Every import statement of `path`, with relative imports made absolute."""
    name = module_name(layer, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Imported] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend(Imported(alias.name, child.lineno, not in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                found.append(Imported(target, child.lineno, not in_function))
            visit(child, inside)

    visit(ast.parse(path.read_text(), filename=str(path)), in_function=False)
    return found


def covered(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def is_standard_library(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def layer_files() -> list[tuple[Layer, Path]]:
    return [(layer, path) for layer in MAY_IMPORT for path in sorted((ROOT / layer.folder).rglob("*.py"))]


@pytest.mark.parametrize("layer, path", layer_files(), ids=lambda value: str(value.relative_to(ROOT))
                         if isinstance(value, Path) else value.folder)
def test_every_module_imports_only_what_its_folder_may_import(layer, path):
    extra = dict(layer.per_file).get(path.name, ())
    allowed = (layer.package, *layer.may_import, *extra)
    never = () if (layer.folder, path.name) in NEVER_EXCEPT else NEVER.get(layer.folder, ())
    where = path.relative_to(ROOT)
    for imported in imports_of(layer, path):
        assert not covered(imported.module, never), \
            f"{where}:{imported.line} imports {imported.module}: never in {layer.folder}/ (docs/architecture.md)"
        if is_standard_library(imported.module) or covered(imported.module, allowed):
            continue
        assert covered(imported.module, layer.lazily), \
            f"{where}:{imported.line} imports {imported.module}, which {layer.folder}/ may not import"
        assert not imported.at_import_time, \
            f"{where}:{imported.line} imports {imported.module} at import time; {layer.folder}/ may only do so lazily"


def test_the_table_sees_relative_and_lazy_imports():
    """The parser itself: a relative import resolves inside the package; a function-level import is lazy."""
    runtime = MAY_IMPORT[0]
    by_module = {imported.module: imported for imported in imports_of(runtime, ROOT / "runtime" / "cli.py")}
    assert "hebbkit.runtime.onnx_graph" in by_module and not by_module["hebbkit.runtime.onnx_graph"].at_import_time
    ros = MAY_IMPORT[3]
    demo = ROOT / "ros_ws/src/hebb_runtime/hebb_runtime/ros_demo.py"
    assert module_name(ros, demo) == "hebb_runtime.ros_demo"
    assert "hebb_runtime.launcher" in {imported.module for imported in imports_of(ros, demo)}


def loaded_after(code: str) -> list[str]:
    probe = (f"import sys, json; {code}; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
             "{'torch', 'pybullet', 'onnxruntime', 'onnx', 'gymnasium', 'rclpy', 'serial', 'ray', 'matplotlib'} "
             "or m.startswith('hebbkit.trainer') or m.startswith('hebb_runtime'))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="/")
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_runtime_loads_numpy_only():
    assert loaded_after("import hebbkit.runtime; from hebbkit.runtime import load_policy, Policy") == []


def test_numpy_backend_runs_without_onnx_loaded():
    code = ("import numpy as np; from hebbkit.runtime import Policy, NetworkSpec, new_artifact; "
            "Policy(new_artifact(NetworkSpec(), seed=0), 'numpy').step(np.zeros(28))")
    assert loaded_after(code) == []


ARCHITECTURE = ROOT / "docs" / "architecture.md"


def documented_layers() -> dict[str, dict[str, str]]:
    """The rows of docs/architecture.md's layer table (between its `layers:` markers), by folder, cells by header."""
    text = ARCHITECTURE.read_text()
    table = text[text.index("<!-- layers: start"):text.index("<!-- layers: end")]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|"))))
        rows[cells["folder"].strip("`").rstrip("/")] = cells
    return rows


def names(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


@pytest.mark.parametrize("layer", MAY_IMPORT, ids=lambda layer: layer.folder)
def test_the_architecture_doc_states_the_enforced_rules(layer):
    """docs/architecture.md's layer table says what this test enforces: no more, no less."""
    row = documented_layers().get(layer.folder)
    assert row is not None, f"docs/architecture.md's layer table has no row for {layer.folder}/"
    assert names(row["import name"]) == {layer.package}
    assert names(row["may import"]) == set(layer.may_import), f"{layer.folder}: 'may import' differs from MAY_IMPORT"
    assert names(row["lazily"]) == set(layer.lazily), f"{layer.folder}: 'lazily' differs from MAY_IMPORT"
    per_file = {(file, module) for file, modules in layer.per_file for module in modules}
    documented = set(re.findall(r"`([^`]+\.py)`: `([^`]+)`", row["one file only"]))
    assert documented == per_file, f"{layer.folder}: 'one file only' differs from MAY_IMPORT's per_file"
    excepted = {file for folder, file in NEVER_EXCEPT if folder == layer.folder}  # "(but `sim_node.py`)"
    never = names(row["never"]) - excepted
    assert never == set(NEVER.get(layer.folder, ())), f"{layer.folder}: 'never' differs from NEVER"


def test_the_architecture_doc_has_no_other_layers():
    assert set(documented_layers()) == {layer.folder for layer in MAY_IMPORT}
