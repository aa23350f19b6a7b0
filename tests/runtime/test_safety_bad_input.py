"""Bad input for the safety layer (`hebbkit.runtime.safety.ControllerCore`): the cases that once broke it, and
property-based tests over any sequence of inputs and transitions.

Guaranteed, whatever `now`, the measurements and the stamps hold (finite, NaN, Inf, garbage objects, out of order):
- `update()` never raises; every command is finite, inside the joint limits (minus `position_margin` for position
  actuation) and within `max_slew` x the time the controller's clock advanced since the previous command (the clock
  is the newest finite `now`; `activate()` and the `reset()` of an active controller re-base it);
- a latched e-stop or fall stays latched (safe command, no policy step) until `reset()`: `activate()` and
  `deactivate()` keep it;
- the watchdog holds when a needed measurement has no stamp, a non-finite one, or one more than `sensor_timeout` away
  from the clock (in the past or the future);
- a non-finite `now` or policy action holds for that step and never poisons later ones; holding means the measured
  pose (position actuation; the last command sent when the pose itself is unusable) or damping (torque actuation);
- a fall is detected from a finite roll or pitch whatever the other inputs hold;
- the state is "active" only after a step that ran the policy ("holding" when an active step did not);
- a `position_margin` that inverts a joint's range is refused with a `ConfigError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hebbkit.runtime import NetworkSpec, Policy, PolicyArtifact, new_artifact, proprio_profile
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.safety import LATCHED_STATES, ControllerCore, SafetyConfig
from tests.runtime.test_safety import JOINTS, LIMITS, measurements

N = len(JOINTS)
KEYS = tuple(measurements())
SIZES = {key: len(value) for key, value in measurements().items()}
TORQUE_PER_ACTION = 2.0
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def artifact(action_mode: str) -> PolicyArtifact:
    profile = proprio_profile(JOINTS, LIMITS, (), action_mode, torque_per_action=TORQUE_PER_ACTION)
    spec = NetworkSpec(layer_sizes=(profile.n_observations, 16, N), activations=("tanh", "tanh"))
    return new_artifact(spec, profile=profile, seed=3)


def started(action_mode: str = "position", **safety: float) -> ControllerCore:
    """An activated core (at t = 0) with no soft start unless asked for."""
    core = ControllerCore(Policy(artifact(action_mode), seed=0), SafetyConfig(**{"soft_start_time": 0.0, **safety}))
    core.activate(0.0, seed=1)
    return core


def stamps_at(seconds: float) -> dict[str, float]:
    return {key: seconds for key in measurements()}


def held(position: float) -> np.ndarray:
    return np.full(N, position)


class Unreadable:
    """A sensor value whose driver fails when read."""

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray:
        raise RuntimeError("driver crashed")


class Unprintable:
    """A value whose repr fails (error messages must not)."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:  # for the test ids
        return "unprintable"


class BrokenMapping(Mapping):
    """Measurements whose every look-up fails."""

    def __getitem__(self, key: str) -> np.ndarray:
        raise RuntimeError("bus error")

    def __iter__(self) -> Iterator[str]:
        return iter(measurements())

    def __len__(self) -> int:
        return 4


GARBAGE = {
    "numeric string": "0.1", "text": "abc", "bytes": b"\x00" * 8, "ragged": [[0.1, 0.2], [0.3]], "dict": {"a": 0.1},
    "object": object(), "objects": [object()] * 8, "none": None, "complex": np.full(8, 1j), "unreadable": Unreadable(),
}


# ---------------------------------------------------------------------- time


@pytest.mark.parametrize("bad_now", [math.nan, math.inf, -math.inf, None, "1.0", Unprintable()], ids=str)
def test_a_non_finite_now_holds_one_step_and_never_poisons_later_ones(bad_now):
    core, reference = started(max_slew=10.0), started(max_slew=10.0)
    previous = core.update(0.0, measurements(), stamps_at(0.0))
    reference.update(0.0, measurements(), stamps_at(0.0))
    np.testing.assert_array_equal(core.update(bad_now, measurements(), stamps_at(0.0)), previous)  # no time passed
    assert core.state == "holding" and "now should be a finite time" in core.stats.last_problem
    for step in range(1, 20):
        now = step * 0.01
        command = core.update(now, measurements(), stamps_at(now))
        assert np.isfinite(command).all() and np.all(np.abs(command - previous) <= 10.0 * 0.01 + 1e-12)
        previous = command
        np.testing.assert_array_equal(command, reference.update(now, measurements(), stamps_at(now)))
    assert core.state == "active"


