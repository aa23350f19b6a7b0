"""A firmware simulator in Python: the reference firmware's behaviour (docs/protocol.md) on the device end of a
pty, with simulated servos (position tracking at a speed limit) and a level IMU. For host-side tests and for
trying the bridge without a board; the C firmware is the reference it imitates.

`FirmwareCore` is the logic alone (bytes and a clock in, bytes out, no thread, no I/O), the twin of
`firmware/hebb_firmware.c` with the host HAL of `firmware/hebb_host.c`: it makes the same checks in the same order,
so both refuse the same inputs with the same ERROR codes (tests/firmware_bridge/test_bad_input.py).
`FirmwareSimulator` runs a core in a thread on a pty.
"""

from __future__ import annotations

import os
import select
import threading
import time

import numpy as np

from . import protocol
from .protocol import (
    Ack,
    CommandMode,
    Error,
    ErrorCode,
    HelloAck,
    MessageType,
    ProtocolError,
    State,
    Status,
    StreamDecoder,
)


def _finite(values) -> bool:
    return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())


class FirmwareCore:
    """The reference firmware's logic. `receive(data, now)` and `tick(now)` return the bytes it sends; `now` is in
    seconds on any monotonic clock."""

    def __init__(self, n_joints: int = 8, servo_speed: float = 10.0, firmware_version: str = "sim-2.0") -> None:
        self.n_joints = n_joints
        self.servo_speed = servo_speed
        self.firmware_version = firmware_version
        self.decoder = StreamDecoder()
        self.positions = np.zeros(n_joints)
        self.velocities = np.zeros(n_joints)
        self.targets = np.zeros(n_joints)
        self.lower = np.full(n_joints, -1.5)  # the C firmware's defaults, until CONFIGURE
        self.upper = np.full(n_joints, 1.5)
        self.configured = self.enabled = self.estop = self.watchdog_tripped = self.clamped = False
        self.watchdog_s = 0.1
        self.state_period = 0.01
        self.watchdog_trips = 0
        self.frames_ok = 0
        self.seq = 0
        self.last_seq: int | None = None  # the last frame accepted in the session (since a HELLO, or boot)
        self.last_valid = 0.0
        self.last_tick: float | None = None
        self.next_state: float | None = None
        self.watchdog_fired_at: float | None = None
        self._out = bytearray()

    # ------------------------------------------------------------------ the firmware's two entry points

    def receive(self, data: bytes, now: float) -> bytes:
        """Bytes from the host; returns the answers (ACK, ERROR, HELLO_ACK)."""
        for frame in self.decoder.feed(data):
            self._handle(frame, now)
        while self.decoder.other_versions:
            self._refuse_version(self.decoder.other_versions.popleft())
        return self._take()

    def tick(self, now: float) -> bytes:
        """Advance the servos, run the watchdog, send STATE when due; returns what was sent."""
        dt = 0.0 if self.last_tick is None else now - self.last_tick
        self.last_tick = now
        self._servo(dt)
        if self.enabled and not self.watchdog_tripped and now - self.last_valid > self.watchdog_s:
            self.watchdog_tripped = True  # no valid command or heartbeat: hold where the joints are
            self.watchdog_trips += 1
            self.watchdog_fired_at = now
            self.targets = self.positions.copy()
        if self.next_state is None or now >= self.next_state:
            self.next_state = now + self.state_period
            self._send(State(int(now * 1e6), self.status(), self.frames_ok, self.decoder.stats.crc_errors,
                             self.watchdog_trips, tuple(self.positions), tuple(self.velocities)))
        return self._take()

    def status(self) -> int:
        """STATE.status bits."""
        return int((Status.TORQUE_ENABLED if self.enabled else 0) | (Status.WATCHDOG_TRIPPED if
                   self.watchdog_tripped else 0) | (Status.ESTOP_LATCHED if self.estop else 0) |
                   (Status.CONFIGURED if self.configured else 0) | (Status.COMMAND_CLAMPED if self.clamped else 0))

    # ------------------------------------------------------------------ internals

    def _send(self, message) -> None:
        self._out += protocol.encode(message, self.seq)
        self.seq = (self.seq + 1) & 0xFFFF

    def _take(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def _error(self, code: ErrorCode, frame: protocol.Frame) -> None:
        self._send(Error(int(code), frame.type))

    def _refuse_version(self, frame: protocol.Frame) -> None:
        """ERROR 3, in a v1 peer's own framing when it is one (so that it can read it)."""
        version = frame.version if frame.version == protocol.LEGACY_VERSION else protocol.PROTOCOL_VERSION
        payload = Error(int(ErrorCode.BAD_VERSION), frame.type).pack()
        self._out += protocol.encode_frame(MessageType.ERROR, self.seq, payload, version=version)
        self.seq = (self.seq + 1) & 0xFFFF

    def _servo(self, dt: float) -> None:
        if not self.enabled or self.estop or dt <= 0:
            self.velocities = np.zeros(self.n_joints)
            return
        step = np.clip(self.targets - self.positions, -self.servo_speed * dt, self.servo_speed * dt)
        self.velocities = step / dt
        self.positions = self.positions + step

    def _newer(self, seq: int) -> bool:
        """`seq` is newer than the last frame accepted in the session (any is, before the first)."""
        return self.last_seq is None or protocol.seq_newer(seq, self.last_seq)

    def _accept(self, frame: protocol.Frame) -> None:
        """An accepted frame's number becomes the session's newest (not a stop that came out of order)."""
        if self._newer(frame.seq):
            self.last_seq = frame.seq

    def _feed_watchdog(self, now: float) -> None:
        self.last_valid = now
        self.watchdog_tripped = False

    def _handle(self, frame: protocol.Frame, now: float) -> None:
        """Every check before any change, in hebb_firmware.c's order: a refused frame changes nothing."""
        self.frames_ok = (self.frames_ok + 1) & 0xFFFF
        if frame.type not in (MessageType.HELLO, MessageType.HEARTBEAT, MessageType.CONFIGURE, MessageType.ENABLE,
                              MessageType.ESTOP, MessageType.COMMAND):
            self._error(ErrorCode.UNKNOWN_TYPE, frame)  # unknown, or a type the firmware only sends
            return
        # ESTOP(1) and ENABLE(0) only ever stop the robot: never refused as stale
        stop = (frame.type, bytes(frame.payload)) in ((MessageType.ESTOP, b"\x01"), (MessageType.ENABLE, b"\x00"))
        if frame.type != MessageType.HELLO and not stop and not self._newer(frame.seq):
            self._error(ErrorCode.STALE, frame)  # a replayed or delayed frame: not newer than the last accepted
            return
        try:
            message = protocol.parse(frame)
        except ProtocolError as error:
            self._error(error.code, frame)
            return
        if isinstance(message, protocol.Hello):
            if message.protocol_version != protocol.PROTOCOL_VERSION:
                self._error(ErrorCode.BAD_VERSION, frame)
                return
            self.last_seq = frame.seq  # a new session starts here
            self._send(HelloAck(protocol.PROTOCOL_VERSION, self.firmware_version, self.n_joints))
        elif isinstance(message, protocol.Heartbeat):
            self._accept(frame)
            self._feed_watchdog(now)
        elif isinstance(message, protocol.Configure):
            limits = np.array([message.lower, message.upper], dtype=np.float64)
            if (len(message.lower) != self.n_joints or message.watchdog_ms == 0 or not 0 < message.state_rate_hz
                    <= 1000 or not _finite(limits) or (limits[0] > limits[1]).any()):
                self._error(ErrorCode.BAD_VALUE, frame)
                return
            self.lower, self.upper = limits[0], limits[1]
            self.watchdog_s = message.watchdog_ms / 1000
            self.state_period = 1e-6 * (1_000_000 // message.state_rate_hz)  # whole microseconds, as the board
            self.configured = True
            self._accept(frame)
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, protocol.Enable):
            if message.enabled and not self.enabled:
                self.targets = self.positions.copy()  # torque on where the joints are, not at a stale target
            self.enabled = message.enabled
            self._accept(frame)
            self._feed_watchdog(now)
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, protocol.EStop):
            self.estop = message.latched
            self._accept(frame)
            if self.estop:
                self.targets = self.positions.copy()
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, protocol.Command):
            if self.estop:
                self._error(ErrorCode.ESTOP_ACTIVE, frame)
            elif not self.configured:
                self._error(ErrorCode.NOT_CONFIGURED, frame)
            elif (message.mode != CommandMode.POSITION or len(message.values) != self.n_joints
                  or not _finite(message.values)):
                self._error(ErrorCode.BAD_VALUE, frame)  # position mode only: hobby servos take no effort
            else:
                values = np.array(message.values, dtype=np.float64)
                clamped = np.clip(values, self.lower, self.upper)
                self.clamped = not np.array_equal(clamped, values)
                self.targets = clamped
                self._accept(frame)
                self._feed_watchdog(now)


