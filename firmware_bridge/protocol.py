"""hebbkit serial protocol v1: pure encode/decode, no I/O (spec: docs/protocol.md).

A frame on the wire is 0x00, COBS(body), 0x00 (a delimiter on both sides, so that garbage before a frame cannot
merge into it), where

    body = version:u8 | type:u8 | seq:u16 | length:u16 | payload[length] | crc:u16      (little-endian)

and crc is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor; check("123456789") =
0x29B1) over everything before it. COBS removes every 0x00 from the body, so a receiver resynchronises at the next
delimiter after any garbage.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHH")
MAX_PAYLOAD = 512
MAX_JOINTS = 16


class ProtocolError(ValueError):
    """A frame or payload that does not follow the protocol; the message says what was wrong."""


class MessageType(IntEnum):
    HELLO = 0x01          # host -> firmware: protocol version handshake
    HELLO_ACK = 0x81      # firmware -> host: versions and joint count
    HEARTBEAT = 0x02      # both ways: keeps the link (and the firmware's watchdog) alive
    CONFIGURE = 0x03      # host -> firmware: joint limits, watchdog timeout, state rate
    ENABLE = 0x04         # host -> firmware: torque on (1) or off (0)
    ESTOP = 0x05          # host -> firmware: latch (1) or clear (0) the emergency stop
    COMMAND = 0x10        # host -> firmware: one command per joint
    STATE = 0x20          # firmware -> host: joint state, IMU, status flags, counters
    ACK = 0x30            # firmware -> host: a CONFIGURE/ENABLE/ESTOP was applied
    ERROR = 0x31          # firmware -> host: something was refused


class CommandMode(IntEnum):
    POSITION = 0  # rad
    EFFORT = 1    # N*m


class Status(IntEnum):
    """Bits of STATE.status."""

    TORQUE_ENABLED = 1 << 0
    WATCHDOG_TRIPPED = 1 << 1
    ESTOP_LATCHED = 1 << 2
    CONFIGURED = 1 << 3
    COMMAND_CLAMPED = 1 << 4


class ErrorCode(IntEnum):
    UNKNOWN_TYPE = 1
    BAD_LENGTH = 2
    BAD_VERSION = 3
    NOT_CONFIGURED = 4
    ESTOP_ACTIVE = 5
    BAD_VALUE = 6


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def cobs_encode(data: bytes) -> bytes:
    """Consistent Overhead Byte Stuffing: the output holds no 0x00 (the frame delimiter)."""
    out = bytearray([0])
    code_index, code = 0, 1
    for byte in data:
        if byte == 0:
            out[code_index] = code
            code_index, code = len(out), 1
            out.append(0)
        else:
            out.append(byte)
            code += 1
            if code == 0xFF:
                out[code_index] = code
                code_index, code = len(out), 1
                out.append(0)
    out[code_index] = code
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Inverse of `cobs_encode`; raises ProtocolError on malformed input."""
    out = bytearray()
    index = 0
    while index < len(data):
        code = data[index]
        if code == 0:
            raise ProtocolError("COBS block code 0 inside a frame")
        end = index + code
        if end > len(data) + (1 if code == 1 else 0):
            raise ProtocolError("COBS block runs past the end of the frame")
        block = data[index + 1:end]
        if 0 in block:
            raise ProtocolError("0x00 inside a COBS block")
        out += block
        index = end
        if code != 0xFF and index < len(data):
            out.append(0)
    return bytes(out)


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    type: int
    seq: int
    payload: bytes
    version: int = PROTOCOL_VERSION


