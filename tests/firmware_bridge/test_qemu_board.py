"""Firmware in the loop: the reference firmware built for an STM32F4 with arm-none-eabi-gcc, running in
qemu-system-arm (netduinoplus2) with its USART1 on a pty, and the host Link talking to the binary itself.

Needs Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm (`.ci/run` installs them)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.link import FirmwareError, Link, PortError
from hebbkit.firmware_bridge.onboard_bench import make_board
from hebbkit.firmware_bridge.protocol import Ack, State, Status
from tests.firmware_bridge.firmware_clock import becomes_alive, sample_until_dead, states_until, watchdog_timing

LOWER, UPPER = [-1.0] * 8, [1.0] * 8


@pytest.fixture(scope="module")
def firmware_elf(arm_toolchain, tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("arm")
    make_board(build, "CORE_HZ=168000000")
    return build / "hebb_firmware.elf"


@pytest.fixture
def board(firmware_elf, qemu) -> tuple[subprocess.Popen[str], str]:
    return qemu(firmware_elf)


def wait_state(link: Link, predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        link.poll()
        if link.last_state is not None and predicate(link.last_state):
            return link.last_state
        time.sleep(0.002)
    raise AssertionError(f"no matching STATE within {seconds} s; last {link.last_state}")


def test_the_readme_one_liner_handshakes_with_the_default_timeout(board):
    _, port = board
    time.sleep(0.5)  # the board has booted: what the one-liner meets when a user types it after starting QEMU
    with Link(port) as link:  # issue 31: the defaults retry HELLO within the timeout
        assert link.hello().firmware_version == "ref-2.0"


def test_handshake_configure_and_servos_follow_commands(board):
    _, port = board
    with Link(port, timeout=10.0) as link:
        assert link.hello().firmware_version == "ref-2.0"
        link.configure(LOWER, UPPER, watchdog_ms=300, state_rate_hz=50)
        link.enable(True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            link.command([0.5] * 7 + [2.0])  # the last one is clamped (by the host, and the firmware agrees)
            link.poll()
            if link.last_state and abs(link.last_state.positions[7] - 1.0) < 1e-2:
                break
            time.sleep(0.01)
        state = link.last_state
        assert abs(state.positions[0] - 0.5) < 1e-2 and abs(state.positions[7] - 1.0) < 1e-2
        assert state.status & Status.TORQUE_ENABLED and state.status & Status.CONFIGURED
        assert link.stats.crc_errors == 0


def test_firmware_watchdog_fires_when_the_host_stops_commanding(board):
    """Timed on the board's clock (the STATE reports' time_us), not on the host's: the emulator and the pty add
    latency that depends on the load of the machine, the board's clock does not."""
    _, port = board
    with Link(port, timeout=10.0) as link:
        link.hello()
        link.configure(LOWER, UPPER, watchdog_ms=200, state_rate_hz=100)
        link.enable(True)
        states: list[State] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # commanding keeps the watchdog quiet
            link.command([0.3] * 8)
            states += [message for message in link.poll() if isinstance(message, State)]
            state = states[-1] if states else None
            if state is not None and state.status & Status.TORQUE_ENABLED and \
                    not state.status & Status.WATCHDOG_TRIPPED:
                break
            time.sleep(0.005)
        assert state is not None and not state.status & Status.WATCHDOG_TRIPPED
        trips_before = state.watchdog_trips
        link.command([0.3] * 8)  # the last command
        states += states_until(link, lambda s: bool(s.status & Status.WATCHDOG_TRIPPED), seconds=10)
        tripped = states[-1]
        # the last command is the last frame the firmware counted; timeout + one 1 ms tick on the board's clock
        watchdog_timing(states, frames=tripped.frames_ok).check(timeout_us=200_000, tick_us=1_000)
        assert tripped.watchdog_trips == trips_before + 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # commands clear it again
            link.command([0.3] * 8)
            link.poll()
            if not link.last_state.status & Status.WATCHDOG_TRIPPED:
                break
            time.sleep(0.005)
        assert not link.last_state.status & Status.WATCHDOG_TRIPPED


def test_estop_and_garbage_on_the_line(board):
    _, port = board
    with Link(port, timeout=10.0) as link:
        link.hello()
        link.configure(LOWER, UPPER, watchdog_ms=500, state_rate_hz=50)
        link.enable(True)
        link.port.write(os.urandom(300) + b"\x00")  # garbage towards the firmware
        link.emergency_stop(True)
        link.command([0.2] * 8)
        with pytest.raises(FirmwareError, match="ESTOP_ACTIVE"):
            link.wait_for(Ack, timeout=10.0)
        link.emergency_stop(False)
        state = wait_state(link, lambda s: not s.status & Status.ESTOP_LATCHED)
        assert state.status & Status.CONFIGURED and link.hello().n_joints == 8  # still talking after the garbage


def test_protocol_v1_is_refused_both_ways(board):
    """An old (v1) host's HELLO gets ERROR 3 in v1 framing, which it can read; the v2 host then still talks."""
    _, port = board
    with Link(port, timeout=10.0) as link:
        decoder = protocol.StreamDecoder()  # the raw bytes, as an old host would read them
        deadline, next_hello, hellos = time.monotonic() + 10, 0.0, 0
        while time.monotonic() < deadline and not decoder.other_versions:
            if time.monotonic() >= next_hello:  # repeated, as a host repeats HELLO: the board may still be booting
                link.port.write(protocol.encode_frame(protocol.MessageType.HELLO, 0, b"\x01", version=1))
                next_hello, hellos = time.monotonic() + 0.25, hellos + 1
            decoder.feed(link.port.read(4096))
            time.sleep(0.002)
        settle = time.monotonic() + 1  # read the answers to the other HELLOs too, so the v2 Link below never sees them
        while time.monotonic() < settle and len(decoder.other_versions) < hellos:
            decoder.feed(link.port.read(4096))
            time.sleep(0.002)
        answer = decoder.other_versions[0]
        assert (answer.version, answer.type) == (1, protocol.MessageType.ERROR)
        assert protocol.Error.unpack(answer.payload) == protocol.Error(3, protocol.MessageType.HELLO)
        assert link.hello().protocol_version == 2


def test_host_detects_a_frozen_firmware_and_recovers(board):
    process, port = board
    with Link(port, timeout=10.0) as link:
        link.hello()
        link.configure(LOWER, UPPER, watchdog_ms=1000, state_rate_hz=50)
        assert becomes_alive(link, seconds=5)
        assert (link.missed_periods, link.state_period) == (3, 0.02)  # 3 missed periods at 50 Hz
        os.kill(process.pid, signal.SIGSTOP)  # the board hangs
        # the link's rule, judged at every reading by the host time it was made (what the emulator had already
        # queued on the pty still arrives, and a loaded host reads late): dead once the newest STATE is 60 ms old
        samples = sample_until_dead(link, seconds=5)
        samples.check(link)
        assert not samples.readings[-1][1], "the link still looks alive 5 s after the board froze"
        os.kill(process.pid, signal.SIGCONT)
        assert becomes_alive(link, seconds=5)  # recovers by itself


def test_the_port_disappearing_raises_a_port_error(board):
    process, port = board
    link = Link(port, timeout=10.0)
    link.hello()
    process.kill()
    process.wait()
    with pytest.raises(PortError):
        for _ in range(100):
            link.poll()
            link.heartbeat()
            time.sleep(0.01)
