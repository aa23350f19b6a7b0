"""Bad input for the firmware: one table, run against both firmware cores (the C firmware built with gcc for the
host, `cores.CCore`, and the Python simulator's core, `cores.PyCore`), which must refuse every row identically.

What the firmware guarantees (docs/protocol.md, "What the firmware refuses"):

1. Framing. A chunk between two delimiters that is not a valid v2 frame (malformed COBS, shorter than header and
   CRC, a length field that disagrees with the size, a payload over 512 bytes, more bytes than a receiver buffers,
   a CRC-32C mismatch) gets no answer and is counted once: crc_errors or malformed (and overflows when too long).
2. Versions. A well-formed frame of another protocol version (a v1 frame with a valid CRC-16, or another version
   byte with a valid CRC-32C) is never acted on: it is counted in version_errors and answered with ERROR 3
   (BAD_VERSION), in v1 framing when it came from a v1 peer. A HELLO asking for another version gets ERROR 3.
3. Types and sizes. A type the firmware does not take (unknown, or one it only sends) gets ERROR 1; a payload
   whose size does not fit its type (or its own count byte) gets ERROR 2.
4. Values, checked after the size. COMMAND: e-stop latched -> ERROR 5, then not configured -> ERROR 4, then a mode
   other than POSITION (the reference firmware drives hobby servos: no EFFORT), a joint count other than the
   firmware's, or a NaN or infinite value -> ERROR 6. CONFIGURE: a joint count other than the firmware's,
   watchdog_ms 0, state_rate_hz 0 or over 1000, a NaN or infinite limit, or lower > upper -> ERROR 6.
   ENABLE and ESTOP: a flag other than 0 or 1 -> ERROR 6.
5. A refused frame changes nothing: status bits, limits and targets stay as they were.
6. Nothing crashes: after every row both cores still answer HELLO; a random stream of near-valid frames gets
   the same answers from both; and the C firmware logic runs 100,000 such frames under ASan/UBSan with every servo
   pulse in range and every target finite (firmware/fuzz_firmware.c).
"""

from __future__ import annotations

import random
import struct
import subprocess
from dataclasses import dataclass

import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.protocol import ErrorCode, MessageType, StreamDecoder, encode_frame
from tests.firmware_bridge.cores import COUNTERS, FIRMWARE, CCore, PyCore

N = 8
NAN, INF = float("nan"), float("inf")
T = MessageType


def configure(n: int = N, watchdog_ms: int = 100, rate: int = 100, lower=None, upper=None) -> bytes:
    lower = [-1.0] * n if lower is None else lower
    upper = [1.0] * n if upper is None else upper
    return struct.pack(f"<BHH{len(lower)}f{len(upper)}f", n, watchdog_ms, rate, *lower, *upper)


def command(values=None, mode: int = 0, n: int | None = None) -> bytes:
    values = [0.25] * N if values is None else values
    return struct.pack(f"<BB{len(values)}f", mode, len(values) if n is None else n, *values)


def frame(message_type: int, payload: bytes = b"", seq: int = 100, version: int = 2) -> bytes:
    return encode_frame(message_type, seq, payload, version=version)


def raw_frame(version: int, message_type: int, payload: bytes, length: int | None = None) -> bytes:
    """A frame with a valid CRC-32C that encode_frame would not make (oversized, lying length field)."""
    body = struct.pack("<BBHH", version, message_type, 100, len(payload) if length is None else length) + payload
    return b"\x00" + protocol.cobs_encode(body + struct.pack("<I", protocol.crc32c(body))) + b"\x00"


def flipped(wire: bytes, index: int, bit: int = 0x10) -> bytes:
    out = bytearray(wire)
    out[index] ^= bit
    assert 0 not in out[1:-1]
    return bytes(out)


@dataclass(frozen=True)
class Refused:
    """Answered with ERROR `code` about `refused_type`; `legacy`: in protocol v1 framing."""

    code: ErrorCode
    refused_type: int
    legacy: bool = False


