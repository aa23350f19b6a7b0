"""The reference firmware's logic in C (hebb_firmware.c), built for the host with a simulated servo/IMU HAL
(hebb_host.c) and driven through ctypes with the Python protocol: handshake, configuration, clamping, servo pulse
widths, watchdog, e-stop, state reports, garbage."""

from __future__ import annotations

import ctypes
import math
import os

import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.protocol import (
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

LIMITS = ([-1.0] * 8, [1.0] * 8)


@pytest.fixture(scope="module")
def library(c_library):
    return c_library


class Board:
    """The firmware on the host, with a clock in microseconds."""

    def __init__(self, lib) -> None:
        self.lib = lib
        self.handle = lib.host_create(8, 10.0)
        self.now = 1000
        self.seq = 0
        self.decoder = StreamDecoder()
        self.received: list = []

    def send(self, message, raw: bytes | None = None) -> None:
        data = raw if raw is not None else protocol.encode(message, self.seq)
        self.seq += 1
        self.lib.host_receive(self.handle, data, len(data), self.now)

    def run(self, microseconds: int, step: int = 1000) -> list:
        end = self.now + microseconds
        while self.now < end:
            self.now += step
            self.lib.host_tick(self.handle, self.now)
        return self.collect()

    def collect(self) -> list:
        buffer = ctypes.create_string_buffer(1 << 16)
        size = self.lib.host_take_output(self.handle, buffer, len(buffer))
        messages = [protocol.parse(frame) for frame in self.decoder.feed(buffer.raw[:size])]
        self.received += messages
        return messages

    def reply(self, message):
        self.send(message)
        return [m for m in self.collect() if not isinstance(m, State)]

    def pulses(self) -> list[int]:
        return [self.lib.host_pulse(self.handle, j) for j in range(8)]

    def close(self) -> None:
        self.lib.host_destroy(self.handle)


@pytest.fixture
def board(library):
    instance = Board(library)
    yield instance
    instance.close()


def configured(board: Board, watchdog_ms: int = 50, rate: int = 100) -> None:
    assert board.reply(Configure(*LIMITS, watchdog_ms, rate)) == [Ack(protocol.MessageType.CONFIGURE, board.seq - 1)]
    assert isinstance(board.reply(Enable(True))[0], Ack)


def test_handshake(board):
    assert board.reply(Hello()) == [HelloAck(2, "ref-2.0", 8)]


def test_commands_need_configuration_and_are_clamped_into_pulse_widths(board):
    assert board.reply(Command(0, (0.0,) * 8)) == [Error(ErrorCode.NOT_CONFIGURED, 0x10)]
    configured(board, watchdog_ms=500)
    board.send(Command(0, (0.5, 0.5, 2.0, -2.0, 0.0, 0.0, 0.0, 0.0)))
    pulses = board.pulses()
    per_rad = 2000 / math.pi
    assert pulses[0] == round(1500 + 0.5 * per_rad)      # direction +1
    assert pulses[1] == round(1500 - 0.5 * per_rad)      # direction -1 (mirrored joint)
    assert pulses[2] == round(1500 + 1.0 * per_rad)      # clamped to the upper limit
    assert pulses[3] == round(1500 + 1.0 * per_rad)      # clamped to the lower limit, mirrored
    states = [m for m in board.run(300_000) if isinstance(m, State)]
    assert states[-1].status & Status.COMMAND_CLAMPED and states[-1].status & Status.TORQUE_ENABLED
    assert states[-1].positions[2] == pytest.approx(1.0, abs=1e-5)  # the simulated servo got there


def test_state_reports_at_the_configured_rate(board):
    configured(board, watchdog_ms=1000, rate=100)
    board.collect()
    states = [m for m in board.run(1_000_000) if isinstance(m, State)]
    assert 99 <= len(states) <= 101
    assert states[-1].status & Status.CONFIGURED and len(states[-1].positions) == 8


def test_watchdog_holds_the_pose_within_timeout_plus_one_tick(board):
    configured(board, watchdog_ms=50, rate=200)
    board.send(Command(0, (0.8,) * 8))
    commanded_at = board.now
    board.run(20_000)  # the servos are on their way
    for _ in range(200):
        board.run(1000)
        if board.lib.host_watchdog_trips(board.handle):
            break
    assert board.lib.host_watchdog_trips(board.handle) == 1
    assert board.now - commanded_at <= 50_000 + 1000  # timeout + one tick
    held = board.pulses()
    board.run(100_000)
    assert board.pulses() == held and held[0] < round(1500 + 0.8 * 2000 / math.pi)  # held short of the target
    states = [m for m in board.received if isinstance(m, State)]
    assert states[-1].status & Status.WATCHDOG_TRIPPED and states[-1].watchdog_trips == 1
    board.send(Heartbeat(1))
    assert not [m for m in board.run(10_000) if isinstance(m, State)][-1].status & Status.WATCHDOG_TRIPPED


def test_estop_latches_torque_off_and_refuses_commands(board):
    configured(board, watchdog_ms=500)
    board.send(Command(0, (0.3,) * 8))
    assert isinstance(board.reply(EStop(True))[0], Ack)
    assert board.pulses() == [0] * 8  # no pulse: the servos go limp
    assert board.reply(Command(0, (0.3,) * 8)) == [Error(ErrorCode.ESTOP_ACTIVE, 0x10)]
    assert isinstance(board.reply(EStop(False))[0], Ack)
    board.send(Command(0, (0.3,) * 8))
    assert board.pulses()[0] == round(1500 + 0.3 * 2000 / math.pi)


def test_garbage_bad_lengths_and_nan_are_refused_and_the_firmware_keeps_talking(board):
    board.send(None, raw=os.urandom(500))
    assert board.reply(Hello()) == [HelloAck(2, "ref-2.0", 8)]
    configured(board, watchdog_ms=500)
    board.send(None, raw=protocol.encode_frame(0x10, 99, bytes([0, 8]) + bytes(4)))  # 1 value for 8 joints
    assert board.collect() == [Error(ErrorCode.BAD_LENGTH, 0x10)]
    board.send(Command(0, (float("nan"),) + (0.0,) * 7))
    assert board.collect() == [Error(ErrorCode.BAD_VALUE, 0x10)]
    assert board.reply(Hello()) == [HelloAck(2, "ref-2.0", 8)]