def test_a_now_before_activation_holds_instead_of_pushing_past_the_safe_command():
    core = started(soft_start_time=1.0)
    core.activate(10.0, seed=1)
    for now in (5.0, 9.0, 10.0):  # the clock stands at 10 s: the fade is 0, the command the held pose
        np.testing.assert_allclose(core.update(now, measurements(position=0.3), stamps_at(10.0)), held(0.3))
    assert core.stats.policy_steps == 3


def test_time_going_backwards_does_not_widen_the_slew_limit():
    core = started(max_slew=1.0)
    first = core.update(1.0, measurements(position=-0.5), stamps_at(1.0))
    core.update(0.0, measurements(position=0.5), stamps_at(1.0))  # back in time: counts as no time passing
    after = core.update(1.01, measurements(position=0.5), stamps_at(1.01))
    assert np.all(np.abs(after - first) <= 0.01 + 1e-12)


# ---------------------------------------------------------------------- watchdog


@pytest.mark.parametrize("stamp", [math.nan, math.inf, None, "0.0", object(), Unprintable(), -1.0, 5.0], ids=str)
def test_a_bad_or_far_stamp_trips_the_watchdog(stamp):
    core = started()
    core.update(0.0, measurements(), stamps_at(0.0))
    command = core.update(0.01, measurements(position=0.3), {**stamps_at(0.01), "joint_velocity": stamp})
    assert core.state == "watchdog" and core.stats.policy_steps == 1 and core.stats.watchdog_trips == 1
    np.testing.assert_allclose(command, held(0.3))


@pytest.mark.parametrize("stamps", [None, {}, {"joint_position": 0.0}, "0.0", object(), BrokenMapping()],
                         ids=["none", "empty", "one key", "string", "object", "broken mapping"])
def test_without_stamps_the_watchdog_still_holds(stamps):
    core = started()
    command = core.update(0.0, measurements(position=0.3), stamps)
    assert core.state == "watchdog" and core.stats.policy_steps == 0 and core.stats.watchdog_trips == 1
    np.testing.assert_allclose(command, held(0.3))


def test_one_stamp_for_every_measurement_is_accepted():
    core = started()
    core.update(0.0, measurements(), 0.0)
    assert core.state == "active" and core.stats.policy_steps == 1


def test_torque_gives_no_torque_while_the_data_is_stale():
    core = started("torque", damping=3.0)
    np.testing.assert_allclose(core.update(1.0, measurements(), stamps_at(0.0)), np.zeros(N))


# ---------------------------------------------------------------------- what holding means


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_action_holds_the_measured_pose(bad, monkeypatch):
    core = started()
    monkeypatch.setattr(core.policy, "step", lambda observation: np.array([0.5, 0.5, bad, 0.5, 0, 0, 0, 0]))
    np.testing.assert_allclose(core.update(0.0, measurements(position=0.3), stamps_at(0.0)), held(0.3))
    assert core.state == "holding" and core.stats.rejected_inputs == 1 and "policy action" in core.stats.last_problem
    assert core.stats.policy_steps == 0  # counts only the steps whose command came from the policy


def test_a_non_finite_action_damps_on_a_torque_robot(monkeypatch):
    core = started("torque", damping=3.0)
    monkeypatch.setattr(core.policy, "step", lambda observation: np.full(N, np.nan))
    np.testing.assert_allclose(core.update(0.0, measurements(), stamps_at(0.0)), np.full(N, -1.5))  # -3 x 0.5


