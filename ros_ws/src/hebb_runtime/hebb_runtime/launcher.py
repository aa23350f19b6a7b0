"""Start the hebb_runtime nodes as separate processes without `ros2 launch` (which is not on PyPI): the same
nodes, the same parameter file, the lifecycle transitions ant.launch.py makes. Used by `hebbkit ros-demo` and the
tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_PARAMS = PACKAGE_DIR / "config" / "ant.yaml"


def node_process(module: str, params_file: Path, overrides: dict, name: str) -> subprocess.Popen:
    """`python -m hebb_runtime.<module>` with the parameter file and `-p name:=value` overrides."""
    arguments = [sys.executable, "-m", f"hebb_runtime.{module}", "--ros-args", "-r", f"__node:={name}",
                 "--params-file", str(params_file)]
    for key, value in overrides.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        arguments += ["-p", f"{key}:={text}"]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_DIR), environment.get("PYTHONPATH", "")])
    return subprocess.Popen(arguments, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def change_state(node_name: str, transitions: Sequence[int], timeout: float = 30.0) -> None:
    """Drive a lifecycle node through `transitions` (lifecycle_msgs/Transition ids) via its change_state service."""
    import rclpy
    from lifecycle_msgs.srv import ChangeState

    owned = not rclpy.ok()
    if owned:
        rclpy.init()
    node = rclpy.create_node("hebb_lifecycle_manager")
    try:
        client = node.create_client(ChangeState, f"/{node_name}/change_state")
        if not client.wait_for_service(timeout_sec=timeout):
            raise TimeoutError(f"/{node_name}/change_state did not appear within {timeout} s")
        for transition in transitions:
            request = ChangeState.Request()
            request.transition.id = transition
            future = client.call_async(request)
            rclpy.spin_until_future_complete(node, future, timeout_sec=timeout)
            if future.result() is None or not future.result().success:
                raise RuntimeError(f"{node_name}: lifecycle transition {transition} failed (see the node's log)")
    finally:
        node.destroy_node()
        if owned:
            rclpy.shutdown()


def stop(processes: Sequence[subprocess.Popen]) -> list[str]:
    """Interrupt every process, wait, and return their output."""
    outputs = []
    for process in processes:
        if process.poll() is None:
            process.send_signal(2)
    for process in processes:
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        outputs.append(output or "")
    return outputs

