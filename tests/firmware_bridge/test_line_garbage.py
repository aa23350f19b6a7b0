"""Garbage on the serial line, over pyserial's loop:// and over a pty: random bytes, truncated, corrupted and
oversized frames are dropped and counted (every chunk between two delimiters exactly once), never raise, never
deliver a message to the host and never move a servo; and a peer speaking protocol v1 is told apart from garbage
and refused in words it understands."""

from __future__ import annotations

import random
import struct
import time

import numpy as np
import pytest
import serial

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.link import FirmwareError, Link, ProtocolVersionError
from hebbkit.firmware_bridge.protocol import Command, ErrorCode, Heartbeat, MessageType, State, encode, encode_frame
from hebbkit.firmware_bridge.simulator import FirmwareSimulator

LOWER, UPPER = [-1.0] * 8, [1.0] * 8


def chunks(stream: bytes) -> int:
    """Non-empty runs of bytes that a delimiter ends: what a receiver has to account for."""
    return sum(1 for piece in stream.split(b"\x00")[:-1] if piece)


def junk(rng: random.Random) -> list[bytes]:
    """One of every kind of line fault, each ended by a delimiter."""
    command = encode(Command(0, (0.9,) * 8), 7)
    flipped = bytearray(command)
    flipped[9] ^= 0x04
    body = struct.pack("<BBHH", 2, MessageType.COMMAND, 8, 600) + bytes([0, 150]) + bytes(range(1, 256)) * 2 + \
        bytes(88)
    oversized = b"\x00" + protocol.cobs_encode(body + struct.pack("<I", protocol.crc32c(body))) + b"\x00"
    return [
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) + b"\x00",  # random bytes, zeros included
        bytes(rng.randrange(1, 256) for _ in range(250)) + b"\x00",  # one chunk of random bytes
        command[:-6] + b"\x00",  # truncated
        bytes(flipped),  # a bit flipped
        command[:15] + command[16:],  # a byte lost (UART overrun)
        b"\x00" + b"\x55" * 3000 + b"\x00",  # far longer than any frame
        oversized,  # a 600-byte payload with a consistent length field and a valid CRC
        b"\x00\x01\x01\x01\x00\x00\x00",  # tiny and empty chunks
    ]


def test_garbage_towards_the_host_is_counted_dropped_and_never_delivered():
    rng = random.Random(17)
    link = Link("loop://")
    stream = bytearray()
    for seq in range(40):
        for piece in junk(rng):
            stream += piece
        stream += encode(Heartbeat(seq), seq)
    received = []
    for start in range(0, len(stream), 512):  # loop:// holds 4 KiB: write, read, write...
        link.port.write(bytes(stream[start:start + 512]))
        received += link.poll()
    for _ in range(20):
        received += link.poll()
    assert [m.time_us for m in received] == list(range(40))  # every good frame, in order, nothing else
    stats = link.stats
    assert stats.received == 40 and stats.lost == 0
    assert stats.received + stats.crc_errors + stats.malformed + stats.version_errors == chunks(bytes(stream))
    assert stats.crc_errors >= 40 and stats.overflows == 80  # the two over-long pieces of every round


@pytest.fixture
def firmware():
    simulator = FirmwareSimulator()
    yield simulator
    simulator.close()


def wait_until(predicate, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return predicate()


def test_garbage_towards_the_firmware_never_moves_a_servo(firmware):
    rng = random.Random(23)
    with Link(firmware.port_name, timeout=10.0) as link:
        link.hello()
        link.configure(LOWER, UPPER, watchdog_ms=5000, state_rate_hz=100)
        link.enable(True)
        stats = firmware.core.decoder.stats
        before = (stats.frames, stats.crc_errors + stats.malformed + stats.version_errors)
        targets = firmware.core.targets.copy()
        sent = bytearray()
        for _ in range(20):
            for piece in junk(rng):
                link.port.write(piece)
                sent += piece
        assert wait_until(lambda: stats.crc_errors + stats.malformed + stats.version_errors - before[1]
                          == chunks(bytes(sent)))
        assert stats.frames == before[0]  # not one frame made it through
        assert np.array_equal(firmware.core.targets, targets) and firmware.alive and firmware.failure is None
        time.sleep(0.05)  # a STATE report or two after the last count
        answers = [m for _ in range(50) for m in link.poll()]
        assert answers and all(isinstance(m, State) for m in answers)  # no ACK, no ERROR: nothing was understood
        state = link.last_state
        assert state is not None and state.crc_errors == stats.crc_errors & 0xFFFF
        link.command([0.3] * 8)  # and the link still commands
        assert wait_until(lambda: np.allclose(firmware.core.targets, 0.3))
        assert link.hello().n_joints == 8


def test_an_error_code_from_the_future_is_reported_not_raised_as_a_crash():
    link = Link("loop://", timeout=0.5)
    link.port.write(encode(protocol.Error(42, MessageType.COMMAND), 0))
    with pytest.raises(FirmwareError, match="firmware refused: error code 42 for message type 0x10"):
        link.wait_for(protocol.Ack)


def test_a_host_refuses_a_v1_firmware_with_a_clear_error():
    """A v1 firmware drops v2 HELLOs as malformed and never answers; its STATE reports give it away."""
    link = Link("loop://", timeout=30.0)
    v1_state = State(1, 0, 0, 0, 0, (0.0,) * 8, (0.0,) * 8)
    link.port.write(encode_frame(MessageType.STATE, 3, v1_state.pack(), version=1))
    started = time.monotonic()
    with pytest.raises(ProtocolVersionError, match=r"firmware speaks protocol v1 \(CRC-16 frames\), this host v2"):
        link.hello()
    # at once, not at the timeout (30 s, far beyond any scheduling delay)
    assert time.monotonic() - started < 5.0 and link.stats.version_errors == 1


def test_a_v1_host_is_refused_in_v1_framing(firmware):
    """What an old host sends, the v2 firmware answers with ERROR 3 framed as v1, which the old host can read."""
    port = serial.serial_for_url(firmware.port_name, timeout=0)
    decoder = protocol.StreamDecoder()

    def answered() -> bool:
        decoder.feed(port.read(4096))
        return bool(decoder.other_versions)

    try:
        port.write(encode_frame(MessageType.HELLO, 0, b"\x01", version=1))
        assert wait_until(answered)
    finally:
        port.close()
    answer = decoder.other_versions[0]
    assert (answer.version, answer.type) == (1, MessageType.ERROR)
    assert protocol.Error.unpack(answer.payload) == protocol.Error(ErrorCode.BAD_VERSION, MessageType.HELLO)
    assert firmware.core.decoder.stats.version_errors == 1 and not firmware.core.configured