@dataclass(frozen=True)
class Dropped:
    """No answer; counted once in `counter` (and in overflows if `overflow`)."""

    counter: str
    overflow: bool = False


_garbage = random.Random(5)
GARBAGE = bytes(_garbage.randrange(1, 256) for _ in range(300)) + b"\x00"  # one chunk of 300 bytes

# name, state before (fresh, configured, estop), bytes sent, expected outcome
TABLE = [
    # 1. framing
    ("random_garbage", "configured", GARBAGE, Dropped("malformed")),
    ("truncated_command", "configured", frame(T.COMMAND, command())[:20] + b"\x00", Dropped("malformed")),
    ("bit_flip_in_command", "configured", flipped(frame(T.COMMAND, command()), 12), Dropped("crc_errors")),
    ("crc_cut_short", "configured", frame(T.HEARTBEAT, bytes(4))[:-3] + b"\x00", Dropped("malformed")),
    ("length_field_too_big", "configured", raw_frame(2, T.HEARTBEAT, bytes(4), length=5), Dropped("malformed")),
    ("payload_513_bytes", "configured", raw_frame(2, T.COMMAND, bytes(range(1, 256)) * 2 + b"\x01\x02\x03"),
     Dropped("malformed")),
    ("payload_600_bytes", "configured", raw_frame(2, T.COMMAND, command([0.1] * 149)[:600].ljust(600, b"\x01")),
     Dropped("malformed", overflow=True)),
    ("2000_bytes_without_delimiter", "configured", b"\x00" + b"\x17" * 2000 + b"\x00",
     Dropped("malformed", overflow=True)),
    ("shorter_than_header", "configured", b"\x00\x04\x02\x10\x01\x00", Dropped("malformed")),
    ("cobs_block_past_end", "configured", bytes.fromhex("000902020100"), Dropped("malformed")),
    # 2. versions
    ("v1_hello_from_an_old_host", "fresh", frame(T.HELLO, b"\x01", version=1),
     Refused(ErrorCode.BAD_VERSION, T.HELLO, legacy=True)),
    ("v1_command_from_an_old_host", "configured", frame(T.COMMAND, command(), version=1),
     Refused(ErrorCode.BAD_VERSION, T.COMMAND, legacy=True)),
    ("v3_frame", "configured", raw_frame(3, T.COMMAND, command()), Refused(ErrorCode.BAD_VERSION, T.COMMAND)),
    ("hello_asking_for_v1", "fresh", frame(T.HELLO, b"\x01"), Refused(ErrorCode.BAD_VERSION, T.HELLO)),
    ("hello_asking_for_v3", "fresh", frame(T.HELLO, b"\x03"), Refused(ErrorCode.BAD_VERSION, T.HELLO)),
    # 3. types and sizes
    ("unknown_type", "configured", frame(0x7F, b"\x01"), Refused(ErrorCode.UNKNOWN_TYPE, 0x7F)),
    ("type_zero", "configured", frame(0x00), Refused(ErrorCode.UNKNOWN_TYPE, 0x00)),
    ("state_sent_to_the_firmware", "configured", frame(T.STATE, bytes(37 + 64)),
     Refused(ErrorCode.UNKNOWN_TYPE, T.STATE)),
    ("ack_sent_to_the_firmware", "configured", frame(T.ACK, bytes(3)), Refused(ErrorCode.UNKNOWN_TYPE, T.ACK)),
    ("hello_without_payload", "fresh", frame(T.HELLO), Refused(ErrorCode.BAD_LENGTH, T.HELLO)),
    ("heartbeat_of_3_bytes", "configured", frame(T.HEARTBEAT, bytes(3)), Refused(ErrorCode.BAD_LENGTH, T.HEARTBEAT)),
    ("configure_of_4_bytes", "fresh", frame(T.CONFIGURE, bytes(4)), Refused(ErrorCode.BAD_LENGTH, T.CONFIGURE)),
    ("configure_one_limit_short", "fresh", frame(T.CONFIGURE, configure()[:-4]),
     Refused(ErrorCode.BAD_LENGTH, T.CONFIGURE)),
    ("enable_of_2_bytes", "configured", frame(T.ENABLE, b"\x01\x00"), Refused(ErrorCode.BAD_LENGTH, T.ENABLE)),
    ("estop_without_payload", "configured", frame(T.ESTOP), Refused(ErrorCode.BAD_LENGTH, T.ESTOP)),
    ("command_without_payload", "configured", frame(T.COMMAND), Refused(ErrorCode.BAD_LENGTH, T.COMMAND)),
    ("command_count_says_8_holds_7", "configured", frame(T.COMMAND, command([0.1] * 7, n=8)),
     Refused(ErrorCode.BAD_LENGTH, T.COMMAND)),
    ("command_bad_length_beats_estop", "estop", frame(T.COMMAND, command([0.1] * 7, n=8)),
     Refused(ErrorCode.BAD_LENGTH, T.COMMAND)),
    # 4. values
    ("configure_4_joints", "fresh", frame(T.CONFIGURE, configure(4)), Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_0_joints", "fresh", frame(T.CONFIGURE, configure(0)), Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_rate_0", "fresh", frame(T.CONFIGURE, configure(rate=0)), Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_rate_1001", "fresh", frame(T.CONFIGURE, configure(rate=1001)),
     Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_watchdog_0", "fresh", frame(T.CONFIGURE, configure(watchdog_ms=0)),
     Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_nan_lower", "configured", frame(T.CONFIGURE, configure(lower=[-0.5] * 7 + [NAN])),
     Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_infinite_upper", "configured", frame(T.CONFIGURE, configure(upper=[INF] + [0.5] * 7)),
     Refused(ErrorCode.BAD_VALUE, T.CONFIGURE)),
    ("configure_lower_above_upper_last_joint", "configured",
     frame(T.CONFIGURE, configure(lower=[-0.5] * 7 + [0.6], upper=[0.5] * 8)), Refused(ErrorCode.BAD_VALUE,
                                                                                      T.CONFIGURE)),
    ("enable_flag_2", "configured", frame(T.ENABLE, b"\x02"), Refused(ErrorCode.BAD_VALUE, T.ENABLE)),
    ("estop_flag_255", "configured", frame(T.ESTOP, b"\xff"), Refused(ErrorCode.BAD_VALUE, T.ESTOP)),
    ("command_before_configure", "fresh", frame(T.COMMAND, command()), Refused(ErrorCode.NOT_CONFIGURED, T.COMMAND)),
    ("command_during_estop", "estop", frame(T.COMMAND, command()), Refused(ErrorCode.ESTOP_ACTIVE, T.COMMAND)),
    ("nan_command_during_estop", "estop", frame(T.COMMAND, command([NAN] * 8)),
     Refused(ErrorCode.ESTOP_ACTIVE, T.COMMAND)),
    ("nan_in_last_joint", "configured", frame(T.COMMAND, command([0.5] * 7 + [NAN])),
     Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("infinite_command", "configured", frame(T.COMMAND, command([0.5] * 7 + [-INF])),
     Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("effort_mode", "configured", frame(T.COMMAND, command(mode=1)), Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("mode_7", "configured", frame(T.COMMAND, command(mode=7)), Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("command_for_7_joints", "configured", frame(T.COMMAND, command([0.1] * 7)),
     Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("command_for_0_joints", "configured", frame(T.COMMAND, command([])), Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
    ("command_for_17_joints", "configured", frame(T.COMMAND, command([0.1] * 17)),
     Refused(ErrorCode.BAD_VALUE, T.COMMAND)),
]


class Driver:
    """One core with a sequence counter and a decoder for its answers."""

    def __init__(self, core) -> None:
        self.core, self.seq, self.now = core, 0, 1_000
        self.decoder = StreamDecoder()

    def send(self, data: bytes) -> tuple[list, list]:
        """Answers as (v2 messages, frames of another version)."""
        messages = [protocol.parse(f) for f in self.decoder.feed(self.core.receive(data, self.now))]
        legacy = list(self.decoder.other_versions)
        self.decoder.other_versions.clear()
        return messages, legacy

    def message(self, message) -> list:
        self.seq += 1
        messages, legacy = self.send(protocol.encode(message, self.seq))
        assert not legacy
        return messages

    def snapshot(self) -> tuple:
        return self.core.status(), self.core.limits(), self.core.targets()

    def setup(self, state: str) -> None:
        if state in ("configured", "estop"):
            answers = [self.message(protocol.Configure((-1.0,) * N, (1.0,) * N, 100, 100)),
                       self.message(protocol.Enable(True))]
            assert self.message(protocol.Command(0, (0.25, -0.5, 0.75, 1.0, -1.0, 0.0, 0.125, 2.0))) == []
            if state == "estop":
                answers.append(self.message(protocol.EStop(True)))
            assert all(isinstance(a[0], protocol.Ack) for a in answers), answers

    def alive(self) -> bool:
        answer = self.message(protocol.Hello())
        return len(answer) == 1 and isinstance(answer[0], protocol.HelloAck) and answer[0].n_joints == N


@pytest.fixture(params=["C", "Python"])
def make_core(request, c_library):
    made = []

    def make():
        core = CCore(c_library, N) if request.param == "C" else PyCore(N)
        made.append(core)
        return core

    yield make
    for core in made:
        core.close()


def outcome(driver: Driver, data: bytes):
    """What a core made of `data`: its answers, and the change of its counters."""
    before = driver.core.counters()
    messages, legacy = driver.send(data)
    after = driver.core.counters()
    return messages, legacy, {name: after[name] - before[name] for name in COUNTERS if after[name] != before[name]}


@pytest.mark.parametrize(("name", "state", "data", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_bad_input_is_refused_as_the_table_says(make_core, name, state, data, expected):
    driver = Driver(make_core())
    driver.setup(state)
    snapshot = driver.snapshot()
    messages, legacy, counted = outcome(driver, data)
    if isinstance(expected, Dropped):
        assert (messages, legacy) == ([], [])
        assert counted == {expected.counter: 1} | ({"overflows": 1} if expected.overflow else {})
    else:
        error = protocol.Error(int(expected.code), expected.refused_type)
        if expected.legacy:
            assert messages == [] and [(f.version, f.type) for f in legacy] == [(1, T.ERROR)]
            assert protocol.Error.unpack(legacy[0].payload) == error
        else:
            assert messages == [error] and legacy == []
        version_row = expected.legacy or (expected.code == ErrorCode.BAD_VERSION and expected.refused_type != T.HELLO)
        assert counted == ({"version_errors": 1} if version_row else {"frames": 1})
    assert driver.snapshot() == snapshot, "a refused frame changed the firmware's state"
    assert driver.alive()


def test_both_cores_count_the_same_garbage_the_same_way(c_library):
    """The random_garbage row's counts, equal across the cores (the table checks only which counters moved)."""
    c_driver, py_driver = Driver(CCore(c_library, N)), Driver(PyCore(N))
    try:
        assert outcome(c_driver, GARBAGE) == outcome(py_driver, GARBAGE)
        assert sum(outcome(py_driver, GARBAGE * 3)[2].values()) == 3  # one chunk, one count, per delimiter
    finally:
        c_driver.core.close()


def random_input(rng: random.Random) -> bytes:
    """A near-valid frame: every type, sizes at and around the right one, flags, counts, rates and floats that
    probe every check, sometimes corrupted or in another version's framing."""
    floats = [0.0, 0.5, -0.75, 1.0, -2.0, 3e38, NAN, INF, -INF, rng.uniform(-3, 3)]
    message_type = rng.choice([*MessageType, 0x00, 0x7F, rng.randrange(256)])
    n = rng.choice([N, N, N, 0, 7, 9, 16, 17])
    if message_type == T.CONFIGURE:
        lower = [rng.choice(floats) if rng.random() < 0.2 else -1.0 for _ in range(n)]
        upper = [rng.choice(floats) if rng.random() < 0.2 else 1.0 for _ in range(n)]
        payload = configure(n, rng.choice([0, 1, 100, 65535]), rng.choice([0, 1, 100, 1000, 1001, 65535]), lower,
                            upper)
    elif message_type == T.COMMAND:
        values = [rng.choice(floats) if rng.random() < 0.3 else rng.uniform(-2, 2) for _ in range(n)]
        payload = command(values, mode=rng.choice([0, 0, 0, 1, 2, 255]))
    elif message_type in (T.ENABLE, T.ESTOP, T.HELLO):
        payload = bytes([rng.choice([0, 1, 1, 2, 3, 255])])
    else:
        payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 2, 3, 4, 10, 101])))
    if rng.random() < 0.15:  # a size that does not fit
        payload = payload[:-1] if payload and rng.random() < 0.5 else payload + b"\x01"
    wire = frame(message_type, payload, seq=rng.randrange(65536), version=rng.choice([2] * 18 + [1, 3]))
    if rng.random() < 0.1:
        index = rng.randrange(1, len(wire) - 1)
        wire = wire[:index] + bytes([wire[index] ^ (1 << rng.randrange(8)) or 1]) + wire[index + 1:]
    return wire


def test_a_random_stream_gets_the_same_answers_from_both_cores(c_library):
    """1,500 near-valid frames in one stream (the state they leave behind carries over: e-stop, configuration,
    limits, targets): after each, both cores sent the same answers and hold the same state and counters."""
    rng = random.Random(2024)
    c_driver, py_driver = Driver(CCore(c_library, N)), Driver(PyCore(N))
    try:
        answered = set()
        for step in range(1500):
            data = random_input(rng)
            c_answer, py_answer = c_driver.send(data), py_driver.send(data)
            assert c_answer[1] == py_answer[1], (step, data.hex())
            normalise = [protocol.HelloAck(m.protocol_version, "", m.n_joints) if isinstance(m, protocol.HelloAck)
                         else m for m in c_answer[0]]
            assert normalise == [protocol.HelloAck(m.protocol_version, "", m.n_joints)
                                 if isinstance(m, protocol.HelloAck) else m for m in py_answer[0]], (step, data.hex())
            assert c_driver.snapshot() == py_driver.snapshot(), (step, data.hex())
            assert c_driver.core.counters() == py_driver.core.counters(), (step, data.hex())
            answered.update(type(m).__name__ + (f"{m.code}" if isinstance(m, protocol.Error) else "")
                            for m in c_answer[0])
        # the stream reached every answer, including the state-dependent refusals
        assert {"Ack", "HelloAck", "Error1", "Error2", "Error3", "Error4", "Error5", "Error6"} <= answered
        assert c_driver.alive() and py_driver.alive()
    finally:
        c_driver.core.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_c_firmware_logic_under_sanitizers(tmp_path, seed):
    """fuzz_firmware.c: 100,000 near-valid frames through the C firmware under ASan/UBSan (float-cast-overflow
    included): no sanitizer report, no servo pulse out of range, no NaN target, every answer a valid frame; and the
    stream reached every answer."""
    subprocess.run(["make", "-C", str(FIRMWARE), f"BUILD={tmp_path}", f"{tmp_path}/fuzz_firmware"], check=True,
                   capture_output=True, text=True)
    result = subprocess.run([str(tmp_path / "fuzz_firmware"), "100000", str(seed)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = dict(zip(result.stdout.split()[::2], map(int, result.stdout.split()[1::2])))
    assert counts["bad_pulses"] == counts["bad_targets"] == counts["out_of_frame"] == 0
    for answer in ("acks", "hello_acks", "states", "unknown_type", "bad_length", "bad_version", "v1_bad_version",
                   "not_configured", "estop_active", "bad_value", "stale", "watchdog_trips", "pulses"):
        assert counts[answer] > 0, answer
