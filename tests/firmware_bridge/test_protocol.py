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
    Heartbeat,
    ProtocolError,
    State,
    StreamDecoder,
    cobs_decode,
    cobs_encode,
    crc16,
    decode_frame,
    encode,
    parse,
)

VECTORS = json.loads((Path(protocol.__file__).parent / "protocol_vectors.json").read_text())


def test_crc_is_ccitt_false():
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
    counted = decoder.stats.crc_errors if vector["reason"] == "crc" else decoder.stats.malformed
    assert counted == 1


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
    # every intact frame arrives (a corrupted one that still decodes would be a CRC collision: 1 in 65,536)
    assert sequences == expected
    assert all(parse(frame) == sent[frame.seq] for frame in received)
    assert decoder.stats.crc_errors + decoder.stats.malformed >= 1


def test_malformed_payloads_say_what_is_wrong():
    with pytest.raises(ProtocolError, match="HEARTBEAT payload should be 4 bytes"):
        Heartbeat.unpack(b"\x01")
    with pytest.raises(ProtocolError, match="neither POSITION"):
        Command.unpack(bytes([7, 1]) + bytes(4))
    with pytest.raises(ProtocolError, match="unknown message type 0x7F"):
        parse(protocol.Frame(0x7F, 0, b""))
    with pytest.raises(ProtocolError, match="exceeds"):
        protocol.encode_frame(0x10, 0, bytes(2000))
