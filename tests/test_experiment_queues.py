"""The run queues' shared step (`experiments/queue_lib.sh`, `train_run`): which run it resumes or starts, and when
it validates. `hebbkit` is replaced by a script that records its arguments, so the bash logic runs for real and
nothing trains."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "queue_lib.sh").write_text((ROOT / "experiments" / "queue_lib.sh").read_text())
    fake = tmp_path / "fake-hebbkit"
    fake.write_text('#!/usr/bin/env bash\necho "$*" >> calls.txt\n')
    fake.chmod(0o755)
    return tmp_path


def train_run(workspace: Path, *arguments: str, flags: str = "") -> list[str]:
    script = f'set -euo pipefail\nsource experiments/queue_lib.sh\n{flags}\ntrain_run {" ".join(arguments)}\n'
    result = subprocess.run(["bash", "-c", script], cwd=workspace, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HEBBKIT": str(workspace / "fake-hebbkit")})
    assert result.returncode == 0, result.stderr
    calls = workspace / "calls.txt"
    return calls.read_text().splitlines() if calls.exists() else []


def committed(workspace: Path, name: str = "committed") -> Path:
    source = workspace / "models" / name
    source.mkdir(parents=True)
    for file in ("config.json", "checkpoint.npz", "log.csv"):
        (source / file).write_text("x")
    return source


def test_a_committed_checkpoint_is_copied_and_resumed_and_nothing_validated_without_snapshots(workspace):
    # a finished run resumed on a new machine makes no snapshots: validating it would fail and stop the queue
    committed(workspace)
    calls = train_run(workspace, "ant", "models/committed", "150")
    assert calls == ["train --resume runs/ant --env-steps-budget 150 --generations 100000 --no-progress"]
    assert (workspace / "runs" / "ant" / "checkpoint.npz").exists()


def test_a_run_with_snapshots_is_validated_with_the_queue_flags(workspace):
    committed(workspace)
    snapshots = workspace / "runs" / "car" / "snapshots"
    snapshots.mkdir(parents=True)
    (snapshots / "gen_0010.npz").write_text("x")
    for file in ("config.json", "checkpoint.npz"):
        (workspace / "runs" / "car" / file).write_text("local")
    calls = train_run(workspace, "car", "models/committed", "10", flags='VALIDATE_FLAGS="--every 5"')
    assert calls == ["train --resume runs/car --env-steps-budget 10 --generations 100000 --no-progress",
                     "validate runs/car --no-progress --every 5"]
    assert (workspace / "runs" / "car" / "checkpoint.npz").read_text() == "local"  # the local run wins


def test_without_any_checkpoint_a_new_run_starts_with_the_given_flags(workspace):
    calls = train_run(workspace, "static", "-", "60", "--config", "ant-static")
    assert calls == ["train --config ant-static --env-steps-budget 60 --generations 100000 --run-dir runs/static "
                     "--no-progress"]