def encode_frame(message_type: int, seq: int, payload: bytes = b"") -> bytes:
    """The bytes to send: 0x00 + COBS(header | payload | crc) + 0x00."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(PROTOCOL_VERSION, int(message_type), seq & 0xFFFF, len(payload)) + payload
    body += struct.pack("<H", crc16(body))
    return b"\x00" + cobs_encode(body) + b"\x00"


def decode_frame(encoded: bytes) -> Frame:
    """One frame from its COBS bytes (without the delimiter). Raises ProtocolError saying what is wrong."""
    body = cobs_decode(encoded)
    if len(body) < HEADER.size + 2:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than header and CRC ({HEADER.size + 2})")
    version, message_type, seq, length = HEADER.unpack_from(body)
    if length != len(body) - HEADER.size - 2:
        raise ProtocolError(f"length field says {length} payload bytes, the frame holds {len(body) - HEADER.size - 2}")
    (received,) = struct.unpack_from("<H", body, len(body) - 2)
    computed = crc16(body[:-2])
    if received != computed:
        raise ProtocolError(f"CRC mismatch: frame says 0x{received:04X}, computed 0x{computed:04X}")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"protocol version {version}, expected {PROTOCOL_VERSION}")
    return Frame(message_type, seq, bytes(body[HEADER.size:-2]), version)


@dataclass
class DecoderStats:
    frames: int = 0
    crc_errors: int = 0
    malformed: int = 0
    resyncs: int = 0
    overflows: int = 0


class StreamDecoder:
    """Feeds bytes in, yields frames out; garbage and corrupted frames are dropped and counted, never raised."""

    def __init__(self, max_frame: int = 2 * (HEADER.size + MAX_PAYLOAD + 2)) -> None:
        self.buffer = bytearray()
        self.max_frame = max_frame
        self.stats = DecoderStats()

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        for byte in data:
            if byte != 0:
                if len(self.buffer) < self.max_frame:
                    self.buffer.append(byte)
                elif len(self.buffer) == self.max_frame:
                    self.stats.overflows += 1
                    self.buffer.append(byte)  # mark: drop until the next delimiter
                continue
            chunk, self.buffer = bytes(self.buffer), bytearray()
            if not chunk:
                continue
            if len(chunk) > self.max_frame:
                self.stats.resyncs += 1
                continue
            try:
                frames.append(decode_frame(chunk))
                self.stats.frames += 1
            except ProtocolError as error:
                if "CRC" in str(error):
                    self.stats.crc_errors += 1
                else:
                    self.stats.malformed += 1
                self.stats.resyncs += 1
        return frames


# ------------------------------------------------------------------------------------------------ payloads


@dataclass(frozen=True)
class Hello:
    protocol_version: int = PROTOCOL_VERSION
    type = MessageType.HELLO

    def pack(self) -> bytes:
        return struct.pack("<B", self.protocol_version)

    @classmethod
    def unpack(cls, payload: bytes) -> Hello:
        _expect(payload, 1, "HELLO")
        return cls(payload[0])


@dataclass(frozen=True)
class HelloAck:
    protocol_version: int
    firmware_version: str
    n_joints: int
    type = MessageType.HELLO_ACK

    def pack(self) -> bytes:
        return struct.pack("<B8sB", self.protocol_version, self.firmware_version.encode()[:8], self.n_joints)

    @classmethod
    def unpack(cls, payload: bytes) -> HelloAck:
        _expect(payload, 10, "HELLO_ACK")
        version, firmware, joints = struct.unpack("<B8sB", payload)
        return cls(version, firmware.rstrip(b"\x00").decode(errors="replace"), joints)


@dataclass(frozen=True)
class Heartbeat:
    time_us: int
    type = MessageType.HEARTBEAT

    def pack(self) -> bytes:
        return struct.pack("<I", self.time_us & 0xFFFFFFFF)

    @classmethod
    def unpack(cls, payload: bytes) -> Heartbeat:
        _expect(payload, 4, "HEARTBEAT")
        return cls(struct.unpack("<I", payload)[0])


@dataclass(frozen=True)
class Configure:
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    watchdog_ms: int = 100
    state_rate_hz: int = 100
    type = MessageType.CONFIGURE

    def pack(self) -> bytes:
        n = len(self.lower)
        if n != len(self.upper) or not 0 < n <= MAX_JOINTS:
            raise ProtocolError(f"CONFIGURE needs 1..{MAX_JOINTS} joints with lower and upper limits each")
        return struct.pack(f"<BHH{n}f{n}f", n, self.watchdog_ms, self.state_rate_hz, *self.lower, *self.upper)

    @classmethod
    def unpack(cls, payload: bytes) -> Configure:
        n = _count(payload, 5, 8, "CONFIGURE")
        values = struct.unpack_from(f"<BHH{n}f{n}f", payload)
        return cls(tuple(values[3:3 + n]), tuple(values[3 + n:]), values[1], values[2])


@dataclass(frozen=True)
class Enable:
    enabled: bool
    type = MessageType.ENABLE

    def pack(self) -> bytes:
        return struct.pack("<B", int(self.enabled))

    @classmethod
    def unpack(cls, payload: bytes) -> Enable:
        _expect(payload, 1, "ENABLE")
        return cls(bool(payload[0]))


@dataclass(frozen=True)
class EStop:
    latched: bool
    type = MessageType.ESTOP

    def pack(self) -> bytes:
        return struct.pack("<B", int(self.latched))

    @classmethod
    def unpack(cls, payload: bytes) -> EStop:
        _expect(payload, 1, "ESTOP")
        return cls(bool(payload[0]))


@dataclass(frozen=True)
class Command:
    mode: int
    values: tuple[float, ...]
    type = MessageType.COMMAND

    def pack(self) -> bytes:
        n = len(self.values)
        if not 0 < n <= MAX_JOINTS:
            raise ProtocolError(f"COMMAND needs 1..{MAX_JOINTS} values, got {n}")
        return struct.pack(f"<BB{n}f", int(self.mode), n, *self.values)

    @classmethod
    def unpack(cls, payload: bytes) -> Command:
        n = _count(payload, 2, 4, "COMMAND", count_offset=1)
        values = struct.unpack_from(f"<BB{n}f", payload)
        if values[0] not in (CommandMode.POSITION, CommandMode.EFFORT):
            raise ProtocolError(f"COMMAND mode {values[0]} is neither POSITION (0) nor EFFORT (1)")
        return cls(values[0], tuple(values[2:]))


@dataclass(frozen=True)
class State:
    time_us: int
    status: int
    frames_ok: int
    crc_errors: int
    watchdog_trips: int
    positions: tuple[float, ...]
    velocities: tuple[float, ...]
    roll_pitch_yaw: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angular_velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    type = MessageType.STATE

    def pack(self) -> bytes:
        n = len(self.positions)
        return struct.pack(f"<IHHHHB{n}f{n}f3f3f", self.time_us & 0xFFFFFFFF, self.status, self.frames_ok & 0xFFFF,
                           self.crc_errors & 0xFFFF, self.watchdog_trips & 0xFFFF, n, *self.positions,
                           *self.velocities, *self.roll_pitch_yaw, *self.angular_velocity)

    @classmethod
    def unpack(cls, payload: bytes) -> State:
        n = _count(payload, 13 + 24, 8, "STATE", count_offset=12)
        values = struct.unpack(f"<IHHHHB{n}f{n}f3f3f", payload)
        return cls(values[0], values[1], values[2], values[3], values[4], tuple(values[6:6 + n]),
                   tuple(values[6 + n:6 + 2 * n]), tuple(values[6 + 2 * n:9 + 2 * n]), tuple(values[9 + 2 * n:]))


@dataclass(frozen=True)
class Ack:
    acknowledged_type: int
    acknowledged_seq: int
    type = MessageType.ACK

    def pack(self) -> bytes:
        return struct.pack("<BH", self.acknowledged_type, self.acknowledged_seq)

    @classmethod
    def unpack(cls, payload: bytes) -> Ack:
        _expect(payload, 3, "ACK")
        return cls(*struct.unpack("<BH", payload))


@dataclass(frozen=True)
class Error:
    code: int
    refused_type: int
    type = MessageType.ERROR

    def pack(self) -> bytes:
        return struct.pack("<BB", self.code, self.refused_type)

    @classmethod
    def unpack(cls, payload: bytes) -> Error:
        _expect(payload, 2, "ERROR")
        return cls(*struct.unpack("<BB", payload))


MESSAGES = {cls.type: cls for cls in (Hello, HelloAck, Heartbeat, Configure, Enable, EStop, Command, State, Ack,
                                      Error)}


def parse(frame: Frame):
    """The typed message of a frame; raises ProtocolError for an unknown type or a malformed payload."""
    try:
        message_class = MESSAGES[MessageType(frame.type)]
    except ValueError:
        raise ProtocolError(f"unknown message type 0x{frame.type:02X}") from None
    try:
        return message_class.unpack(frame.payload)
    except struct.error as error:
        raise ProtocolError(f"{message_class.__name__}: {error}") from error


def encode(message, seq: int) -> bytes:
    """A typed message as wire bytes."""
    return encode_frame(message.type, seq, message.pack())


def _expect(payload: bytes, size: int, name: str) -> None:
    if len(payload) != size:
        raise ProtocolError(f"{name} payload should be {size} bytes, found {len(payload)}")


def _count(payload: bytes, fixed: int, per_joint: int, name: str, count_offset: int = 0) -> int:
    if len(payload) < fixed:
        raise ProtocolError(f"{name} payload of {len(payload)} bytes is shorter than its fixed part ({fixed})")
    n = payload[count_offset]
    if not 0 < n <= MAX_JOINTS or len(payload) != fixed + per_joint * n:
        raise ProtocolError(f"{name} with {n} joints should be {fixed + per_joint * n} bytes, found {len(payload)}")
    return n


