"""The host side of the serial link: a `Link` over any pyserial URL (a real port, `loop://`, a pty).

Transport (pyserial) is kept apart from framing (`protocol`): every read has a timeout, garbage is skipped at the
next frame delimiter and counted, sequence numbers are tracked (lost, duplicated, out of order), heartbeats keep the
firmware's watchdog fed, a silent firmware is reported as link loss, a firmware speaking another protocol version
fails the handshake with a message that says so, and commands are clamped to the configured joint limits before
they leave the host.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hebbkit.runtime.errors import HebbkitError

from . import protocol
from .protocol import Ack, Command, Configure, Enable, Error, EStop, Heartbeat, Hello, HelloAck, State, StreamDecoder


class BridgeError(HebbkitError, RuntimeError):
    """Base class of the link's errors."""


class PortError(BridgeError, OSError):
    """The serial port cannot be opened, or disappeared."""


class LinkTimeoutError(BridgeError, TimeoutError):
    """No answer within the timeout."""


class FirmwareError(BridgeError):
    """The firmware refused a request (an ERROR frame)."""


class ProtocolVersionError(BridgeError):
    """The firmware speaks another protocol version (docs/protocol.md)."""


@dataclass
class LinkStats:
    """Counters of the link (sent/received frames, faults, round-trip times in seconds). Every chunk of bytes
    between two frame delimiters that is not a frame counts once in crc_errors, malformed (bad framing, or a frame
    whose payload does not fit its type) or version_errors; overflows counts the chunks too long for any frame."""

    sent: int = 0
    received: int = 0
    crc_errors: int = 0
    malformed: int = 0
    overflows: int = 0
    version_errors: int = 0
    resyncs: int = 0
    timeouts: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    clamped: int = 0
    round_trips: list[float] = field(default_factory=list)


DEFAULT_TIMEOUT = 1.0
"""Seconds a request waits for its answer (and `hello` for the handshake): enough for several HELLOs."""
HELLO_RETRY = 0.25
"""Seconds between HELLOs during the handshake, at most (`Link.hello_retry_period`)."""


