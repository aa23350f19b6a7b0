"""hebbkit serial protocol v2: pure encode/decode, no I/O (spec: docs/protocol.md).

A frame on the wire is 0x00, COBS(body), 0x00 (a delimiter on both sides, so that garbage before a frame cannot
merge into it), where

    body = version:u8 | type:u8 | seq:u16 | length:u16 | payload[length] | crc:u32      (little-endian)

and crc is CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF;
check("123456789") = 0xE3069283) over everything before it. COBS removes every 0x00 from the body, so a receiver
resynchronises at the next delimiter after any garbage. Protocol v1 (CRC-16) frames are recognised only to be
refused: a `VersionError` carries them, so that a v2 side can tell a v1 peer apart from noise.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

PROTOCOL_VERSION = 2
LEGACY_VERSION = 1       # v1: same layout with a CRC-16/CCITT-FALSE; recognised, refused with ERROR 3
HEADER = struct.Struct("<BBHH")
CRC_SIZE = 4
LEGACY_CRC_SIZE = 2
MAX_PAYLOAD = 512
MAX_JOINTS = 16
MAX_BODY = HEADER.size + MAX_PAYLOAD + CRC_SIZE
MAX_WIRE = MAX_BODY + MAX_BODY // 254 + 4  # a receiver's buffer (HEBB_MAX_WIRE): longer chunks are dropped


class MessageType(IntEnum):
    HELLO = 0x01          # host -> firmware: protocol version handshake
    HELLO_ACK = 0x81      # firmware -> host: versions and joint count
    HEARTBEAT = 0x02      # both ways: keeps the link (and the firmware's watchdog) alive
    CONFIGURE = 0x03      # host -> firmware: joint limits, watchdog timeout, state rate
    ENABLE = 0x04         # host -> firmware: torque on (1) or off (0)
    ESTOP = 0x05          # host -> firmware: latch (1) or clear (0) the emergency stop
    COMMAND = 0x10        # host -> firmware: one command per joint
    STATE = 0x20          # firmware -> host: joint state, IMU, status flags, counters
    ONBOARD = 0x21        # firmware -> host: the onboard policy's telemetry (firmware built with a model)
    ACK = 0x30            # firmware -> host: a CONFIGURE/ENABLE/ESTOP was applied
    ERROR = 0x31          # firmware -> host: something was refused


class CommandMode(IntEnum):
    POSITION = 0  # rad
    EFFORT = 1    # N*m (defined by the protocol; the reference firmware drives hobby servos and refuses it)


class Status(IntEnum):
    """Bits of STATE.status."""

    TORQUE_ENABLED = 1 << 0
    WATCHDOG_TRIPPED = 1 << 1
    ESTOP_LATCHED = 1 << 2
    CONFIGURED = 1 << 3
    COMMAND_CLAMPED = 1 << 4


class ErrorCode(IntEnum):
    UNKNOWN_TYPE = 1      # a type the receiver does not take (unknown, or sent in the wrong direction)
    BAD_LENGTH = 2        # the payload's size does not fit its type (or its own count byte)
    BAD_VERSION = 3       # another protocol version (frame or HELLO)
    NOT_CONFIGURED = 4    # COMMAND before CONFIGURE
    ESTOP_ACTIVE = 5      # COMMAND while the e-stop is latched
    BAD_VALUE = 6         # well-formed but refused: joint count, NaN/Inf, limits, rates, modes, flags
    STALE = 7             # a sequence number not newer than the last frame accepted in the session (a replay)


def seq_newer(seq: int, last: int) -> bool:
    """`seq` is newer than `last` in 16-bit serial arithmetic (RFC 1982): 1 to 32,767 frames ahead, wrapping."""
    return 0 < (seq - last) & 0xFFFF < 0x8000


class ProtocolError(ValueError):
    """A frame or payload that does not follow the protocol; the message says what was wrong, `code` is the ERROR
    code a firmware answers it with."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_LENGTH) -> None:
        super().__init__(message)
        self.code = code


class CrcError(ProtocolError):
    """A frame whose CRC does not match its contents."""


