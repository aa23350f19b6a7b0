"""The command line ends every failure in one line and writes nothing it should not (issue 28, "Training and the CLI").

Guaranteed:
- `export` writes every output or none: `--c` onto a file or an unwritable place, `--c ""`, and `--c` beside an
  `--onnx` that fails end in one line and leave no file behind;
- `record`, `plot`, `study --output` and `train --run-dir` in an unwritable place, `bench --episodes 0`,
  `ros-demo --seconds -1` and `--executor ray --ray-address` without a cluster end in one line;
- `inspect` escapes control characters of the file's strings (no terminal escape reaches the terminal);
- with only NumPy installed, `eval`, `demo`, `train`, `record`, `suite`, `plot` and `bridge` name the extra to install
  in one line; `bench` times the backends that are installed and names the ones it skipped;
- `demo` and `ros-demo` find the default model from any working folder of a checkout, and name `--model` otherwise.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "ant-paper" / "model.npz"
RUN = ROOT / "models" / "ant-paper" / "checkpoint"
OPTIONAL = ("torch", "pybullet", "pybullet_data", "pybullet_envs", "gymnasium", "onnx", "onnxruntime", "matplotlib",
            "PIL", "Box2D", "pygame", "envpool", "tqdm", "tensorboard", "ray", "serial", "rclpy", "std_msgs")
WITHOUT = """
import sys

BLOCKED = set(sys.argv[1].split(","))


class Hidden:  # a finder of sys.meta_path, blind to the blocked packages: they look not installed
    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return None
        return self.finder.find_spec(name, path, target)

    def __getattr__(self, name):
        return getattr(self.finder, name)


sys.meta_path[:] = [Hidden(finder) for finder in sys.meta_path]
from hebbkit.trainer.cli import main
sys.argv[0] = "hebbkit"
sys.exit(main(sys.argv[2:]))
"""


def hebbkit(*arguments: str, blocked: tuple[str, ...] = (), cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`hebbkit ARGUMENTS`, as if the `blocked` top-level modules were not installed."""
    command = [sys.executable, "-c", WITHOUT, ",".join(blocked) or "-", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)


