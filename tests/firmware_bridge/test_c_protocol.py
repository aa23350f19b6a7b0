"""The C firmware's protocol code (firmware_bridge/firmware), compiled with gcc and driven through ctypes, against
the same test vectors as the Python side."""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from hebbkit.firmware_bridge import protocol

FIRMWARE = Path(protocol.__file__).parent / "firmware"
VECTORS = json.loads((Path(protocol.__file__).parent / "protocol_vectors.json").read_text())


class Frame(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint8), ("type", ctypes.c_uint8), ("seq", ctypes.c_uint16),
                ("length", ctypes.c_uint16), ("payload", ctypes.POINTER(ctypes.c_uint8))]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the firmware core")
    build = tmp_path_factory.mktemp("firmware")
    subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={build}"], check=True, capture_output=True, text=True)
    lib = ctypes.CDLL(str(build / "libhebbfw.so"))
    lib.hebb_crc16.restype = ctypes.c_uint16
    lib.hebb_crc16.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint16]
    lib.hebb_encode_frame.restype = ctypes.c_size_t
    lib.hebb_encode_frame.argtypes = [ctypes.c_uint8, ctypes.c_uint16, ctypes.c_char_p, ctypes.c_size_t,
                                      ctypes.c_char_p]
    lib.hebb_decoder_feed.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.POINTER(Frame)]
    lib.hebb_cobs_encode.restype = ctypes.c_size_t
    lib.hebb_cobs_encode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
    lib.hebb_cobs_decode.restype = ctypes.c_long
    lib.hebb_cobs_decode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return lib


class Decoder:
    """hebb_decoder in a ctypes buffer (the struct is opaque here; its counters are its last 4 uint32)."""

    SIZE = 8192

    def __init__(self, lib) -> None:
        self.lib = lib
        self.memory = ctypes.create_string_buffer(self.SIZE)
        lib.hebb_decoder_init(self.memory)

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        frames = []
        frame = Frame()
        for byte in data:
            if self.lib.hebb_decoder_feed(self.memory, byte, ctypes.byref(frame)):
                frames.append((frame.type, frame.seq, ctypes.string_at(frame.payload, frame.length)))
        return frames


def test_crc_check_value(library):
    assert library.hebb_crc16(b"123456789", 9, 0xFFFF) == 0x29B1


def test_cobs_matches_python(library):
    rng = random.Random(3)
    for size in (0, 1, 253, 254, 255, 600):
        data = bytes(rng.choice([0, 1, 255, rng.randrange(256)]) for _ in range(size))
        out = ctypes.create_string_buffer(size + size // 254 + 2)
        written = library.hebb_cobs_encode(data, size, out)
        assert out.raw[:written] == protocol.cobs_encode(data)
        back = ctypes.create_string_buffer(size + 1)
        assert library.hebb_cobs_decode(out.raw[:written], written, back, size + 1) == size
        assert back.raw[:size] == data


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors(library, vector):
    wire = bytes.fromhex(vector["hex"])
    frames = Decoder(library).feed(wire)
    assert len(frames) == 1
    message_type, seq, payload = frames[0]
    assert (message_type, seq) == (vector["type"], vector["seq"])
    out = ctypes.create_string_buffer(2048)
    written = library.hebb_encode_frame(message_type, seq, payload, len(payload), out)
    assert out.raw[:written] == wire


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected(library, vector):
    assert Decoder(library).feed(bytes.fromhex(vector["hex"])) == []


def test_random_garbage_never_yields_a_frame_and_real_frames_survive_it(library):
    decoder = Decoder(library)
    rng = random.Random(11)
    good = protocol.encode(protocol.Heartbeat(42), 5)
    received = []
    for _ in range(200):
        received += decoder.feed(os.urandom(rng.randrange(0, 64)))
        received += decoder.feed(good)
    assert [r[:2] for r in received if r[1] == 5] == [(0x02, 5)] * 200


@pytest.mark.parametrize("seed", [1, 2])
def test_a_million_faulty_frames_under_sanitizers(tmp_path, seed):
    """No crash, no sanitizer report, no corrupted frame accepted, every intact frame delivered (see the
    harness's header for the fault classes)."""
    subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={tmp_path}", f"{tmp_path}/fuzz_decoder"], check=True,
                   capture_output=True, text=True)
    result = subprocess.run([str(tmp_path / "fuzz_decoder"), "1000000", str(seed)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = dict(zip(result.stdout.split()[::2], map(int, result.stdout.split()[1::2])))
    assert counts["frames"] == 1_000_000 and counts["corrupted_accepted"] == 0
    assert counts["mutated"] > 250_000 and counts["crc_errors"] > 100_000
