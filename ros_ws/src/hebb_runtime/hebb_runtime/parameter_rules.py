"""Which parameter values, and which run-time parameter changes, the hebb_runtime nodes accept: plain Python (no
rclpy: tested without ROS). The nodes turn an answer into a failed configure, a FATAL line or a refused
`ros2 param set` with the reason.

rclpy checks the declared ranges and types itself; what it cannot check is here: the parameters that take one of a
few words, and when a change can take effect at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hebbkit.runtime.backends import BACKENDS
from hebbkit.runtime.errors import ConfigError

CONTROLLER_CHOICES: dict[str, tuple[str, ...]] = {"trigger": ("timer", "state"), "backend": BACKENDS}
"""hebb_controller's parameters that take one of a few words."""
SIM_CHOICES: dict[str, tuple[str, ...]] = {"mode": ("realtime", "lockstep")}
"""pybullet_sim's."""
READ_AT_CONFIGURE = ("use_sim_time",)
"""Parameters rclpy declares itself that hebb_controller reads at configure and activate (the clock of its diagnostics
timer and of its control timer): refused while configured like its own."""


def check_choices(values: Mapping[str, object], choices: Mapping[str, tuple[str, ...]]) -> None:
    """Raise `ConfigError` naming the first of `values` (name -> value) that is not one of its `choices`."""
    for name, allowed in choices.items():
        if name in values and values[name] not in allowed:
            raise ConfigError(f"{name} should be one of {', '.join(allowed)}, found {values[name]!r}")


def controller_change_refusal(changes: Mapping[str, object], declared: Iterable[str], configured: bool
                              ) -> str | None:
    """Why hebb_controller refuses to set `changes` (name -> new value) now, or None to accept them.

    Its parameters are read when it is configured (model, backend, control rate, trigger, robot, safety limits) and
    activated (seed). Set while configured, a change would answer "successful" and change nothing, or half of the
    loop (a trigger of `state` on a running timer doubled the command stream), so every declared parameter is
    refused while configured, with the way to apply it; unconfigured, a valid value is accepted and read at the next
    configure. rclpy's own `use_sim_time` (`READ_AT_CONFIGURE`) is treated alike: switched on while configured, the
    node's clock waited for a /clock nobody published, so /diagnostics stopped at once and, after the next activate,
    every command, with nothing in the log. Other parameters it does not declare are rclpy's.
    """
    try:
        check_choices(changes, CONTROLLER_CHOICES)
    except ConfigError as error:
        return str(error)
    ours = sorted(set(changes) & (set(declared) | set(READ_AT_CONFIGURE)))
    if configured and ours:
        return (f"{', '.join(ours)} cannot change while hebb_controller is configured (read at configure and "
                "activate): deactivate, cleanup, set it, then configure again")
    return None
