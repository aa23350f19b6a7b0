"""Your own robot, end to end: a generated 12-joint quadruped URDF and its robot file, `hebbkit robot check`, two
generations of training, evaluation (damaged bodies included), export (.npz, ONNX, C) and the ROS nodes driving
it (lockstep, through real topics when the `ros` extra is installed). Tiny sizes: the path, not the quality."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hebbkit.runtime import load_artifact
from hebbkit.runtime.robot_file import resolve_robot
from tests.own_robot import write_robot
from tests.ros.domain import isolated_ros_domain


def hebbkit(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", *arguments], capture_output=True, text=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """(robot file, latest.npz of a 2-generation run on it)."""
    folder = tmp_path_factory.mktemp("own")
    robot = write_robot(folder)
    result = hebbkit("train", "--config", "smoke", "--robot", str(robot), "--observation", "proprio_contacts_action",
                     "--actuation", "position", "--generations", "2", "--population", "4", "--max-steps", "30",
                     "--burn-in", "5", "--workers", "1", "--run-dir", str(folder / "run"))
    assert result.returncode == 0, result.stderr
    return robot, folder / "run" / "latest.npz"


def test_robot_check_prints_what_it_found(tmp_path):
    robot = write_robot(tmp_path)
    result = hebbkit("robot", "check", str(robot))
    assert result.returncode == 0, result.stderr
    assert "12 in command order" in result.stdout and "check        OK" in result.stdout
    report = json.loads(hebbkit("robot", "check", str(robot), "--json").stdout)
    assert report["robot"] == "own_dog" and len(report["joints"]) == 12 and report["stands"]
    assert 0.15 < report["standing_height"] < 0.3 and 3.5 < report["mass_kg"] < 4.5
    limits_line = next(line for line in result.stdout.splitlines() if line.startswith("limits "))
    assert f"{report['bang_bang_limit_excess']:.3f} rad past their limits" in limits_line
    assert 0.0 <= report["bang_bang_limit_excess"] < 0.15 and "note         joints slip" not in result.stdout
    assert report["limits_beyond_model"] == [] and "exceed the model's" not in result.stdout


def test_robot_check_notes_each_joint_whose_file_limits_exceed_the_models(tmp_path):
    robot = write_robot(tmp_path)  # the URDF's abduction joints: [-0.5, 0.5]
    wide = 'name = "front_left_abduction"\nlower = -3.0\nupper = 3.0'
    robot.write_text(robot.read_text().replace('name = "front_left_abduction"', wide, 1))
    result = hebbkit("robot", "check", str(robot))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if "exceed the model's" in line]
    assert notes == ["note         joint front_left_abduction: the file's limits [-3.0000, +3.0000] exceed the "
                     "model's [-0.5000, +0.5000]: the simulated joint stops at the model's, while position commands "
                     "and the safety layer use the file's (a typo, or a model to update?)"]
    assert result.stdout.rstrip().endswith("check        OK")
    report = json.loads(hebbkit("robot", "check", str(robot), "--json").stdout)
    assert report["limits_beyond_model"] == [{"name": "front_left_abduction", "file": [-3.0, 3.0],
                                              "model": [-0.5, 0.5]}]


@pytest.mark.parametrize(("edit", "message"), [
    (('name = "front_left_knee"', 'name = "front_left_kne"'), "joint 'front_left_kne' is not in the model"),
    (('"front_left_foot",', '"front_left_toe",'), "foot 'front_left_toe' is not a link of the model"),
    (("stand = -1.2\ncommand = [-1.8, -0.6]", "lower = 0.5\nupper = -0.5"), "limits inverted"),
])
def test_robot_check_says_what_is_wrong_in_one_line(tmp_path, edit, message):
    robot = write_robot(tmp_path)
    robot.write_text(robot.read_text().replace(*edit, 1))
    result = hebbkit("robot", "check", str(robot))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "build time" not in line]
    assert len(lines) == 1 and lines[0].startswith("hebbkit robot: error:") and message in lines[0], result.stderr


def test_robot_check_refuses_a_model_that_falls_through_the_floor(tmp_path):
    robot = write_robot(tmp_path)
    urdf = tmp_path / "own_dog.urdf"
    urdf.write_text(urdf.read_text().replace("collision>", "visual>"))  # no collision shapes at all
    result = hebbkit("robot", "check", str(robot))
    assert result.returncode == 1 and "falls through the floor" in result.stderr, result.stderr


def test_train_evaluate_and_export_on_your_own_robot(trained):
    robot, model = trained
    artifact = load_artifact(model)
    assert artifact.profile.robot == "own_dog" and artifact.profile.joint_names == resolve_robot(robot).joint_names
    result = hebbkit("eval", str(model), "--robot", str(robot), "--episodes", "1", "--max-steps", "20", "--burn-in",
                     "2", "--workers", "1", "--json", "--no-progress", "--bodies", "standard",
                     "front_left:lower:0.5", "rear_right:upper:0", "rear_left:motor:0.3")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["morphologies"]) == 4
    missing = hebbkit("eval", str(model), "--episodes", "1", "--max-steps", "20", "--burn-in", "2")
    assert missing.returncode == 1 and "give its robot file with --robot FILE" in missing.stderr
    folder = model.parent
    result = hebbkit("export", str(model), "--robot", str(robot), "--onnx", str(folder / "own.onnx"), "--c",
                     str(folder / "c"), "--verify-steps", "10")
    assert result.returncode == 0, result.stderr
    assert (folder / "own.onnx").stat().st_size > 0 and (folder / "c" / "hebb_model.c").is_file()
    refused = hebbkit("export", str(model), "--robot", "unitree_a1", "--onnx", str(folder / "no.onnx"))
    assert refused.returncode == 1 and "does not fit this robot" in refused.stderr


def test_the_ros_nodes_drive_your_own_robot(trained):
    rclpy = pytest.importorskip("rclpy", reason="the `ros` extra is not installed")
    from hebb_runtime.launcher import DEFAULT_PARAMS, change_state, node_process, stop
    from hebb_runtime.sim_node import LATCHED
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64

    robot, model = trained
    distances: list[float] = []
    names: list[list[str]] = []
    with isolated_ros_domain(100):
        sim = node_process("sim_node", DEFAULT_PARAMS, {
            "mode": "lockstep", "model_path": str(model), "robot": str(robot), "stop_after": 30, "burn_in_steps": 5},
            "pybullet_sim")
        controller = node_process("controller_node", DEFAULT_PARAMS, {
            "model_path": str(model), "trigger": "state", "soft_start_time": 0.0, "sensor_timeout": 5.0},
            "hebb_controller")
        watcher = rclpy.create_node("own_robot_watcher")
        watcher.create_subscription(Float64, "/pybullet_sim/distance", lambda m: distances.append(m.data), LATCHED)
        watcher.create_subscription(JointState, "joint_states", lambda m: names.append(list(m.name)),
                                    qos_profile_sensor_data)
        try:
            # the sim republishes its first state while idle: once the watcher hears it (and knows the distance
            # publisher), its subscriptions are matched, so the run's 30 distance messages all reach it even under
            # load (transient local replays only the last 10 to a late subscriber)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (names and watcher.count_publishers("/pybullet_sim/distance")):
                rclpy.spin_once(watcher, timeout_sec=0.05)
            change_state("hebb_controller", (1, 3))
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(distances) < 30:
                rclpy.spin_once(watcher, timeout_sec=0.05)
        finally:
            watcher.destroy_node()
            logs = "\n".join(stop([controller, sim]))
    assert names and names[-1] == list(resolve_robot(robot).joint_names), logs
    assert len(distances) >= 30, f"the simulation stepped {len(distances)} times through ROS\n{logs}"
