"""The host Link against loop:// and against the firmware simulator on a pty: handshake, configuration, clamping,
watchdog, e-stop, link loss, garbage and a port that disappears."""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest

from hebbkit.firmware_bridge.link import FirmwareError, Link, LinkTimeoutError, PortError
from hebbkit.firmware_bridge.protocol import Ack, Heartbeat, Status, encode
from hebbkit.firmware_bridge.simulator import FirmwareSimulator
from tests.firmware_bridge.firmware_clock import becomes_alive, sample_until_dead, states_until, watchdog_timing

LOWER, UPPER = [-1.0] * 8, [1.0] * 8


@pytest.fixture
def firmware():
    simulator = FirmwareSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def link(firmware):
    with Link(firmware.port_name, timeout=10.0) as connection:
        yield connection


def test_loopback_frames_come_back_and_sequence_numbers_are_tracked():
    link = Link("loop://")
    for value in range(5):
        link.send(Heartbeat(value))
    time.sleep(0.01)
    assert [m.time_us for m in link.poll()] == [0, 1, 2, 3, 4]
    assert link.stats.lost == link.stats.duplicated == 0
    link.port.write(encode(Heartbeat(9), 7) + encode(Heartbeat(9), 7) + encode(Heartbeat(9), 6))
    time.sleep(0.01)
    link.poll()
    assert link.stats.lost == 2 and link.stats.duplicated == 1 and link.stats.out_of_order == 1


def test_handshake_configure_enable_and_commands_move_the_servos(link):
    answer = link.hello()
    assert answer.protocol_version == 2 and answer.n_joints == 8 and answer.firmware_version == "sim-2.0"
    link.configure(LOWER, UPPER, watchdog_ms=200, state_rate_hz=100)
    link.enable(True)
    sent = link.command([0.5] * 4 + [3.0] * 4)  # the host clamps before sending
    np.testing.assert_allclose(sent, [0.5] * 4 + [1.0] * 4)
    assert link.stats.clamped == 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        link.command([0.5] * 4 + [1.0] * 4)
        link.poll()
        if link.last_state and np.allclose(link.last_state.positions, [0.5] * 4 + [1.0] * 4, atol=1e-3):
            break
        time.sleep(0.005)
    np.testing.assert_allclose(link.last_state.positions, [0.5] * 4 + [1.0] * 4, atol=1e-3)
    assert link.last_state.status & Status.TORQUE_ENABLED and becomes_alive(link, seconds=5)


def test_firmware_watchdog_fires_within_timeout_plus_one_tick(link, firmware):
    """Timed on the simulator's clock (the STATE reports' time_us): its thread and the host's reads run late on a
    loaded machine, its clock does not."""
    link.hello()
    link.configure(LOWER, UPPER, watchdog_ms=50, state_rate_hz=200)
    link.enable(True)
    states = states_until(link, lambda s: bool(s.status & Status.TORQUE_ENABLED), seconds=5)
    link.command([0.2] * 8)  # the last command
    states += states_until(link, lambda s: bool(s.status & Status.WATCHDOG_TRIPPED), seconds=5)
    tripped = states[-1]
    # timeout + one loop pass of the simulator (it ticks at least every 1 ms when it is scheduled)
    watchdog_timing(states, frames=tripped.frames_ok).check(timeout_us=50_000, tick_us=1_000)
    assert firmware.watchdog_fired_at is not None
    link.command([0.1] * 8)  # a valid command clears it (until the watchdog fires again, 50 ms later)
    counted = states_until(link, lambda s: s.frames_ok == (tripped.frames_ok + 1) & 0xFFFF, seconds=5)
    assert not counted[-1].status & Status.WATCHDOG_TRIPPED  # the first STATE that counts the command


def test_estop_latches_and_commands_are_refused_until_cleared(link):
    link.hello()
    link.configure(LOWER, UPPER)
    link.enable(True)
    link.emergency_stop(True)
    link.command([0.3] * 8)
    with pytest.raises(FirmwareError, match="ESTOP_ACTIVE"):
        link.wait_for(Ack, timeout=10.0)  # the firmware answers the command with ERROR, which raises
    link.emergency_stop(False)
    link.command([0.3] * 8)


def test_host_reports_link_loss_within_three_state_periods(link, firmware):
    link.hello()
    link.configure(LOWER, UPPER, state_rate_hz=100)
    assert becomes_alive(link, seconds=5)
    assert (link.missed_periods, link.state_period) == (3, 0.01)  # 3 missed periods at 100 Hz
    firmware.silent = True
    # the link's rule, judged at every reading by the host time it was made (a loaded host reads late)
    samples = sample_until_dead(link, seconds=5)
    samples.check(link)
    assert not samples.readings[-1][1], "the link still looks alive 5 s after the firmware fell silent"
    firmware.silent = False
    assert becomes_alive(link, seconds=5)  # recovers by itself


def test_garbage_and_corrupted_frames_are_counted_and_the_link_recovers(link, firmware):
    link.hello()
    firmware.inject(os.urandom(200))
    corrupted = bytearray(encode(Heartbeat(1), 1))
    corrupted[4] ^= 0x10
    firmware.inject(bytes(corrupted))
    time.sleep(0.05)
    link.poll()
    assert link.stats.crc_errors + link.stats.malformed >= 1
    assert link.hello().n_joints == 8  # still talking


def test_timeouts_and_missing_ports_raise_typed_errors(tmp_path):
    with pytest.raises(PortError, match="cannot open"):
        Link(str(tmp_path / "ttyNONE"))
    link = Link("loop://", timeout=0.05)
    link.port.close()
    with pytest.raises(PortError, match="disappeared"):
        link.send(Heartbeat(1))
    quiet = Link("loop://", timeout=0.05)
    with pytest.raises(LinkTimeoutError, match="no HelloAck"):
        quiet.hello()  # loop:// echoes the HELLO back, and no HELLO_ACK ever comes


def test_bridge_cli_pings_the_firmware(firmware, capsys):
    from hebbkit.trainer.cli import main

    assert main(["bridge", "ping", "--port", firmware.port_name, "--count", "3"]) == 0
    assert "firmware sim-2.0, protocol 2, 8 joints" in capsys.readouterr().out
    assert main(["bridge", "stats", "--port", firmware.port_name, "--seconds", "0.2"]) == 0
    out = capsys.readouterr().out  # a table of counters, not a LinkStats(...) repr
    assert "LinkStats" not in out and re.search(r"^received +[1-9][\d,]*$", out, flags=re.MULTILINE), out
