"""The serial protocol: CRC, COBS, frames, payloads, the shared test vectors, and a stream full of faults."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.protocol import (
    MESSAGES,
    Command,
    Enable,
    ErrorCode,
    Heartbeat,
    ProtocolError,
    State,
    StreamDecoder,
    VersionError,
    cobs_decode,
    cobs_encode,
    crc16,
    crc32c,
    decode_frame,
    encode,
    encode_frame,
    parse,
)

VECTORS = json.loads((Path(protocol.__file__).parent / "protocol_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["crc32c"], ids=lambda v: v["name"])
def test_crc32c_reference_values(vector):
    """The catalogue's check value and RFC 3720's (iSCSI) examples."""
    assert crc32c(bytes.fromhex(vector["hex"])) == int(vector["crc"], 16)


def test_legacy_crc_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


@pytest.mark.parametrize("size", [0, 1, 2, 253, 254, 255, 256, 510, 1000])
def test_cobs_round_trip_and_removes_zeros(size):
    rng = random.Random(size)
    for data in (bytes(size), bytes(rng.randrange(256) for _ in range(size)), b"\x01" * size):
        encoded = cobs_encode(data)
        assert 0 not in encoded and cobs_decode(encoded) == data


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_decode_to_their_fields_and_encode_to_their_bytes(vector):
    wire = bytes.fromhex(vector["hex"])
    frame = decode_frame(wire.strip(b"\x00"))
    assert frame.type == vector["type"] and frame.seq == vector["seq"]
    message = parse(frame)
    fields = {k: (list(v) if isinstance(v, tuple) else v) for k, v in message.__dict__.items()}
    assert fields == vector["fields"]  # the vectors use values exact in float32
    assert encode(message, vector["seq"]) == wire


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_are_rejected_and_counted(vector):
    decoder = StreamDecoder()
    assert decoder.feed(bytes.fromhex(vector["hex"])) == []
    stats = decoder.stats
    counted = {"crc": stats.crc_errors, "malformed": stats.malformed, "overflow": stats.malformed,
               "version": stats.version_errors}[vector["reason"]]
    assert counted == 1 and stats.crc_errors + stats.malformed + stats.version_errors == 1 and stats.frames == 0
    assert stats.overflows == int(vector["reason"] == "overflow")


@pytest.mark.parametrize("vector", VECTORS["legacy"], ids=lambda v: v["name"])
def test_legacy_vectors_are_recognised_never_delivered_and_encoded(vector):
    wire = bytes.fromhex(vector["hex"])
    decoder = StreamDecoder()
    assert decoder.feed(wire) == [] and decoder.stats.version_errors == 1
    assert list(decoder.other_versions) == [protocol.Frame(vector["type"], vector["seq"],
                                                           bytes.fromhex(vector["payload"]), 1)]
    with pytest.raises(VersionError, match="protocol v1 frame"):
        decode_frame(wire.strip(b"\x00"))
    assert encode_frame(vector["type"], vector["seq"], bytes.fromhex(vector["payload"]), version=1) == wire


def test_every_message_type_round_trips():
    assert set(MESSAGES) == set(protocol.MessageType)
    for vector in VECTORS["valid"]:
        assert MESSAGES[vector["type"]]


def test_stream_survives_garbage_bit_flips_truncation_and_duplicates():
    rng = random.Random(7)
    sent = [State(i, 0, i, 0, 0, tuple(float(j) for j in range(8)), tuple(0.0 for _ in range(8))) for i in range(300)]
    stream, expected = bytearray(), []
    for seq, message in enumerate(sent):
        wire = bytearray(encode(message, seq))
        fault = rng.random()
        if fault < 0.1:
            stream += os.urandom(rng.randrange(1, 40))  # garbage between frames
            expected.append(seq)
        elif fault < 0.2:
            wire[rng.randrange(1, len(wire) - 1)] ^= 1 << rng.randrange(8)  # single bit flip
        elif fault < 0.25:
            for _ in range(2):
                wire[rng.randrange(1, len(wire) - 1)] ^= 1 << rng.randrange(8)  # double bit flip
        elif fault < 0.3:
            wire = wire[: rng.randrange(2, len(wire) - 1)]  # truncated (the next frame's delimiter ends it)
        elif fault < 0.35:
            stream += wire  # duplicated
            expected.append(seq)
            expected.append(seq)
            stream += wire
            continue
        else:
            expected.append(seq)
        stream += wire
    decoder = StreamDecoder()
    received = []
    for start in range(0, len(stream), 17):  # arbitrary read sizes
        received += decoder.feed(bytes(stream[start:start + 17]))
    sequences = [frame.seq for frame in received]
    # every intact frame arrives, and only those: up to 5 flipped bits are always caught by the CRC-32C
    assert sequences == expected
    assert all(parse(frame) == sent[frame.seq] for frame in received)
    assert decoder.stats.crc_errors + decoder.stats.malformed >= 1


def test_malformed_payloads_say_what_is_wrong():
    with pytest.raises(ProtocolError, match="HEARTBEAT payload should be 4 bytes"):
        Heartbeat.unpack(b"\x01")
    with pytest.raises(ProtocolError, match="COMMAND with 2 joints should be 10 bytes, found 6") as error:
        Command.unpack(bytes([0, 2]) + bytes(4))
    assert error.value.code == ErrorCode.BAD_LENGTH
    with pytest.raises(ProtocolError, match="ENABLE flag 2 is neither 0 nor 1") as error:
        Enable.unpack(b"\x02")
    assert error.value.code == ErrorCode.BAD_VALUE
    with pytest.raises(ProtocolError, match="unknown message type 0x7F") as error:
        parse(protocol.Frame(0x7F, 0, b""))
    assert error.value.code == ErrorCode.UNKNOWN_TYPE
    with pytest.raises(ProtocolError, match="exceeds"):
        protocol.encode_frame(0x10, 0, bytes(2000))
    with pytest.raises(ProtocolError, match="Configure"):
        encode(protocol.Configure((0.0,), (1.0,), watchdog_ms=70_000), 0)  # u16 on the wire


def test_mode_and_joint_count_are_the_receivers_to_judge():
    """The decoder checks sizes; the firmware checks values in its own order (ERROR 5 before ERROR 6)."""
    assert Command.unpack(bytes([7, 0])) == Command(7, ())
