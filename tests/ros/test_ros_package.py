"""The hebb_runtime ament_python package: manifest, colcon build into an install space, launch file, lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ros_ws" / "src" / "hebb_runtime"
DOCUMENTED_ARGUMENTS = {"sim", "robot", "model", "params_file", "morphology", "port", "namespace", "use_sim_time",
                        "backend"}


def test_package_xml_is_format_3_with_the_runtime_dependencies():
    root = ElementTree.parse(PACKAGE / "package.xml").getroot()
    assert root.get("format") == "3" and root.findtext("name") == "hebb_runtime"
    depends = {element.text for element in root.iter("exec_depend")}
    assert {"rclpy", "sensor_msgs", "std_msgs", "std_srvs", "diagnostic_msgs", "lifecycle_msgs",
            "trajectory_msgs"} <= depends
    assert root.find("export/build_type").text == "ament_python"
    from catkin_pkg.package import parse_package  # what colcon uses: an invalid manifest demotes the package

    assert parse_package(str(PACKAGE / "package.xml")).name == "hebb_runtime"


def test_launch_file_declares_the_documented_arguments():
    tree = ast.parse((PACKAGE / "launch" / "ant.launch.py").read_text())
    arguments = next(node for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and getattr(node.targets[0], "id", "") == "ARGUMENTS")
    declared = {key.value for key in arguments.value.keys}
    assert declared == DOCUMENTED_ARGUMENTS
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"DeclareLaunchArgument", "LifecycleNode", "Node", "EmitEvent", "RegisterEventHandler",
            "OnStateTransition", "ChangeState"} <= calls
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert "generate_launch_description" in functions


@pytest.fixture(scope="module")
def install_space(tmp_path_factory) -> Path:
    colcon = shutil.which("colcon") or str(Path(sys.executable).parent / "colcon")
    base = tmp_path_factory.mktemp("colcon")
    listing = subprocess.run([colcon, "list", "--base-paths", str(ROOT / "ros_ws" / "src")], capture_output=True,
                             text=True, cwd=base)
    assert "(ros.ament_python)" in listing.stdout, listing.stdout + listing.stderr
    result = subprocess.run([colcon, "build", "--base-paths", str(ROOT / "ros_ws" / "src"), "--build-base",
                             str(base / "build"), "--install-base", str(base / "install")],
                            capture_output=True, text=True, cwd=base)
    assert result.returncode == 0, result.stdout + result.stderr
    return base / "install" / "hebb_runtime"


def test_colcon_build_installs_launch_config_and_executables(install_space):
    share = install_space / "share" / "hebb_runtime"
    assert (share / "launch" / "ant.launch.py").exists()
    assert (share / "config" / "ant.yaml").exists()
    assert (share / "package.xml").exists()
    assert (install_space / "share" / "ament_index" / "resource_index" / "packages" / "hebb_runtime").exists()
    for executable in ("hebb_controller", "pybullet_sim", "serial_bridge"):
        assert (install_space / "lib" / "hebb_runtime" / executable).exists(), executable


def test_parameter_file_names_every_node_and_declared_parameter():
    import yaml
    from hebb_runtime.controller_node import PARAMETERS

    config = yaml.safe_load((PACKAGE / "config" / "ant.yaml").read_text())
    assert set(config) == {"hebb_controller", "pybullet_sim", "serial_bridge"}
    assert set(config["hebb_controller"]["ros__parameters"]) == set(PARAMETERS) - {"joint_names"}