class Link:
    """A framed, checksummed, sequenced link to the robot's microcontroller."""

    def __init__(self, url: str, baudrate: int = 1_000_000, timeout: float = DEFAULT_TIMEOUT,
                 state_period: float = 0.01, missed_periods: int = 3) -> None:
        import serial

        try:
            self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=timeout)
        except (serial.SerialException, OSError, ValueError) as error:
            raise PortError(f"cannot open {url}: {error}") from error
        self.url = url
        self.timeout = timeout
        self.state_period = state_period
        self.missed_periods = missed_periods
        self.decoder = StreamDecoder()
        self.stats = LinkStats()
        self.seq = 0
        self.lower: np.ndarray | None = None
        self.upper: np.ndarray | None = None
        self.last_state: State | None = None
        self.last_state_at: float | None = None
        self.peer_version: int | None = None  # set when a frame of another protocol version arrived
        self._expected_seq: int | None = None
        self._inbox: list = []
        self._unparsable = 0
        self._handshaking = False

    # ------------------------------------------------------------------ transport

    def send(self, message) -> int:
        """Frame and write one message; returns its sequence number."""
        import serial

        seq = self.seq
        self.seq = (self.seq + 1) & 0xFFFF
        try:
            self.port.write(protocol.encode(message, seq))
        except (serial.SerialException, OSError) as error:
            raise PortError(f"{self.url}: write failed ({error}); the port disappeared?") from error
        self.stats.sent += 1
        return seq

    def poll(self) -> list:
        """Read what has arrived (never blocks) and return the typed messages, oldest first."""
        import serial

        try:
            data = self.port.read(self.port.in_waiting or 1)
        except (serial.SerialException, OSError, TypeError) as error:
            raise PortError(f"{self.url}: read failed ({error}); the port disappeared?") from error
        messages = []
        for frame in self.decoder.feed(data):
            self._track(frame.seq)
            try:
                message = protocol.parse(frame)
            except protocol.ProtocolError:
                self._unparsable += 1
                continue
            self.stats.received += 1
            if isinstance(message, State):
                self.last_state, self.last_state_at = message, time.monotonic()
            messages.append(message)
        while self.decoder.other_versions:
            self.peer_version = self.decoder.other_versions.popleft().version
        decoder = self.decoder.stats
        self.stats.crc_errors, self.stats.resyncs = decoder.crc_errors, decoder.resyncs
        self.stats.malformed = decoder.malformed + self._unparsable
        self.stats.overflows, self.stats.version_errors = decoder.overflows, decoder.version_errors
        self._inbox.extend(messages)
        return messages

    def _track(self, seq: int) -> None:
        if self._expected_seq is not None and seq != self._expected_seq:
            gap = (seq - self._expected_seq) & 0xFFFF
            if gap == 0xFFFF:
                self.stats.duplicated += 1
                return
            if gap > 0x8000:
                self.stats.out_of_order += 1
                return
            self.stats.lost += gap
        self._expected_seq = (seq + 1) & 0xFFFF

    def wait_for(self, kind: type, timeout: float | None = None):
        """The next message of type `kind` (earlier ones of other types stay in the inbox)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for index, message in enumerate(self._inbox):
                if isinstance(message, kind):
                    return self._inbox.pop(index)
                if isinstance(message, Error):
                    self._inbox.pop(index)
                    known = message.code in set(protocol.ErrorCode)
                    name = protocol.ErrorCode(message.code).name if known else f"error code {message.code}"
                    raise FirmwareError(f"firmware refused: {name} for message type 0x{message.refused_type:02X}")
            if self._handshaking and self.peer_version is not None:
                raise ProtocolVersionError(
                    f"{self.url}: the firmware speaks protocol v{self.peer_version}"
                    f"{' (CRC-16 frames)' if self.peer_version == protocol.LEGACY_VERSION else ''}, this host "
                    f"v{protocol.PROTOCOL_VERSION} (CRC-32C): flash firmware that speaks v{protocol.PROTOCOL_VERSION} "
                    "(docs/protocol.md)")
            if time.monotonic() > deadline:
                self.stats.timeouts += 1
                raise LinkTimeoutError(f"{self.url}: no {kind.__name__} within {timeout or self.timeout:.3f} s")
            self.poll()
            time.sleep(0.0005)

    # ------------------------------------------------------------------ requests

    @property
    def hello_retry_period(self) -> float:
        """Seconds between two HELLOs: `HELLO_RETRY`, or a quarter of the timeout if that is shorter, so that every
        handshake sends several HELLOs within its timeout."""
        return min(HELLO_RETRY, self.timeout / 4)

    def hello(self, retry_period: float | None = None) -> HelloAck:
        """Protocol version handshake; HELLO is repeated every `retry_period` s (default `hello_retry_period`) until
        the timeout (a board that is still booting, or a frame lost on the line, must not fail the handshake). A
        firmware that speaks another protocol version raises ProtocolVersionError: its frames (a v1 firmware's STATE
        reports, or its ERROR 3 answer) say so, and it would never answer a v2 HELLO."""
        retry_period = self.hello_retry_period if retry_period is None else retry_period
        deadline = time.monotonic() + self.timeout
        self._inbox.clear()
        self.peer_version = None
        self._handshaking = True
        try:
            while True:
                started = time.monotonic()
                self.send(Hello())
                try:
                    answer = self.wait_for(HelloAck, timeout=min(retry_period, max(deadline - started, 0.0)))
                    break
                except LinkTimeoutError:
                    if time.monotonic() >= deadline:
                        raise LinkTimeoutError(f"{self.url}: no HelloAck within {self.timeout:.3f} s") from None
        finally:
            self._handshaking = False
        self.stats.round_trips.append(time.monotonic() - started)
        if answer.protocol_version != protocol.PROTOCOL_VERSION:
            raise ProtocolVersionError(f"{self.url}: the firmware speaks protocol v{answer.protocol_version}, this "
                                       f"host v{protocol.PROTOCOL_VERSION}")
        return answer

    def configure(self, lower: Sequence[float], upper: Sequence[float], watchdog_ms: int = 100,
                  state_rate_hz: int = 100) -> None:
        """Send joint limits, watchdog timeout and state rate; wait for the ACK (a refusal raises FirmwareError and
        leaves the host's limits as they were)."""
        self.send(Configure(tuple(float(v) for v in lower), tuple(float(v) for v in upper), watchdog_ms,
                            state_rate_hz))
        self.wait_for(Ack)
        self.lower, self.upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        self.state_period = 1.0 / state_rate_hz

    def enable(self, enabled: bool = True) -> None:
        self.send(Enable(enabled))
        self.wait_for(Ack)

    def emergency_stop(self, latched: bool = True) -> None:
        self.send(EStop(latched))
        self.wait_for(Ack)

    def heartbeat(self) -> None:
        self.send(Heartbeat(int(time.monotonic() * 1e6)))

    def command(self, values: Sequence[float], mode: int = protocol.CommandMode.POSITION) -> np.ndarray:
        """Clamp to the configured limits (position mode), refuse NaN/Inf, send; returns what was sent."""
        command = np.asarray(values, dtype=np.float64)
        if not np.isfinite(command).all():
            raise BridgeError(f"refusing to send a non-finite command: {command}")
        if mode == protocol.CommandMode.POSITION and self.lower is not None and self.upper is not None:
            clamped = np.clip(command, self.lower, self.upper)
            if not np.array_equal(clamped, command):
                self.stats.clamped += 1
            command = clamped
        self.send(Command(int(mode), tuple(float(v) for v in command)))
        return command

    @property
    def link_alive(self) -> bool:
        """A STATE arrived within `missed_periods` state periods."""
        return self.last_state_at is not None and (
            time.monotonic() - self.last_state_at <= self.missed_periods * self.state_period)

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