class VersionError(ProtocolError):
    """A well-formed frame of another protocol version; `frame` holds it (to answer it, never to act on it)."""

    def __init__(self, message: str, frame: Frame) -> None:
        super().__init__(message, ErrorCode.BAD_VERSION)
        self.frame = frame


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as iSCSI, SCTP and ext4 use it."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC32C_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE, protocol v1's check (only to recognise and answer v1 peers)."""
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


def encode_frame(message_type: int, seq: int, payload: bytes = b"", version: int = PROTOCOL_VERSION) -> bytes:
    """The bytes to send: 0x00 + COBS(header | payload | crc) + 0x00. `version` 1 frames a v1 peer's way (CRC-16):
    only to refuse it in words it understands; any other version gets a CRC-32C."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(version, int(message_type), seq & 0xFFFF, len(payload)) + payload
    body += struct.pack("<H", crc16(body)) if version == LEGACY_VERSION else struct.pack("<I", crc32c(body))
    return b"\x00" + cobs_encode(body) + b"\x00"


def _legacy_frame(body: bytes) -> Frame | None:
    """The frame if `body` is a well-formed protocol v1 frame (version 1, consistent length, valid CRC-16)."""
    if len(body) < HEADER.size + LEGACY_CRC_SIZE or body[0] != LEGACY_VERSION:
        return None
    version, message_type, seq, length = HEADER.unpack_from(body)
    covered = len(body) - LEGACY_CRC_SIZE
    if length != covered - HEADER.size or struct.unpack_from("<H", body, covered)[0] != crc16(body[:covered]):
        return None
    return Frame(message_type, seq, bytes(body[HEADER.size:covered]), version)


def decode_frame(encoded: bytes) -> Frame:
    """One frame from its COBS bytes (without the delimiters). Raises ProtocolError saying what is wrong: CrcError
    for a CRC mismatch, VersionError for a well-formed frame of another protocol version."""
    body = cobs_decode(encoded)
    legacy = _legacy_frame(body)
    if legacy is not None:
        raise VersionError(f"a protocol v{LEGACY_VERSION} frame (CRC-16), this side speaks v{PROTOCOL_VERSION}",
                           legacy)
    if len(body) > MAX_BODY:
        raise ProtocolError(f"frame of {len(body)} bytes exceeds the largest ({MAX_BODY}: {MAX_PAYLOAD} payload "
                            "bytes)")
    if len(body) < HEADER.size + CRC_SIZE:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than header and CRC ({HEADER.size + CRC_SIZE})")
    version, message_type, seq, length = HEADER.unpack_from(body)
    covered = len(body) - CRC_SIZE
    if length != covered - HEADER.size:
        raise ProtocolError(f"length field says {length} payload bytes, the frame holds {covered - HEADER.size}")
    (received,) = struct.unpack_from("<I", body, covered)
    computed = crc32c(body[:covered])
    if received != computed:
        raise CrcError(f"CRC mismatch: frame says 0x{received:08X}, computed 0x{computed:08X}")
    frame = Frame(message_type, seq, bytes(body[HEADER.size:covered]), version)
    if version != PROTOCOL_VERSION:
        raise VersionError(f"protocol version {version}, expected {PROTOCOL_VERSION}", frame)
    return frame


@dataclass
class DecoderStats:
    """Every non-empty chunk between two delimiters lands in exactly one of frames, crc_errors, malformed and
    version_errors; overflows also counts the chunks longer than MAX_WIRE; resyncs counts every dropped chunk."""

    frames: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overflows: int = 0
    version_errors: int = 0
    resyncs: int = 0


class StreamDecoder:
    """Feeds bytes in, yields frames out; garbage and corrupted frames are dropped and counted, never raised. The
    same rules and counters as the C decoder (hebb_decoder_feed). Frames of another protocol version are not
    returned: the last few wait in `other_versions` for whoever wants to answer or report them."""

    def __init__(self, max_frame: int = MAX_WIRE) -> None:
        self.buffer = bytearray()
        self.max_frame = max_frame
        self.overflow = False
        self.stats = DecoderStats()
        self.other_versions: deque[Frame] = deque(maxlen=16)

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        pieces = bytes(data).split(b"\x00")
        for index, piece in enumerate(pieces):
            room = self.max_frame - len(self.buffer)
            if len(piece) > room and not self.overflow:
                self.overflow = True
                self.stats.overflows += 1
            if not self.overflow:
                self.buffer += piece
            if index < len(pieces) - 1:  # a delimiter ends the chunk
                frame = self._finish()
                if frame is not None:
                    frames.append(frame)
        return frames

    def _finish(self) -> Frame | None:
        chunk, overflow = bytes(self.buffer), self.overflow
        self.buffer, self.overflow = bytearray(), False
        if not chunk and not overflow:
            return None
        try:
            if overflow:
                raise ProtocolError(f"more than {self.max_frame} bytes without a delimiter")
            frame = decode_frame(chunk)
        except CrcError:
            self.stats.crc_errors += 1
        except VersionError as error:
            self.stats.version_errors += 1
            self.other_versions.append(error.frame)
        except ProtocolError:
            self.stats.malformed += 1
        else:
            self.stats.frames += 1
            return frame
        self.stats.resyncs += 1
        return None


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
        if payload[0] > 1:
            raise ProtocolError(f"ENABLE flag {payload[0]} is neither 0 nor 1", ErrorCode.BAD_VALUE)
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
        if payload[0] > 1:
            raise ProtocolError(f"ESTOP flag {payload[0]} is neither 0 nor 1", ErrorCode.BAD_VALUE)
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
        return cls(values[0], tuple(values[2:]))  # mode, count and values are the receiver's to judge


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
class Onboard:
    """Telemetry of a firmware that runs the policy itself (onboard mode), sent after every STATE: control steps
    since boot, guard resets (non-finite weights or action: weights redrawn), the last and the longest step time
    in microseconds (saturating at 65,535), and whether the policy is driving the servos now."""

    steps: int
    guard_resets: int
    step_us: int
    max_step_us: int
    running: bool
    type = MessageType.ONBOARD

    def pack(self) -> bytes:
        return struct.pack("<IHHHB", self.steps & 0xFFFFFFFF, self.guard_resets & 0xFFFF, min(self.step_us, 0xFFFF),
                           min(self.max_step_us, 0xFFFF), int(self.running))

    @classmethod
    def unpack(cls, payload: bytes) -> Onboard:
        _expect(payload, 11, "ONBOARD")
        steps, resets, step_us, max_step_us, running = struct.unpack("<IHHHB", payload)
        return cls(steps, resets, step_us, max_step_us, bool(running))


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


MESSAGES = {cls.type: cls for cls in (Hello, HelloAck, Heartbeat, Configure, Enable, EStop, Command, State,
                                      Onboard, Ack, Error)}


def parse(frame: Frame):
    """The typed message of a frame; raises ProtocolError for an unknown type (code UNKNOWN_TYPE), a payload of
    the wrong size for its type (BAD_LENGTH) or an ENABLE/ESTOP flag other than 0 or 1 (BAD_VALUE). Values (joint
    counts, NaN, limits, modes) are left to the receiver, which checks them in its own order (docs/protocol.md)."""
    try:
        message_class = MESSAGES[MessageType(frame.type)]
    except ValueError:
        raise ProtocolError(f"unknown message type 0x{frame.type:02X}", ErrorCode.UNKNOWN_TYPE) from None
    try:
        return message_class.unpack(frame.payload)
    except struct.error as error:
        raise ProtocolError(f"{message_class.__name__}: {error}") from error


def encode(message, seq: int) -> bytes:
    """A typed message as wire bytes; raises ProtocolError for fields that do not fit their wire types."""
    try:
        payload = message.pack()
    except struct.error as error:
        raise ProtocolError(f"{type(message).__name__}: {error}") from error
    return encode_frame(message.type, seq, payload)


def _expect(payload: bytes, size: int, name: str) -> None:
    if len(payload) != size:
        raise ProtocolError(f"{name} payload should be {size} bytes, found {len(payload)}")


def _count(payload: bytes, fixed: int, per_joint: int, name: str, count_offset: int = 0) -> int:
    """The count byte of a variable-size payload, once the payload's size agrees with it (any count that fits)."""
    if len(payload) < fixed:
        raise ProtocolError(f"{name} payload of {len(payload)} bytes is shorter than its fixed part ({fixed})")
    n = payload[count_offset]
    if len(payload) != fixed + per_joint * n:
        raise ProtocolError(f"{name} with {n} joints should be {fixed + per_joint * n} bytes, found {len(payload)}")
    return n


