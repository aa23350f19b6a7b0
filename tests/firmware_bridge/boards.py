"""For the tests that build the STM32F4 images (firmware/board) and run them in QEMU: the model the onboard images
run (`onboard_bench.make_board` builds them; the fixtures, toolchain check, exported model and QEMU, are in
conftest.py)."""

from __future__ import annotations

from pathlib import Path

SERVO = Path(__file__).resolve().parents[2] / "models" / "servo-proprio" / "model.npz"
"""The shipped servo-proprio model."""
