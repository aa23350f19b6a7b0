"""The controller's health on /diagnostics, without ROS: OK only while the policy runs at every step."""

from __future__ import annotations

from hebbkit.runtime.health import ERROR, OK, WARN, Health, HealthMonitor
from hebbkit.runtime.safety import SafetyStats


def test_ok_only_when_the_policy_ran_at_every_step_since_the_previous_report():
    monitor, stats = HealthMonitor(), SafetyStats(steps=10, policy_steps=10)
    assert monitor.report("active", stats) == Health(OK, "active", "policy running")
    stats.steps, stats.policy_steps, stats.last_problem = 20, 17, "joint_states lacks joints ['hip_1']"
    assert monitor.report("holding", stats) == Health(
        WARN, "holding", "safe command at 3 of 10 steps: joint_states lacks joints ['hip_1']")
    stats.steps = 25
    assert monitor.report("holding", stats).message.startswith("no policy step in 5 control steps")
    assert monitor.report("holding", stats).level == ERROR
    monitor.restart()
    assert monitor.report("active", SafetyStats(steps=3, policy_steps=3)).level == OK


def test_latched_states_waiting_and_inactive():
    stats = SafetyStats(last_problem="roll 1.2 rad")
    assert HealthMonitor().report("fallen", stats) == Health(ERROR, "fallen", "no policy step: fallen: roll 1.2 rad")
    assert HealthMonitor().report("watchdog", SafetyStats()) == Health(ERROR, "watchdog", "no policy step: watchdog")
    assert HealthMonitor().report("estop", stats).level == WARN
    assert HealthMonitor().report("inactive", SafetyStats()) == Health(WARN, "inactive", "no policy step: inactive")
    waiting = HealthMonitor().report("inactive", SafetyStats(), waiting=True, missing=["imu", "joint_position"])
    assert waiting == Health(WARN, "waiting", "no policy step yet: waiting for imu, joint_position")
    stalled = HealthMonitor().report("inactive", stats, waiting=True, missing=["height_above_start"],
                                     incomplete=True)
    assert stalled == Health(ERROR, "waiting",
                             "no policy step: incomplete sensor data, no height_above_start (roll 1.2 rad)")


def test_states_and_levels_are_enums_that_read_and_serialise_as_their_strings():
    import json

    from hebbkit.runtime.health import HealthLevel
    from hebbkit.runtime.safety import LATCHED_STATES, STATES, ControllerState

    assert [str(state) for state in STATES] == ["inactive", "active", "holding", "watchdog", "estop", "fallen"]
    assert ControllerState.ESTOP == "estop" and f"{ControllerState.FALLEN}" == "fallen"
    assert set(LATCHED_STATES) == {"estop", "fallen"}
    health = HealthMonitor().report(ControllerState.WATCHDOG, SafetyStats(steps=3))
    assert health.level is HealthLevel.ERROR and health.level == "ERROR"
    assert json.loads(json.dumps({"level": health.level, "state": health.state})) == {"level": "ERROR",
                                                                                      "state": "watchdog"}
