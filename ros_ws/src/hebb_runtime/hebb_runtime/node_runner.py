"""`run_node`: the main loop every node of the package runs from its console script (rclpy up, spin, down).

Every node ends with the process that started it (`hebbkit.runtime.lifetime.end_with_parent`: SIGTERM, which rclpy
turns into a clean shutdown), so a `ros2 launch` that exits on SIGTERM without stopping its nodes, or a launcher
killed outright, leaves none running; the serial bridge then still disables torque on its way out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import rclpy
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.logging import get_logger
from rclpy.node import Node

from hebbkit.runtime.errors import HebbkitError
from hebbkit.runtime.lifetime import end_with_parent

NodeT = TypeVar("NodeT", bound=Node)


def ranged_descriptor(limits: tuple[int, int] | tuple[float, float] | None) -> ParameterDescriptor:
    """A parameter descriptor that has rclpy refuse values outside `limits` (inclusive; ints give an integer range,
    floats a floating-point one; None: no range)."""
    descriptor = ParameterDescriptor()
    if limits is not None and all(type(limit) is int for limit in limits):
        descriptor.integer_range = [IntegerRange(from_value=limits[0], to_value=limits[1], step=1)]
    elif limits is not None:
        descriptor.floating_point_range = [FloatingPointRange(from_value=float(limits[0]),
                                                              to_value=float(limits[1]))]
    return descriptor


def run_node(make_node: Callable[[], NodeT], close: Callable[[NodeT], None] | None = None, *,
             args: Sequence[str] | None = None, fatal_logger: str | None = None, verb: str = "run") -> int:
    """Initialise rclpy, make the node and spin it; 0 once interrupted (Ctrl-C, external shutdown). With
    `fatal_logger`, a HebbkitError from making or spinning the node ends it with code 1 and one FATAL line on that
    logger, "cannot {verb}: {error}", no traceback; without, it propagates. A parameter rclpy refuses (out of its
    range, of the wrong type: from a parameter file or `-p`) ends it the same way, always. Always: `close(node)` and
    `node.destroy_node()` if the node was made, then rclpy shut down. The process ends with its parent."""
    rclpy.init(args=args)
    end_with_parent()  # SIGTERM when the launcher goes; rclpy's handler shuts down, `close` still runs
    node = None
    code = 0
    try:
        node = make_node()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ParameterException as error:  # rclpy's message names the parameter, the value and why
        get_logger(fatal_logger or "hebb_runtime").fatal(f"cannot start: bad parameter: {error}")
        code = 1
    except HebbkitError as error:
        if fatal_logger is None:
            raise
        get_logger(fatal_logger).fatal(f"cannot {verb}: {error}")
        code = 1
    finally:
        if node is not None:
            if close is not None:
                close(node)
            node.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()
    return code