def test_an_unusable_pose_holds_the_last_command_sent():
    core = started()
    sent = core.update(0.0, measurements(), stamps_at(0.0))
    data = {**measurements(), "joint_position": np.full(N, np.nan)}
    np.testing.assert_array_equal(core.update(0.01, data, stamps_at(0.01)), sent)


def test_a_step_without_the_policy_is_visible_and_the_policy_fades_in_again():
    core = started(soft_start_time=1.0)
    core.update(1.0, measurements(), stamps_at(1.0))
    assert core.state == "active"
    data = {**measurements(position=0.3), "angular_velocity": np.full(3, np.nan)}
    np.testing.assert_allclose(core.update(1.01, data, stamps_at(1.01)), held(0.3))
    assert core.state == "holding" and core.stats.steps - core.stats.policy_steps == 1
    resumed = core.update(1.02, measurements(position=0.3), stamps_at(1.02))
    assert core.state == "active"
    np.testing.assert_allclose(resumed, held(0.3))  # the soft start begins again from the held pose


# ---------------------------------------------------------------------- latches


@pytest.mark.parametrize("cycle", ["activate", "deactivate, activate"])
@pytest.mark.parametrize("stop", ["estop", "fallen"])
def test_a_latched_stop_survives_activation_until_reset(stop, cycle):
    core = started(tilt_limit=0.8)
    if stop == "estop":
        core.emergency_stop()
    else:
        core.update(0.0, measurements(roll=1.2), stamps_at(0.0))
    assert core.state == stop
    if cycle == "deactivate, activate":
        core.deactivate()
        assert core.state == stop and not core.active
    core.activate(1.0)
    steps = core.stats.policy_steps
    np.testing.assert_allclose(core.update(1.0, measurements(position=0.3), stamps_at(1.0)), held(0.3))
    assert core.state == stop and core.latched == stop and core.stats.policy_steps == steps
    core.reset(2.0)
    core.update(2.0, measurements(), stamps_at(2.0))
    assert core.state == "active" and core.stats.policy_steps == steps + 1


def test_reset_clears_a_latch_but_does_not_activate_an_inactive_controller():
    core = ControllerCore(Policy(artifact("position"), seed=0), SafetyConfig())
    core.emergency_stop()
    assert core.state == "estop"
    core.reset(0.0)
    core.update(0.0, measurements(), stamps_at(0.0))
    assert core.state == "inactive" and core.stats.policy_steps == 0


@pytest.mark.parametrize("other", ["angular_velocity", "joint_velocity", "joint_position", "yaw", "pitch", "stale",
                                   "garbage"])
def test_a_fall_is_detected_whatever_the_other_inputs_hold(other):
    core = started(tilt_limit=0.8)
    data, stamps = measurements(roll=1.2), stamps_at(0.0)
    if other in ("yaw", "pitch"):
        data["roll_pitch_yaw"][1 if other == "pitch" else 2] = np.nan
    elif other == "stale":
        stamps = stamps_at(-5.0)
    elif other == "garbage":
        data["joint_position"] = "garbage"
    else:
        data[other] = np.full_like(data[other], np.nan)
    core.update(0.0, data, stamps)
    assert core.state == "fallen" and core.stats.falls == 1


# ---------------------------------------------------------------------- garbage never raises


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
@pytest.mark.parametrize("key", ["joint_position", "joint_velocity", "roll_pitch_yaw", "angular_velocity"])
def test_a_garbage_measurement_holds(key, garbage):
    core = started()
    command = core.update(0.0, {**measurements(position=0.3), key: garbage}, stamps_at(0.0))
    assert core.state == "holding" and core.stats.policy_steps == 0 and core.stats.rejected_inputs == 1
    np.testing.assert_allclose(command, held(0.0 if key == "joint_position" else 0.3))  # no pose yet: mid-range


@pytest.mark.parametrize("garbage", [None, [], "joint_position", 3.0, BrokenMapping()], ids=repr)
def test_garbage_instead_of_measurements_holds(garbage):
    core = started()
    np.testing.assert_allclose(core.update(0.0, garbage, stamps_at(0.0)), held(0.0))
    assert core.state == "holding" and core.stats.rejected_inputs == 1


