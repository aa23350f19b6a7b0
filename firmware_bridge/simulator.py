"""A firmware simulator in Python: the reference firmware's behaviour (docs/protocol.md) on the device end of a
pty, with simulated servos (position tracking at a speed limit) and a level IMU. For host-side tests and for
trying the bridge without a board; the C firmware is the reference it imitates.
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
    Command,
    Configure,
    Enable,
    Error,
    ErrorCode,
    EStop,
    Heartbeat,
    Hello,
    HelloAck,
    State,
    Status,
    StreamDecoder,
)


class FirmwareSimulator:
    """Runs in a thread; `port_name` is the pty path a host opens (`Link(sim.port_name)`)."""

    def __init__(self, n_joints: int = 8, servo_speed: float = 10.0, firmware_version: str = "sim-1.0") -> None:
        self.master, slave = os.openpty()
        self.port_name = os.ttyname(slave)
        self._slave = slave
        self.n_joints = n_joints
        self.servo_speed = servo_speed
        self.firmware_version = firmware_version
        self.decoder = StreamDecoder()
        self.positions = np.zeros(n_joints)
        self.velocities = np.zeros(n_joints)
        self.targets = np.zeros(n_joints)
        self.lower = np.full(n_joints, -np.inf)
        self.upper = np.full(n_joints, np.inf)
        self.configured = self.enabled = self.estop = self.watchdog_tripped = self.clamped = False
        self.watchdog_s = 0.1
        self.state_period = 0.01
        self.watchdog_trips = 0
        self.frames_ok = 0
        self.seq = 0
        self.last_valid = time.monotonic()
        self.watchdog_fired_at: float | None = None
        self.silent = False  # True: stop answering and stop sending state (a hung firmware)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

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

    def _send(self, message) -> None:
        os.write(self.master, protocol.encode(message, self.seq))
        self.seq = (self.seq + 1) & 0xFFFF

    def _run(self) -> None:
        next_state = time.monotonic()
        last_tick = time.monotonic()
        while not self._stop.is_set():
            readable, _, _ = select.select([self.master], [], [], 0.001)
            if readable:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                for frame in self.decoder.feed(data):
                    if not self.silent:
                        self._handle(frame)
            now = time.monotonic()
            self._servo(now - last_tick)
            last_tick = now
            if self.enabled and not self.watchdog_tripped and now - self.last_valid > self.watchdog_s:
                self.watchdog_tripped = True
                self.watchdog_trips += 1
                self.watchdog_fired_at = now
                self.targets = self.positions.copy()  # safe state: hold
            if now >= next_state and not self.silent:
                next_state = now + self.state_period
                status = ((Status.TORQUE_ENABLED if self.enabled else 0) | (Status.CONFIGURED if self.configured
                          else 0) | (Status.ESTOP_LATCHED if self.estop else 0) | (Status.WATCHDOG_TRIPPED if
                          self.watchdog_tripped else 0) | (Status.COMMAND_CLAMPED if self.clamped else 0))
                self._send(State(int(now * 1e6), int(status), self.frames_ok, self.decoder.stats.crc_errors,
                                 self.watchdog_trips, tuple(self.positions), tuple(self.velocities)))

    def _servo(self, dt: float) -> None:
        if not self.enabled or self.estop:
            self.velocities[:] = 0.0
            return
        step = np.clip(self.targets - self.positions, -self.servo_speed * dt, self.servo_speed * dt)
        self.velocities = step / dt if dt > 0 else np.zeros(self.n_joints)
        self.positions = self.positions + step

    def _handle(self, frame) -> None:
        try:
            message = protocol.parse(frame)
        except protocol.ProtocolError:
            self._send(Error(ErrorCode.BAD_LENGTH, frame.type))
            return
        self.frames_ok += 1
        if isinstance(message, Hello):
            self._send(HelloAck(protocol.PROTOCOL_VERSION, self.firmware_version, self.n_joints))
        elif isinstance(message, Heartbeat):
            self._feed()
        elif isinstance(message, Configure):
            if len(message.lower) != self.n_joints:
                self._send(Error(ErrorCode.BAD_VALUE, frame.type))
                return
            self.lower, self.upper = np.array(message.lower), np.array(message.upper)
            self.watchdog_s, self.state_period = message.watchdog_ms / 1000, 1.0 / message.state_rate_hz
            self.configured = True
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, Enable):
            self.enabled = message.enabled
            self._feed()
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, EStop):
            self.estop = message.latched
            if self.estop:
                self.targets = self.positions.copy()
            self._send(Ack(frame.type, frame.seq))
        elif isinstance(message, Command):
            if self.estop:
                self._send(Error(ErrorCode.ESTOP_ACTIVE, frame.type))
            elif not self.configured:
                self._send(Error(ErrorCode.NOT_CONFIGURED, frame.type))
            elif len(message.values) != self.n_joints:
                self._send(Error(ErrorCode.BAD_VALUE, frame.type))
            else:
                values = np.array(message.values)
                clamped = np.clip(values, self.lower, self.upper)
                self.clamped = not np.array_equal(clamped, values)
                self.targets = clamped
                self._feed()

    def _feed(self) -> None:
        self.last_valid = time.monotonic()
        self.watchdog_tripped = False
