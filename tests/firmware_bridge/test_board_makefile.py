"""The board Makefile rebuilds an image when a variable that shapes it changes (CORE_HZ, FORWARD, ONBOARD_SEED,
MODEL_DIR; issue 31): in the README's order, the 16 MHz image must not stay when CORE_HZ=168000000 is asked for,
and FORWARD=float must build the float variant, not print "Nothing to be done". Real make and arm-none-eabi-gcc."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hebbkit.firmware_bridge.onboard_bench import BOARD_DIR


def make(build: Path, *arguments: str) -> str:
    """make -C board ... BUILD=build; what it ran (its output)."""
    result = subprocess.run(["make", "-C", str(BOARD_DIR), *arguments, f"BUILD={build}"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def compiled(output: str) -> bool:
    return "arm-none-eabi-gcc " in output


def test_the_firmware_image_follows_core_hz(arm_toolchain, tmp_path):
    assert compiled(make(tmp_path))
    assert not compiled(make(tmp_path))  # nothing changed: nothing rebuilt
    rebuilt = make(tmp_path, "CORE_HZ=168000000")
    assert compiled(rebuilt) and "-DCORE_HZ=168000000u" in rebuilt
    assert not compiled(make(tmp_path, "CORE_HZ=168000000"))
    assert "-DCORE_HZ=16000000u" in make(tmp_path)  # and back


def test_bench_and_onboard_images_follow_forward_seed_and_model_dir(servo_c_model, tmp_path):
    model = f"MODEL_DIR={servo_c_model}"
    assert compiled(make(tmp_path, "bench", model, "CORE_HZ=168000000"))
    double = (tmp_path / "hebb_model_bench.elf").read_bytes()
    assert not compiled(make(tmp_path, "bench", model, "CORE_HZ=168000000"))
    floats = make(tmp_path, "bench", model, "CORE_HZ=168000000", "FORWARD=float")
    assert compiled(floats) and "-DHEBB_FORWARD_FLOAT" in floats
    assert (tmp_path / "hebb_model_bench.elf").read_bytes() != double  # the float variant was built

    onboard = ["onboard", model, "CORE_HZ=168000000", "FORWARD=float"]
    assert compiled(make(tmp_path, *onboard))
    assert not compiled(make(tmp_path, *onboard))
    assert "-DHEBB_ONBOARD_SEED=7u" in make(tmp_path, *onboard, "ONBOARD_SEED=7")

    copy = tmp_path / "copy_of_model"
    shutil.copytree(servo_c_model, copy)  # the same files, newer than nothing built from them: a new MODEL_DIR
    assert compiled(make(tmp_path, "bench", f"MODEL_DIR={copy}", "CORE_HZ=168000000", "FORWARD=float"))