@pytest.mark.parametrize("key, size", [("joint_position", 9), ("joint_velocity", 7), ("roll_pitch_yaw", 1)])
def test_wrong_sizes_hold(key, size):
    core = started()
    core.update(0.0, {**measurements(), key: np.zeros(size)}, stamps_at(0.0))
    assert core.state == "holding" and "entries" in core.stats.last_problem


@pytest.mark.parametrize("key", ["joint_position", "joint_velocity", "angular_velocity"])
def test_huge_finite_readings_never_reach_the_actuator_as_nan(key):
    core = started()
    for step in range(5):  # the network overflows to Inf/NaN: its action is refused, the guard resets its weights
        now = step * 0.01
        command = core.update(now, {**measurements(), key: np.full(SIZES[key], 1.7e308)}, stamps_at(now))
        assert np.isfinite(command).all() and np.all(np.abs(command) <= 1.0)


# ---------------------------------------------------------------------- configuration


def test_a_margin_that_inverts_a_joint_range_is_refused():
    with pytest.raises(ConfigError, match=r"position_margin 1.5 rad inverts the range of j0 \[-1, 1\].*"
                                          r"at most half the narrowest joint range \(1 rad\)"):
        started(position_margin=1.5)
    core = started(position_margin=1.0)  # half the range: the joints are pinned to the middle
    assert np.all(core.update(0.0, measurements(position=0.3), stamps_at(0.0)) == 0.0)


def test_commands_stay_inside_the_joint_range_even_with_inverted_limits():
    core = started()
    core.command_low, core.command_high = np.full(N, 2.0), np.full(N, -2.0)  # as if the check were bypassed
    command = core.update(0.0, measurements(position=5.0), stamps_at(0.0))
    assert np.all(np.abs(command) <= 1.0)


@pytest.mark.parametrize("name, value", [("sensor_timeout", math.nan), ("sensor_timeout", math.inf),
                                         ("tilt_limit", math.nan), ("damping", math.inf), ("max_slew", math.nan),
                                         ("soft_start_time", "1"), ("position_margin", -0.1), ("damping", True)])
def test_an_invalid_safety_config_names_the_field(name, value):
    with pytest.raises(ConfigError, match=f"invalid safety config: {name} should be"):
        SafetyConfig(**{name: value})


# ---------------------------------------------------------------------- properties

BAD_TIMES = [math.nan, math.inf, -math.inf, None, "0.1", object(), Unprintable()]
ticks = st.tuples(st.just("tick"), st.floats(0.0, 0.1))  # the previous finite time + a step: time mostly advances
times = st.one_of(ticks, ticks, ticks, st.floats(-1.0, 3.0), st.sampled_from(BAD_TIMES))


def values(key: str) -> st.SearchStrategy:
    size = SIZES[key]
    limit = 1.5 if key == "roll_pitch_yaw" else 2.0
    good = st.floats(-limit, limit).map(lambda value: np.full(size, value))
    odd = st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=size + 1).map(np.array)
    broken = st.sampled_from([np.full(size, np.nan), np.full(size, np.inf), np.zeros(size + 1), np.zeros(size - 1),
                              np.full(size, 1e308), *GARBAGE.values()])
    return st.one_of(good, good, good, odd, broken)


good_measurements = st.fixed_dictionaries({
    key: st.floats(-1.1 if key == "roll_pitch_yaw" else -0.5, 1.1 if key == "roll_pitch_yaw" else 0.5).map(
        lambda value, key=key: np.full(SIZES[key], value)) for key in KEYS})  # tilts beyond 1 rad are falls
