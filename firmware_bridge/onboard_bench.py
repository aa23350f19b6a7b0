"""Build an exported model (`hebbkit export --c`) into the STM32F405 test image (`firmware/board/model_bench.c`),
read its flash and RAM figures, and drive it in QEMU (netduinoplus2, `-icount shift=0`): used by the onboard tests
and `benchmarks/onboard_step.py`. Needs arm-none-eabi-gcc, newlib, qemu-system-arm and pyserial."""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
from pathlib import Path

import numpy as np

BOARD_DIR = Path(__file__).resolve().parent / "firmware" / "board"
FLASH_BYTES = 1024 * 1024
"""STM32F405: 1 MB flash at 0x08000000."""
SRAM_BYTES = 128 * 1024
"""STM32F405: 112 + 16 KB contiguous SRAM at 0x20000000, the linker script's RAM (the 64 KB CCM is not used)."""
CORE_HZ = 168_000_000
"""The STM32F405's maximum core clock (QEMU's netduinoplus2 runs SysTick at it)."""


def make_board(build: Path, *arguments: str) -> None:
    """`make -C firmware/board arguments... BUILD=build`. Raises RuntimeError with make's output when it fails."""
    result = subprocess.run(["make", "-C", str(BOARD_DIR), *arguments, f"BUILD={build}"], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")


def build_bench(model_dir: Path, build: Path, forward: str = "double") -> Path:
    """`make bench` for the exported model in `model_dir`; returns the ELF. Raises RuntimeError with make's
    output when it fails."""
    make_board(build, "bench", f"MODEL_DIR={model_dir}", f"CORE_HZ={CORE_HZ}", f"FORWARD={forward}")
    return build / "hebb_model_bench.elf"


def arm_size(elf: Path) -> dict[str, int]:
    """arm-none-eabi-size's text, data, bss; flash = text + data (initial values), RAM = data + bss."""
    output = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(value) for value in output.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss}


def start_qemu(elf: Path, *options: str) -> tuple[subprocess.Popen[str], str]:
    """`elf` in QEMU (netduinoplus2, more qemu-system-arm `options` after the standard ones) with USART1 on a pty:
    the process and the pty's path. Raises RuntimeError, with QEMU stopped, when QEMU reports no pty."""
    process = subprocess.Popen(["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-kernel", str(elf), "-serial",
                                "pty", "-monitor", "none", *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(/dev/pts/\d+)", line)
        if not match:
            raise RuntimeError(f"qemu did not report its pty: {line!r}")
    except BaseException:
        stop_qemu(process)
        raise
    return process, match.group(1)


def stop_qemu(process: subprocess.Popen[str]) -> None:
    """End QEMU, also when it is stopped (SIGSTOP), and close its output."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


class QemuBench:
    """The bench image in QEMU with instruction counting (`-icount shift=0`), USART1 on a pty."""

    def __init__(self, elf: Path, timeout: float = 20.0) -> None:
        import serial

        self.process, pty = start_qemu(elf, "-icount", "shift=0")
        try:
            self.port = serial.Serial(pty, 115200, timeout=timeout)
            banner = self.port.readline().decode(errors="replace")
            if not banner.startswith("BENCH"):
                raise RuntimeError(f"the bench image did not introduce itself: {banner!r}")
        except BaseException:
            self.close()
            raise
        fields = dict(re.findall(r"(\w+)=(\S+)", banner))
        self.sha256 = fields["sha256"]
        self.model_bytes = int(fields["model_bytes"])
        self.ticks_per_instruction = int(fields["calib_ticks"]) / int(fields["calib_insns"])

    def reset(self, seed: int) -> None:
        """Fresh PCG32 initial weights from `seed` on the board."""
        self.port.write(b"R" + struct.pack("<Q", seed))
        if self.port.read(1) != b"r":
            raise RuntimeError("the board did not acknowledge the reset")

    def step(self, observation: np.ndarray, n_actions: int, plastic: bool = True) -> tuple[np.ndarray, int]:
        """One control step on the board: its action and the SysTick ticks it took."""
        self.port.write((b"S" if plastic else b"F") + np.asarray(observation, dtype="<f4").tobytes())
        reply = self.port.read(1 + 4 * n_actions + 4)
        if reply[:1] != b"A" or len(reply) != 1 + 4 * n_actions + 4:
            raise RuntimeError(f"unexpected reply from the board: {reply!r}")
        return np.frombuffer(reply[1:1 + 4 * n_actions], dtype="<f4").copy(), struct.unpack("<I", reply[-4:])[0]

    def instructions(self, ticks: float) -> float:
        """SysTick ticks to instructions (QEMU's -icount: every instruction takes the same virtual time)."""
        return ticks / self.ticks_per_instruction

    def close(self) -> None:
        port = getattr(self, "port", None)
        if port is not None:
            port.close()
        stop_qemu(self.process)
