"""The exported servo-proprio model on the STM32F405: built with arm-none-eabi-gcc for the Cortex-M4F (hard float),
its flash and RAM checked against the chip's, run in QEMU (netduinoplus2, `-icount shift=0`) on observations this
test feeds over USART1, its actions compared with the NumPy Policy started from the same PCG32 weights, and the
instructions per control step measured and turned into a duty cycle at the model's control rate.

Two builds: FORWARD=double (the kernel's default, the NumPy reference's rounding; the M4F has no double FPU, so it
runs in software) and FORWARD=float (single-precision sums, what the FPU runs). Needs gcc-arm-none-eabi,
libnewlib-arm-none-eabi and qemu-system-arm."""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.runtime import Policy, load_artifact
from hebbkit.runtime.c_export import export_c
from tests.conftest import random_observations

BOARD = Path(protocol.__file__).parent / "firmware" / "board"
SERVO = Path(__file__).resolve().parents[2] / "models" / "servo-proprio" / "model.npz"
FLASH_BYTES = 1024 * 1024  # STM32F405: 1 MB flash
SRAM_BYTES = 128 * 1024  # 112 + 16 KB SRAM at 0x20000000 (the linker script's RAM); the 64 KB CCM is not used
CORE_HZ = 168_000_000  # the STM32F405's maximum core clock, what QEMU's netduinoplus2 runs SysTick at
FEED_SEED = 21
FLOAT_AGREEING_STEPS = 4


def arm_size(elf: Path) -> dict[str, int]:
    output = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(value) for value in output.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    missing = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} not installed: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                    "qemu-system-arm (what .ci/run does)")
    folder = tmp_path_factory.mktemp("servo_model")
    export_c(load_artifact(SERVO), folder)
    return folder


@pytest.fixture(scope="module", params=["double", "float"])
def bench_elf(request, model_dir, tmp_path_factory) -> tuple[str, Path]:
    build = tmp_path_factory.mktemp(f"arm_{request.param}")
    result = subprocess.run(["make", "-C", str(BOARD), "bench", f"BUILD={build}", f"MODEL_DIR={model_dir}",
                             f"CORE_HZ={CORE_HZ}", f"FORWARD={request.param}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return request.param, build / "hebb_model_bench.elf"


class Board:
    """The bench image in QEMU with instruction counting, USART1 on a pty."""

    def __init__(self, elf: Path) -> None:
        import serial

        self.process = subprocess.Popen(
            ["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-kernel", str(elf), "-serial", "pty",
             "-monitor", "none", "-icount", "shift=0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"(/dev/pts/\d+)", line)
        assert match, f"qemu did not report its pty: {line!r}"
        self.port = serial.Serial(match.group(1), 115200, timeout=20)
        banner = self.port.readline().decode()
        fields = dict(re.findall(r"(\w+)=(\S+)", banner))
        assert banner.startswith("BENCH"), banner
        self.sha256 = fields["sha256"]
        self.model_bytes = int(fields["model_bytes"])
        self.ticks_per_instruction = int(fields["calib_ticks"]) / int(fields["calib_insns"])

    def reset(self, seed: int) -> None:
        self.port.write(b"R" + struct.pack("<Q", seed))
        assert self.port.read(1) == b"r"

    def step(self, observation: np.ndarray, n_actions: int) -> tuple[np.ndarray, int]:
        self.port.write(b"S" + np.asarray(observation, dtype="<f4").tobytes())
        reply = self.port.read(1 + 4 * n_actions + 4)
        assert reply[:1] == b"A" and len(reply) == 1 + 4 * n_actions + 4, reply
        return np.frombuffer(reply[1:1 + 4 * n_actions], dtype="<f4").copy(), struct.unpack("<I", reply[-4:])[0]

    def close(self) -> None:
        self.port.close()
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
        self.process.wait()


def test_flash_and_ram_fit_the_stm32f405(bench_elf):
    forward, elf = bench_elf
    size = arm_size(elf)
    artifact = load_artifact(SERVO)
    coefficients = 4 * sum(n_in * n_out for n_in, n_out in artifact.network.layer_shapes) * 4  # a, b, c, d folded
    assert coefficients <= size["text"] < FLASH_BYTES  # the coefficients are const: flash, not RAM
    weights = 4 * sum(n_in * n_out for n_in, n_out in artifact.network.layer_shapes)
    assert weights <= size["bss"] and size["ram"] < SRAM_BYTES - 8 * 1024  # and 8 KB left for the stack
    print(f"servo-proprio FORWARD={forward}: flash {size['flash']:,} B of {FLASH_BYTES:,} "
          f"({100 * size['flash'] / FLASH_BYTES:.1f}%), RAM {size['ram']:,} B of {SRAM_BYTES:,} SRAM "
          f"({100 * size['ram'] / SRAM_BYTES:.1f}%), CCM unused")


def test_board_matches_numpy_and_reports_its_step_cost(bench_elf):
    """The board and NumPy draw their PCG32 weights from one seed and run free on the same fed observations.
    FORWARD=double keeps the reference's rounding: asserted at rel 1e-5 for 1,000 steps (bit-identical on this
    machine). FORWARD=float sums in single precision: the first steps agree to 1e-5, then the free-running plastic
    trajectories part (the step where they differ by 1e-3 is printed), as two float32 roundings of one rule do."""
    forward, elf = bench_elf
    artifact = load_artifact(SERVO)
    board = Board(elf)
    try:
        assert board.sha256 == artifact.sha256()
        board.reset(FEED_SEED)
        policy = Policy(artifact, "numpy", seed=FEED_SEED, init_rng="pcg32")
        steps = 1000 if forward == "double" else 300
        ticks, differences = [], []
        for observation in random_observations(21, steps, seed=9):
            got, step_ticks = board.step(observation, 8)
            expected = policy.step(observation)
            differences.append(float(np.max(np.abs(got - expected))))
            if forward == "double":
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
            ticks.append(step_ticks)
    finally:
        board.close()
    worst = max(differences)
    if forward == "float":  # single-precision sums: the free-running trajectories part slowly
        assert max(differences[:FLOAT_AGREEING_STEPS]) < 1e-5, differences[:FLOAT_AGREEING_STEPS]
        above = [step for step, difference in enumerate(differences) if difference > 1e-3]
        print(f"FORWARD=float: max |action difference| {max(differences[:FLOAT_AGREEING_STEPS]):.3g} over the first "
              f"{FLOAT_AGREEING_STEPS} steps; first step above 1e-3: {above[0] if above else None}")
    instructions = float(np.median(ticks)) / board.ticks_per_instruction
    duty = instructions / CORE_HZ / artifact.control_period
    print(f"servo-proprio FORWARD={forward} in QEMU: {steps} steps, max |action difference| {worst:.3g}; "
          f"{instructions:,.0f} instructions per control step (median), {1e3 * instructions / CORE_HZ:.2f} ms at "
          f"168 MHz and 1 instruction per cycle = {100 * duty:.1f}% of the {1e3 * artifact.control_period:g} ms "
          f"period")
    assert duty < 1.0