def one_line(result: subprocess.CompletedProcess, *fragments: str, code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("hebbkit ")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------------------------ export


def test_export_c_onto_a_file_or_an_unwritable_place_is_one_line(tmp_path):
    existing = tmp_path / "file.txt"
    existing.write_text("keep me")
    one_line(hebbkit("export", str(MODEL), "--c", str(existing)), "is a file")
    one_line(hebbkit("export", str(MODEL), "--c", str(existing / "c")), "cannot create the folder")
    one_line(hebbkit("export", str(MODEL), "--c", "/proc/hebbkit-export"), "cannot create the folder")
    assert existing.read_text() == "keep me"


def test_export_c_refuses_an_empty_path(tmp_path):
    one_line(hebbkit("export", str(MODEL), "--c", "", cwd=tmp_path), "expected a path, got an empty one", code=2)
    assert list(tmp_path.iterdir()) == []


def test_export_writes_nothing_when_one_output_fails(tmp_path):
    one_line(hebbkit("export", str(MODEL), "--c", str(tmp_path / "c"), "--onnx", str(tmp_path / "m.onnx"),
                     blocked=("onnx",)), "pip install 'hebbkit[onnx]'")
    (tmp_path / "m.onnx").mkdir()
    one_line(hebbkit("export", str(MODEL), "--c", str(tmp_path / "c"), "--onnx", str(tmp_path / "m.onnx")),
             "is a folder")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.onnx"]  # no C folder, no temporary files
    result = hebbkit("export", str(MODEL), "--c", str(tmp_path / "c"), "--onnx", str(tmp_path / "ok.onnx"),
                     "--verify-steps", "5")
    assert result.returncode == 0, result.stderr
    assert {"hebb_model.c", "hebb_model.h"} <= {path.name for path in (tmp_path / "c").iterdir()}
    assert (tmp_path / "ok.onnx").stat().st_size > 0
    assert not [path for path in tmp_path.rglob(".*.tmp")]


def test_a_failing_second_file_leaves_nothing_of_the_first(tmp_path):
    from hebbkit.runtime.errors import OutputPathError
    from hebbkit.runtime.outputs import write_files

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(OutputPathError):
        write_files({tmp_path / "new" / "a.c": b"a", blocker / "b.c": b"b"})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blocker"]


# ------------------------------------------------------------------------------------ other commands' outputs


@pytest.mark.parametrize("command", [
    ("record", str(MODEL), "--max-steps", "45", "--output"),
    ("plot", str(RUN), "--output"),
    ("study", str(RUN), "--output"),
])
def test_an_unwritable_output_is_one_line(tmp_path, command):
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    one_line(hebbkit(*command, str(blocker / "out.png")), "--output", "is a file, not a folder")
    one_line(hebbkit(*command, "/proc/hebbkit/out.png"), "--output")


def test_train_into_an_unwritable_run_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    one_line(hebbkit("train", "--config", "smoke", "--run-dir", str(blocker / "run")), "--run-dir", "cannot create")
    one_line(hebbkit("train", "--config", "smoke", "--run-dir", "/proc/hebbkit-run"), "--run-dir")


def test_bench_refuses_counts_that_time_nothing():
    one_line(hebbkit("bench", "--episodes", "0"), "--episodes and --max-steps must be >= 1")
    one_line(hebbkit("bench", "--warmup-steps", "1000"), "--warmup-steps must be")
    one_line(hebbkit("bench", "--backends", "cuda"), "--backends must name some of")


def test_ros_demo_refuses_a_negative_time():
    one_line(hebbkit("ros-demo", "--seconds", "-1"), "--seconds must be a finite number > 0")


def test_a_ray_cluster_that_is_not_there_is_one_line(monkeypatch):
    import types

    from hebbkit.trainer.workers import RayEvaluator, RayStartError

    def init(**options):
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to.")

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(RayStartError, match=r"--ray-address auto: cannot join a Ray cluster \(Could not find"):
        RayEvaluator("auto", 1)


# ------------------------------------------------------------------------------------------------ inspect


def test_inspect_escapes_control_characters_of_provenance(tmp_path):
    from hebbkit.runtime import NetworkSpec, new_artifact, save_artifact

    spec = NetworkSpec(layer_sizes=(28, 4, 8), activations=("tanh", "tanh"))
    artifact = new_artifact(spec, seed=0, provenance={"command": "\x1b[2J\x1b]0;pwned\x07 ok\nvalidation   OK",
                                                      "\u202enote": "bell\x07"})
    path = save_artifact(artifact, tmp_path / "model.npz")
    result = hebbkit("inspect", str(path))
    assert result.returncode == 0, result.stderr
    assert not any((ord(char) < 32 and char != "\n") or 0x7f <= ord(char) < 0xa0 or char == "\u202e"
                   for char in result.stdout)
    assert "\\x1b[2J" in result.stdout and "\\nvalidation   OK" in result.stdout and "\\u202enote" in result.stdout


# ---------------------------------------------------------------------------------------- NumPy-only install


@pytest.mark.parametrize("command, extra", [
    (("eval", str(MODEL), "--episodes", "1"), "train"),
    (("demo", "--episodes", "1", "--max-steps", "45"), "train"),
    (("train", "--config", "smoke", "--run-dir", "RUN"), "train"),
    (("record", str(MODEL), "--output", "OUT/x.gif"), "train"),
    (("suite", str(MODEL), "--episodes", "1", "--output", "OUT"), "train"),
    (("plot", str(RUN), "--output", "OUT/curve.png"), "train"),
    (("bridge", "ping", "--port", "loop://"), "serial"),
])
def test_a_numpy_only_install_names_the_extra_to_install(tmp_path, command, extra):
    arguments = [argument.replace("RUN", str(tmp_path / "run")).replace("OUT", str(tmp_path / "out"))
                 for argument in command]
    one_line(hebbkit(*arguments, blocked=OPTIONAL, cwd=tmp_path), f"pip install 'hebbkit[{extra}]'")
    assert sorted(tmp_path.iterdir()) in ([], [tmp_path / "run"], [tmp_path / "out"]) or command[0] == "demo"


def test_bench_times_the_installed_backends_and_names_the_skipped(tmp_path):
    result = hebbkit("bench", "--episodes", "1", "--max-steps", "30", "--warmup-steps", "0", "--json",
                     blocked=OPTIONAL)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "hebbkit bench: skipped backend onnx: " in result.stderr and "hebbkit[onnx]" in result.stderr
    report = __import__("json").loads(result.stdout)
    assert "numpy" in report["backends"] and "onnx" not in report["backends"] and "onnx" in report["skipped"]


# ----------------------------------------------------------------------------------------- the default model


def test_the_default_model_is_found_from_any_folder_of_the_checkout(tmp_path, monkeypatch):
    from hebbkit.runtime.errors import ArtifactNotFoundError
    from hebbkit.runtime.shipped import DEFAULT_MODEL, find_model, locate_model

    monkeypatch.chdir(tmp_path)
    assert find_model(DEFAULT_MODEL) == ROOT / DEFAULT_MODEL
    assert locate_model(Path("no/such/model.npz")) is None
    with pytest.raises(ArtifactNotFoundError, match="give one with --model PATH"):
        find_model(Path("no/such/model.npz"))


def test_demo_outside_the_checkout_runs_the_shipped_model(tmp_path):
    result = hebbkit("demo", "--episodes", "1", "--max-steps", "45", "--no-gif", "--no-plot", "--output",
                     str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NO MODEL" not in result.stdout and "models/ant-robust/model.npz: rule" in result.stdout


def test_ros_demo_names_the_model_flag_when_no_model_is_found(tmp_path):
    one_line(hebbkit("ros-demo", "--model", "missing.npz", cwd=tmp_path), "give one with --model PATH")


def test_the_extras_named_exist(tmp_path):
    import tomllib

    from hebbkit.trainer.cli import EXTRA_OF_MODULE

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRA_OF_MODULE.values()) <= set(extras)
    assert np.all([module in EXTRA_OF_MODULE for module in ("pybullet", "matplotlib", "onnxruntime", "serial")])
