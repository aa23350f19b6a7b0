"""Timing checks on the firmware's own clock (`STATE.time_us`) instead of the host's wall clock.

On a loaded machine the host reads frames late and the firmware's loop (a thread, or an emulated CPU) runs late, so a
bound on host wall time measures the scheduler. What the firmware's clock says in each STATE does not depend on when
the host reads it: every tick checks the watchdog first and then sends STATE stamped with that same time, and a STATE
counts (`frames_ok`) every valid frame received before it. So the STATE reports bracket, on the firmware's clock,
both when the last command arrived and when the watchdog fired.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hebbkit.firmware_bridge.link import Link
from hebbkit.firmware_bridge.protocol import State, Status


def states_until(link: Link, done: Callable[[State], bool], seconds: float) -> list[State]:
    """Every STATE the link receives until one satisfies `done` (the last in the list) or `seconds` of host time
    pass (a generous deadline: it only ends a test that would otherwise hang)."""
    states: list[State] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states += [message for message in link.poll() if isinstance(message, State)]
        if states and done(states[-1]):
            break
        time.sleep(0.002)
    return states


@dataclass(frozen=True)
class WatchdogTiming:
    """Board times (us since the first STATE looked at) around a watchdog trip after the last valid frame."""

    arrived_after: int  # a STATE that does not count the last frame yet: it arrived after this time
    arrived_by: int  # the first STATE that counts it: it arrived by this time
    quiet_until: int  # the last STATE (after `arrived_by`) without WATCHDOG_TRIPPED
    tripped_at: int  # the first STATE with WATCHDOG_TRIPPED: the watchdog fired by this time

    def check(self, timeout_us: int, tick_us: int) -> None:
        """The watchdog fired `timeout_us` after the last valid frame, to within one firmware tick: never earlier
        (it fired after arrived_after + timeout) and never later (never quiet after arrived_by + timeout + tick).
        Board times are whole microseconds, hence `>=` for the strict `>` of the firmware's rule."""
        assert self.tripped_at - self.arrived_after >= timeout_us, f"fired early: {self}"
        assert self.quiet_until - self.arrived_by <= timeout_us + tick_us, f"fired late: {self}"


def watchdog_timing(states: Sequence[State], frames: int) -> WatchdogTiming:
    """`states`: the STATE reports from before the last valid frame was sent until the first tripped one (the last
    in the list); `frames`: the firmware's `frames_ok` count once it received that frame."""
    assert states and states[-1].status & Status.WATCHDOG_TRIPPED, "the watchdog did not fire"
    assert states[-1].frames_ok == frames, f"a frame reached the firmware after the last one: {states[-1]}"

    def since_first(state: State) -> int:  # time_us is a u32 that wraps every 71.6 minutes
        return (state.time_us - states[0].time_us) & 0xFFFFFFFF

    before = [since_first(state) for state in states if state.frames_ok != frames]
    after = [state for state in states if state.frames_ok == frames]
    assert before, "no STATE from before the last frame arrived"
    quiet = [since_first(state) for state in after if not state.status & Status.WATCHDOG_TRIPPED]
    return WatchdogTiming(arrived_after=max(before), arrived_by=since_first(after[0]),
                          quiet_until=max(quiet, default=since_first(after[0])), tripped_at=since_first(states[-1]))


@dataclass
class AliveSamples:
    """`link.link_alive` read many times, each reading bracketed by host clock reads, with the age of the newest
    STATE it judged: the link's rule (alive while the newest STATE is at most `missed_periods` state periods old)
    checked at every reading, so a late reading (the host was busy) is still judged by the time it was made."""

    readings: list[tuple[float, bool, float, float]]  # (before, alive, after, last_state_at)

    def check(self, link: Link) -> None:
        limit = link.missed_periods * link.state_period
        for before, alive, after, last_state_at in self.readings:
            if after - last_state_at <= limit:
                assert alive, f"dead {after - last_state_at:.3f} s after a STATE (limit {limit:.3f} s)"
            if before - last_state_at > limit:
                assert not alive, f"alive {before - last_state_at:.3f} s after a STATE (limit {limit:.3f} s)"


def sample_until_dead(link: Link, seconds: float) -> AliveSamples:
    """Poll and read `link_alive` until it reads False (or `seconds` of host time pass)."""
    samples = AliveSamples([])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        link.poll()
        before = time.monotonic()
        alive = link.link_alive
        after = time.monotonic()
        assert link.last_state_at is not None
        samples.readings.append((before, alive, after, link.last_state_at))
        if not alive:
            break
        time.sleep(0.001)
    return samples


def becomes_alive(link: Link, seconds: float) -> bool:
    """Poll until `link_alive` reads True once (True), or `seconds` of host time pass (False). Reading it again later
    would judge the host's scheduling, not the link."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        link.poll()
        if link.link_alive:
            return True
        time.sleep(0.001)
    return False
