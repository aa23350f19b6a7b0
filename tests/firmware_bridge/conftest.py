"""The C firmware core built once per test session (gcc for this machine); for the STM32F4 images in QEMU, the
toolchain check, servo-proprio exported as C, and QEMU started and stopped around a test."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hebbkit.firmware_bridge.onboard_bench import start_qemu, stop_qemu
from hebbkit.runtime import load_artifact
from hebbkit.runtime.c_export import export_c
from tests.firmware_bridge.boards import SERVO
from tests.firmware_bridge.cores import build_c_library


@pytest.fixture(scope="session")
def c_library(tmp_path_factory) -> ctypes.CDLL:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the firmware core")
    return build_c_library(tmp_path_factory.mktemp("firmware"))


@pytest.fixture(scope="session")
def arm_toolchain() -> None:
    """Fails (never skips) the tests of the board images when the cross compiler or QEMU is missing."""
    missing = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} not installed: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                    "qemu-system-arm (what .ci/run does)")


@pytest.fixture(scope="module")
def servo_c_model(arm_toolchain, tmp_path_factory) -> Path:
    """servo-proprio exported as C (`hebbkit export --c`), the model of the onboard images."""
    folder = tmp_path_factory.mktemp("servo_model")
    export_c(load_artifact(SERVO), folder)
    return folder


@pytest.fixture
def qemu() -> Iterator[Callable[[Path], tuple[subprocess.Popen[str], str]]]:
    """Starts an image in QEMU with USART1 on a pty (`onboard_bench.start_qemu`: the process and the pty's path);
    what it started is stopped after the test."""
    processes: list[subprocess.Popen[str]] = []

    def start(elf: Path) -> tuple[subprocess.Popen[str], str]:
        process, port = start_qemu(elf)
        processes.append(process)
        return process, port

    yield start
    for process in processes:
        stop_qemu(process)
