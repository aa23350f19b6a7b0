"""Sessions and sequence numbers: one table of cases (`firmware_bridge/sequence_vectors.json`), run against the C
firmware (`cores.CCore`) and the Python simulator (`cores.PyCore`) alike.

Guaranteed (docs/protocol.md, "Sessions: stale and replayed frames"): a frame the firmware takes, other than HELLO,
is acted on only when its sequence number is newer (16-bit serial arithmetic, wrapping) than the last frame accepted
in the session; otherwise ERROR 7 (STALE) and nothing changes. A valid HELLO starts a session; refused frames take
no number. So a replayed ESTOP(0) cannot release a newer stop, and a delayed or duplicated COMMAND moves nothing.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.protocol import ErrorCode, MessageType, Status, StreamDecoder, encode_frame
from tests.firmware_bridge.cores import CCore, PyCore

N = 8
VECTORS = json.loads((Path(protocol.__file__).parent / "sequence_vectors.json").read_text())
CASES = VECTORS["cases"]


def payload(step: dict) -> tuple[int, bytes]:
    """(type, payload) of a step's message (the vectors' description says what each one sends)."""
    message, value = step["message"], step.get("value")
    if message == "hello":
        return MessageType.HELLO, bytes([protocol.PROTOCOL_VERSION if value is None else value])
    if message == "configure":
        n = N if value is None else value
        return MessageType.CONFIGURE, struct.pack(f"<BHH{2 * n}f", n, 100, 100, *[-1.0] * n, *[1.0] * n)
    if message in ("enable", "estop"):
        return (MessageType.ENABLE if message == "enable" else MessageType.ESTOP), bytes([value])
    if message == "command":
        return MessageType.COMMAND, struct.pack(f"<BB{N}f", 0, N, *[value] * N)
    if message == "heartbeat":
        return MessageType.HEARTBEAT, bytes(4)
    assert message == "unknown", message
    return 0x7F, b"\x01"


def answer_of(messages: list, message_type: int) -> str | int:
    """A step's answer in the vectors' words: hello_ack, ack, none, or an ERROR's code."""
    assert len(messages) <= 1, messages
    if not messages:
        return "none"
    (message,) = messages
    if isinstance(message, protocol.HelloAck):
        return "hello_ack"
    if isinstance(message, protocol.Ack):
        assert message.acknowledged_type == message_type
        return "ack"
    assert isinstance(message, protocol.Error) and message.refused_type == message_type, message
    return message.code


@pytest.fixture(params=["C", "Python"])
def core(request, c_library):
    made = CCore(c_library, N) if request.param == "C" else PyCore(N)
    yield made
    made.close()


def test_the_vectors_cover_the_cases_the_protocol_names():
    names = {case["name"] for case in CASES}
    assert {"replayed_estop_release", "duplicated_command", "delayed_command", "wrap_around", "half_the_range_ahead",
            "hello_starts_a_session", "refused_hello_starts_nothing", "before_any_hello"} <= names
    assert ErrorCode.STALE == 7
    assert protocol.seq_newer(0, 65535) and protocol.seq_newer(32867, 100) and not protocol.seq_newer(32868, 100)
    assert not protocol.seq_newer(5, 5) and not protocol.seq_newer(4, 5)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_stale_and_replayed_frames_are_refused_as_the_vectors_say(core, case):
    decoder = StreamDecoder()
    now = 1_000
    for index, step in enumerate(case["steps"]):
        message_type, data = payload(step)
        before = core.status(), core.limits(), core.targets()
        messages = [protocol.parse(frame) for frame in decoder.feed(core.receive(
            encode_frame(message_type, step["seq"], data), now))]
        where = f"{case['name']} step {index} ({step})"
        assert answer_of(messages, message_type) == step["answer"], where
        if step["answer"] == ErrorCode.STALE:
            assert (core.status(), core.limits(), core.targets()) == before, f"{where}: a stale frame changed state"
        after = step.get("after", {})
        if "estop" in after:
            assert bool(core.status() & Status.ESTOP_LATCHED) == after["estop"], where
        if "target" in after:
            assert core.targets() == pytest.approx([after["target"]] * N), where
        now += 1_000