any_measurements = st.one_of(
    good_measurements,
    st.fixed_dictionaries({}, optional={key: values(key) for key in KEYS}),
    st.sampled_from([None, [], BrokenMapping()]),
)
stamp_times = st.one_of(st.floats(-1.0, 3.0), st.sampled_from(BAD_TIMES))
stamp_choices = st.one_of(
    st.just("now"), st.just("now"), st.just("now"), stamp_times, st.none(),
    st.dictionaries(st.sampled_from(KEYS), stamp_times), st.sampled_from([object(), BrokenMapping()]),
)
OPERATIONS = {
    "good update": st.tuples(st.just("update"), ticks, good_measurements, st.just("now")),
    "any update": st.tuples(st.just("update"), times, any_measurements, stamp_choices),
    "activate": st.tuples(st.just("activate"), times), "reset": st.tuples(st.just("reset"), times),
    "deactivate": st.just(("deactivate",)), "emergency_stop": st.just(("emergency_stop",)),
}
operation = st.sampled_from(["good update"] * 5 + ["any update"] * 5 + ["activate", "reset", "deactivate",
                                                                         "emergency_stop"]).flatmap(OPERATIONS.get)
operations = st.lists(operation, min_size=8, max_size=40)
actions = st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=N, max_size=N).map(np.array)


@PROPERTY_SETTINGS
@given(action_mode=st.sampled_from(["position", "torque"]), max_slew=st.sampled_from([math.inf, 0.5, 20.0]),
       margin=st.sampled_from([0.0, 0.25]), soft_start_time=st.sampled_from([0.0, 0.5]),
       policy_actions=st.none() | st.lists(actions, max_size=8), start_active=st.booleans(), ops=operations)
def test_any_sequence_gives_finite_limited_slew_limited_commands_and_latches_hold(
        action_mode, max_slew, margin, soft_start_time, policy_actions, start_active, ops):
    core = ControllerCore(Policy(artifact(action_mode), seed=0),
                          SafetyConfig(max_slew=max_slew, position_margin=margin, soft_start_time=soft_start_time,
                                       sensor_timeout=0.5, tilt_limit=1.0))
    last_time = 0.0

    def resolve(now: object) -> object:
        """A "tick" is the previous finite time plus its step; anything else is given as drawn."""
        nonlocal last_time
        if isinstance(now, tuple):
            now = last_time + now[1]
        if isinstance(now, float) and math.isfinite(now):
            last_time = now
        return now

    if start_active:
        ops = [("activate", 0.0), *ops]
    if policy_actions is not None:  # a policy that also outputs NaN, Inf and huge actions
        queue, step = list(policy_actions), core.policy.step
        core.policy.step = lambda observation: queue.pop(0) if queue else step(observation)
    if action_mode == "position":
        low, high = -1.0 + margin, 1.0 - margin
    else:
        low, high = -TORQUE_PER_ACTION, TORQUE_PER_ACTION
    clock: float | None = None  # the controller's clock, as documented
    latched = False
    previous: np.ndarray | None = None
    for operation in ops:
        kind = operation[0]
        if kind == "update":
            _, now, data, stamps = operation
            now = resolve(now)
            policy_steps = core.stats.policy_steps
            command = core.update(now, data, now if stamps == "now" else stamps)
            seconds = now if isinstance(now, float) and math.isfinite(now) else None
            new_clock = clock if seconds is None else seconds if clock is None else max(clock, seconds)
            elapsed = 0.0 if clock is None or new_clock is None else new_clock - clock
            clock = new_clock
            assert isinstance(command, np.ndarray) and command.shape == (N,) and np.isfinite(command).all()
            assert np.all(command >= low) and np.all(command <= high)
            if previous is not None and math.isfinite(max_slew):
                assert np.all(np.abs(command - previous) <= max_slew * elapsed + 1e-9)
            previous = command
            if latched:
                assert core.stats.policy_steps == policy_steps
            if core.state == "active":
                assert core.stats.policy_steps == policy_steps + 1
            latched = latched or core.state == "fallen"
        elif kind in ("activate", "reset"):
            now = resolve(operation[1])
            if kind == "activate":
                core.activate(now)
            else:
                core.reset(now)
                latched = False
            if core.active and isinstance(now, float) and math.isfinite(now):
                clock = now  # re-based
        elif kind == "deactivate":
            core.deactivate()
        else:
            core.emergency_stop()
            latched = True
        assert (core.state in LATCHED_STATES) == latched
