"""For the tests that build the STM32F4 images (firmware/board) and run them in QEMU: the model the onboard images
run and `make` for the board; the fixtures (toolchain check, exported model, QEMU) are in conftest.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hebbkit.firmware_bridge.onboard_bench import BOARD_DIR

SERVO = Path(__file__).resolve().parents[2] / "models" / "servo-proprio" / "model.npz"
"""The shipped servo-proprio model."""


def make_board(build: Path, *arguments: str) -> None:
    """`make -C firmware/board BUILD=build arguments...`; the test fails with make's output when it fails."""
    result = subprocess.run(["make", "-C", str(BOARD_DIR), *arguments, f"BUILD={build}"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
