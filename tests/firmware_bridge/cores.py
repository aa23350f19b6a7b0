"""The two firmware cores behind one interface, for tests that drive both with the same bytes and the same clock:
`CCore` is firmware/hebb_firmware.c with the host HAL of hebb_host.c, built with gcc and called through ctypes;
`PyCore` is hebbkit.firmware_bridge.simulator.FirmwareCore."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.simulator import FirmwareCore

FIRMWARE = Path(protocol.__file__).parent / "firmware"
COUNTERS = ("frames", "crc_errors", "malformed", "overflows", "version_errors")


def build_c_library(build: Path) -> ctypes.CDLL:
    """libhebbfw.so (protocol, firmware logic, host HAL) built into `build`, with every function's signature."""
    result = subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={build}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    lib = ctypes.CDLL(str(build / "libhebbfw.so"))
    host, u8, u16, u32, size = ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_size_t
    signatures = {
        "hebb_crc32c": (u32, [ctypes.c_char_p, size]),
        "hebb_crc16": (u16, [ctypes.c_char_p, size, u16]),
        "hebb_encode_frame": (size, [u8, u16, ctypes.c_char_p, size, ctypes.c_char_p]),
        "hebb_encode_legacy_frame": (size, [u8, u16, ctypes.c_char_p, size, ctypes.c_char_p]),
        "hebb_cobs_encode": (size, [ctypes.c_char_p, size, ctypes.c_char_p]),
        "hebb_cobs_decode": (ctypes.c_long, [ctypes.c_char_p, size, ctypes.c_char_p, size]),
        "hebb_decoder_init": (None, [ctypes.c_void_p]),
        "hebb_decoder_feed": (ctypes.c_int, [ctypes.c_void_p, u8, ctypes.c_void_p]),
        "host_create": (host, [u8, ctypes.c_float]),
        "host_destroy": (None, [host]),
        "host_receive": (None, [host, ctypes.c_char_p, size, u32]),
        "host_tick": (None, [host, u32]),
        "host_take_output": (size, [host, ctypes.c_char_p, size]),
        "host_pulse": (u16, [host, u8]),
        "host_watchdog_trips": (u16, [host]),
        "host_status": (u16, [host]),
        "host_target": (ctypes.c_float, [host, u8]),
        "host_lower": (ctypes.c_float, [host, u8]),
        "host_upper": (ctypes.c_float, [host, u8]),
        "host_decoder_counters": (None, [host, ctypes.POINTER(u32)]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


class CCore:
    """The C firmware core on the host; the clock is in microseconds."""

    name = "C"

    def __init__(self, lib: ctypes.CDLL, n_joints: int = 8, servo_speed: float = 10.0) -> None:
        self.lib, self.n_joints = lib, n_joints
        self.handle = lib.host_create(n_joints, servo_speed)

    def _output(self) -> bytes:
        buffer = ctypes.create_string_buffer(1 << 16)
        size = self.lib.host_take_output(self.handle, buffer, len(buffer))
        return buffer.raw[:size]

    def receive(self, data: bytes, now_us: int) -> bytes:
        self.lib.host_receive(self.handle, data, len(data), now_us)
        return self._output()

    def tick(self, now_us: int) -> bytes:
        self.lib.host_tick(self.handle, now_us)
        return self._output()

    def status(self) -> int:
        return self.lib.host_status(self.handle)

    def targets(self) -> list[float]:
        return [self.lib.host_target(self.handle, j) for j in range(self.n_joints)]

    def limits(self) -> tuple[list[float], list[float]]:
        return ([self.lib.host_lower(self.handle, j) for j in range(self.n_joints)],
                [self.lib.host_upper(self.handle, j) for j in range(self.n_joints)])

    def counters(self) -> dict[str, int]:
        values = (ctypes.c_uint32 * len(COUNTERS))()
        self.lib.host_decoder_counters(self.handle, values)
        return dict(zip(COUNTERS, values, strict=True))

    def close(self) -> None:
        self.lib.host_destroy(self.handle)


class PyCore:
    """The Python firmware core, on the same microsecond clock."""

    name = "Python"

    def __init__(self, n_joints: int = 8, servo_speed: float = 10.0) -> None:
        self.core = FirmwareCore(n_joints, servo_speed)
        self.n_joints = n_joints

    def receive(self, data: bytes, now_us: int) -> bytes:
        return self.core.receive(data, now_us * 1e-6)

    def tick(self, now_us: int) -> bytes:
        return self.core.tick(now_us * 1e-6)

    def status(self) -> int:
        return self.core.status()

    def targets(self) -> list[float]:
        return [float(value) for value in self.core.targets]

    def limits(self) -> tuple[list[float], list[float]]:
        return [float(v) for v in self.core.lower], [float(v) for v in self.core.upper]

    def counters(self) -> dict[str, int]:
        return {name: getattr(self.core.decoder.stats, name) for name in COUNTERS}

    def close(self) -> None:
        pass
