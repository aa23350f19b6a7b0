"""The shipped models on the STM32F405: flash and RAM of the bench image (arm-none-eabi-size) and instructions per
control step in QEMU (`-icount shift=0`), as a duty cycle at each model's control rate (168 MHz, assuming one
instruction per cycle: QEMU counts instructions, not cycles). Models with a convolutional front end (CarRacing)
are not exportable to C and are listed as such. Prints the Markdown table (`hebbkit.firmware_bridge.onboard_table`);
with --update FILE, also writes it between FILE's onboard-table markers (docs/firmware.md).

    python benchmarks/onboard_step.py [--steps 50] [--update docs/firmware.md] [models/NAME/model.npz ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from hebbkit.firmware_bridge.onboard_bench import QemuBench, arm_size, build_bench
from hebbkit.firmware_bridge.onboard_table import FORWARDS, OnboardRow, markdown_table, not_exportable, replace_table
from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.c_export import export_c
from hebbkit.runtime.errors import ConfigError

MODELS = Path(__file__).resolve().parents[1] / "models"


def measure_model(path: Path, steps: int, folder: Path) -> list[OnboardRow | str]:
    """Export the artifact at `path` to C in `folder`, build both bench images, step each `steps` times in QEMU on
    random observations and compare with the NumPy policy (same PCG32 initial weights): its rows of the table."""
    artifact = load_artifact(path)
    name = path.parent.name
    try:
        export_c(artifact, folder / "model")
    except ConfigError as error:
        return [not_exportable(name, str(error))]
    observations = np.random.default_rng(0).uniform(-5, 5, (steps, artifact.network.n_inputs)).astype(np.float32)
    rows: list[OnboardRow | str] = []
    for forward in FORWARDS:
        elf = build_bench(folder / "model", folder / forward, forward)
        size = arm_size(elf)
        board = QemuBench(elf)
        try:
            board.reset(1)
            policy = Policy(artifact, "numpy", seed=1, init_rng="pcg32")
            ticks, first = [], 0.0
            for index, observation in enumerate(observations):
                action, step_ticks = board.step(observation, artifact.network.n_outputs)
                expected = policy.step(observation)
                if index == 0:
                    first = float(np.max(np.abs(action - expected)))
                ticks.append(step_ticks)
            instructions = board.instructions(float(np.median(ticks)))
        finally:
            board.close()
        rows.append(OnboardRow(name, forward, size["flash"], size["ram"], instructions, artifact.control_period,
                               first))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path, help="artifacts (default: every models/*/model.npz)")
    parser.add_argument("--steps", type=int, default=50, help="control steps per build (median is reported)")
    parser.add_argument("--update", type=Path, help="also write the table between this file's onboard-table markers")
    arguments = parser.parse_args()
    if arguments.steps < 1:
        parser.error(f"--steps must be >= 1, got {arguments.steps}")
    if arguments.update is not None:
        replace_table(arguments.update.read_text(), "")  # refuse a file without markers before measuring
    rows = []
    for path in arguments.models or sorted(MODELS.glob("*/model.npz")):
        with tempfile.TemporaryDirectory() as folder:
            rows.extend(measure_model(path, arguments.steps, Path(folder)))
    table = markdown_table(rows)
    print(table)
    if arguments.update is not None:
        arguments.update.write_text(replace_table(arguments.update.read_text(), table))
        print(f"wrote the table into {arguments.update}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
