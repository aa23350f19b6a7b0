"""The shipped models on the STM32F405: flash and RAM of the bench image (arm-none-eabi-size) and instructions per
control step in QEMU (`-icount shift=0`), as a duty cycle at each model's control rate (168 MHz, assuming one
instruction per cycle: QEMU counts instructions, not cycles). Models with a convolutional front end (CarRacing)
are not exportable to C and are listed as such. Prints a Markdown table (the README's).

    python benchmarks/onboard_step.py [--steps 50] [models/NAME/model.npz ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from hebbkit.firmware_bridge.onboard_bench import CORE_HZ, FLASH_BYTES, SRAM_BYTES, QemuBench, arm_size, build_bench
from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.c_export import export_c
from hebbkit.runtime.errors import ConfigError

MODELS = Path(__file__).resolve().parents[1] / "models"


def measure(path: Path, steps: int, folder: Path) -> list[str]:
    artifact = load_artifact(path)
    name = path.parent.name
    try:
        export_c(artifact, folder / "model")
    except ConfigError as error:
        return [f"| {name} | - | not exportable: {error} | | | | |"]
    rows = []
    observations = np.random.default_rng(0).uniform(-5, 5, (steps, artifact.network.n_inputs)).astype(np.float32)
    for forward in ("double", "float"):
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
        milliseconds = 1e3 * instructions / CORE_HZ
        rows.append(f"| {name} | {forward} | {size['flash']:,} B ({100 * size['flash'] / FLASH_BYTES:.1f}%) | "
                    f"{size['ram']:,} B ({100 * size['ram'] / SRAM_BYTES:.1f}%) | {instructions:,.0f} | "
                    f"{milliseconds:.2f} ms / {1e3 * artifact.control_period:g} ms = "
                    f"{100 * milliseconds / (1e3 * artifact.control_period):.1f}% | {first:.1e} |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path, help="artifacts (default: every models/*/model.npz)")
    parser.add_argument("--steps", type=int, default=50, help="control steps per build (median is reported)")
    arguments = parser.parse_args()
    paths = arguments.models or sorted(MODELS.glob("*/model.npz"))
    print("| model | forward sums | flash (of 1 MB) | RAM (of 128 KB SRAM) | instructions / step | step at 168 MHz "
          "/ period = duty | first-step max abs diff vs NumPy |")
    print("|---|---|---|---|---|---|---|")
    for path in paths:
        with tempfile.TemporaryDirectory() as folder:
            for row in measure(path, arguments.steps, Path(folder)):
                print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
