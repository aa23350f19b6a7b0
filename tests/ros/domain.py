"""rclpy in a DDS domain of its own, so that concurrent test runs and modules do not hear each other's nodes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def isolated_ros_domain(base: int) -> Iterator[None]:
    """rclpy initialised in domain `base + pid % 50` (seen by the nodes this process starts), then shut down and the
    previous ROS_DOMAIN_ID restored."""
    import rclpy

    previous = os.environ.get("ROS_DOMAIN_ID")
    os.environ["ROS_DOMAIN_ID"] = str(base + os.getpid() % 50)
    rclpy.init()
    try:
        yield
    finally:
        rclpy.shutdown()
        if previous is None:
            os.environ.pop("ROS_DOMAIN_ID", None)
        else:
            os.environ["ROS_DOMAIN_ID"] = previous