class FirmwareSimulator:
    """A FirmwareCore in a thread; `port_name` is the pty path a host opens (`Link(sim.port_name)`)."""

    def __init__(self, n_joints: int = 8, servo_speed: float = 10.0, firmware_version: str = "sim-2.0") -> None:
        self.core = FirmwareCore(n_joints, servo_speed, firmware_version)
        self.master, slave = os.openpty()
        self.port_name = os.ttyname(slave)
        self._slave = slave
        self.silent = False  # True: stop answering and stop sending state (a hung firmware)
        self.failure: BaseException | None = None  # what stopped the thread, if anything did
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def enabled(self) -> bool:
        return self.core.enabled

    @property
    def watchdog_tripped(self) -> bool:
        return self.core.watchdog_tripped

    @property
    def watchdog_fired_at(self) -> float | None:
        return self.core.watchdog_fired_at

    @property
    def alive(self) -> bool:
        """The firmware's thread is still running."""
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def inject(self, data: bytes) -> None:
        """Write raw bytes towards the host (garbage, corrupted frames)."""
        os.write(self.master, data)

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as error:
            self.failure = error
            raise

    def _loop(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self.master], [], [], 0.001)
            if readable:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                answer = b"" if self.silent else self.core.receive(data, time.monotonic())
                if answer:
                    os.write(self.master, answer)
            sent = self.core.tick(time.monotonic())
            if sent and not self.silent:
                os.write(self.master, sent)
