"""The hebb_runtime ament_python package: manifest, colcon build into an install space, launch file, lint."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ros_ws" / "src" / "hebb_runtime"
DOCUMENTED_ARGUMENTS = {"sim", "robot", "model", "params_file", "body", "morphology", "port", "namespace",
                        "use_sim_time", "backend"}


def test_package_xml_is_format_3_with_the_runtime_dependencies():
    root = ElementTree.parse(PACKAGE / "package.xml").getroot()
    assert root.get("format") == "3" and root.findtext("name") == "hebb_runtime"
    depends = {element.text for element in root.iter("exec_depend")}
    assert {"rclpy", "sensor_msgs", "std_msgs", "std_srvs", "diagnostic_msgs", "lifecycle_msgs",
            "trajectory_msgs"} <= depends
    assert root.find("export/build_type").text == "ament_python"
    from catkin_pkg.package import parse_package  # what colcon uses: an invalid manifest demotes the package

    assert parse_package(str(PACKAGE / "package.xml")).name == "hebb_runtime"


def test_package_xml_declares_the_python_dependencies_by_their_rosdep_keys():
    from catkin_pkg.package import parse_package

    depends = {dependency.name for dependency in parse_package(str(PACKAGE / "package.xml")).exec_depends}
    assert {"python3-numpy", "python3-yaml", "python3-serial", "python3-pybullet-pip", "python3-gymnasium-pip",
            "python3-onnxruntime-pip", "ament_index_python"} <= depends


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


def test_launch_file_stops_when_a_node_exits_or_the_controller_refuses_its_configuration():
    """ros2 launch itself is not on PyPI (checked by hand, docs/ros.md): here, that the launch file wires the
    handlers, and takes its decisions from hebb_runtime.launch_plan (tested below)."""
    tree = ast.parse((PACKAGE / "launch" / "ant.launch.py").read_text())
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"OnProcessExit", "OpaqueFunction", "plan_launch", "RuntimeError"} <= calls  # raising: exit code 1
    transitions = [{keyword.arg: keyword.value.value for keyword in node.keywords
                    if isinstance(keyword.value, ast.Constant)}
                   for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") ==
                   "OnStateTransition"]
    assert {"start_state": "configuring", "goal_state": "unconfigured"} in transitions  # refused -> stop, exit 1
    assert {"start_state": "configuring", "goal_state": "inactive"} in transitions  # configured -> activate
    source = (PACKAGE / "launch" / "ant.launch.py").read_text()
    assert "LaunchConfiguration(\"params_file\", default" not in source  # a declared "" always won over it


DEFAULTS = {name: "" for name in DOCUMENTED_ARGUMENTS} | {"sim": "true", "robot": "ant", "body": "standard",
                                                         "port": "/dev/ttyACM0", "use_sim_time": "false",
                                                         "backend": "numpy"}


def test_launch_plan_uses_the_package_parameter_file_and_its_installed_model_by_default(install_space, tmp_path,
                                                                                       monkeypatch):
    from hebb_runtime.launch_plan import plan_launch

    share = install_space / "share" / "hebb_runtime"
    monkeypatch.chdir(tmp_path)  # not the repository: the installed files must be found
    plan = plan_launch(DEFAULTS, share)
    assert plan.params_file == (share / "config" / "ant.yaml").resolve()
    assert plan.model == (share / "models" / "ant-robust" / "model.npz").resolve() and plan.model.is_file()
    assert plan.sim and plan.robot_node == "pybullet_sim"
    assert plan.robot_node_parameters["model_path"] == plan.controller["model_path"] == str(plan.model)
    assert not {"joint_names", "actuation", "measurements"} & set(plan.controller)  # the sim follows the model
    servo = plan_launch(DEFAULTS | {"robot": "servo_quadruped"}, share)
    assert servo.model == (share / "models" / "servo-proprio" / "model.npz").resolve()
    own = tmp_path / "mine.yaml"
    own.write_text("hebb_controller:\n  ros__parameters:\n    seed: 3\n")
    assert plan_launch(DEFAULTS | {"params_file": str(own)}, share).params_file == own.resolve()


def test_launch_plan_tells_the_controller_what_the_serial_robot_offers(tmp_path):
    import yaml
    from hebb_runtime.launch_plan import plan_launch

    from hebbkit.runtime.profile import ANT_JOINTS, SERVO_JOINTS

    plan = plan_launch(DEFAULTS | {"sim": "false", "port": "/dev/ttyUSB3"}, PACKAGE)
    assert plan.robot_node == "serial_bridge" and plan.robot_node_parameters["port"] == "/dev/ttyUSB3"
    assert plan.controller["robot"] == "servo_quadruped"  # the parameter file's serial_bridge robot
    assert plan.controller["joint_names"] == list(SERVO_JOINTS)
    assert plan.controller["actuation"] == "position"
    assert plan.controller["measurements"] == ["joint_position", "joint_velocity", "roll_pitch_yaw",
                                               "angular_velocity"]
    # a parameter file that gives the bridge another robot, or rewires its joints, tells the controller the same
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump({"serial_bridge": {"ros__parameters": {"robot": "ant"}}}))
    other = plan_launch(DEFAULTS | {"sim": "false", "params_file": str(own)}, PACKAGE).controller
    assert (other["robot"], other["joint_names"]) == ("ant", list(ANT_JOINTS))
    own.write_text(yaml.safe_dump({"serial_bridge": {"ros__parameters": {"joint_names": list(SERVO_JOINTS[::-1])}}}))
    rewired = plan_launch(DEFAULTS | {"sim": "false", "params_file": str(own)}, PACKAGE).controller
    assert (rewired["robot"], rewired["joint_names"]) == ("servo_quadruped", list(SERVO_JOINTS[::-1]))


def test_launch_plan_refuses_bad_arguments_with_one_line(tmp_path):
    from hebb_runtime.launch_plan import plan_launch

    with pytest.raises(FileNotFoundError, match=r"params_file .* is not a file"):
        plan_launch(DEFAULTS | {"params_file": str(tmp_path / "none.yaml")}, PACKAGE)
    with pytest.raises(ValueError, match="robot should be one of"):
        plan_launch(DEFAULTS | {"robot": "dog"}, PACKAGE)
    with pytest.raises(ValueError, match="sim should be true or false"):
        plan_launch(DEFAULTS | {"sim": "yes please"}, PACKAGE)


def test_the_parameter_file_leaves_the_bridges_joints_to_the_robot_profile():
    import yaml
    from hebb_runtime.robots import SERVO_JOINTS, serial_profile

    from hebbkit.runtime.profile import ROBOTS

    bridge = yaml.safe_load((PACKAGE / "config" / "ant.yaml").read_text())["serial_bridge"]["ros__parameters"]
    assert not {"joint_names", "lower", "upper"} & set(bridge)  # one place: hebbkit.runtime.profile.ROBOTS
    assert bridge["robot"] in ROBOTS
    assert serial_profile(bridge["robot"]).joint_names == SERVO_JOINTS == ROBOTS["servo_quadruped"].joint_names


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


def test_colcon_build_installs_the_shipped_models(install_space):
    for name in ("ant-robust", "ant-paper", "servo-proprio"):
        installed = install_space / "share" / "hebb_runtime" / "models" / name / "model.npz"
        assert installed.read_bytes() == (ROOT / "models" / name / "model.npz").read_bytes(), name


def test_the_installed_controller_configures_its_default_model_from_any_directory(install_space, tmp_path,
                                                                                 monkeypatch):
    """docs/ros.md's order: colcon build, source install/setup.bash, then start from wherever you are. The
    parameter file's relative model_path must resolve to the model installed with the package."""
    pytest.importorskip("rclpy", reason="the `ros` extra is not installed")
    from hebb_runtime.launcher import change_state, stop

    share = install_space / "share" / "hebb_runtime"
    site = next((install_space / "lib").glob("python3*/site-packages"))
    environment = dict(os.environ)
    environment["ROS_DOMAIN_ID"] = str(40 + (os.getpid() + 7) % 50)
    environment["AMENT_PREFIX_PATH"] = os.pathsep.join([str(install_space), environment.get("AMENT_PREFIX_PATH", "")])
    environment["PYTHONPATH"] = os.pathsep.join([str(site), environment.get("PYTHONPATH", "")])
    monkeypatch.setenv("ROS_DOMAIN_ID", environment["ROS_DOMAIN_ID"])
    process = subprocess.Popen([str(install_space / "lib" / "hebb_runtime" / "hebb_controller"), "--ros-args",
                                "-r", "__node:=hebb_controller", "--params-file", str(share / "config" / "ant.yaml")],
                               cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        change_state("hebb_controller", (1,))  # raises when the configuration fails
    finally:
        (output,) = stop([process])
    assert f"configured {share / 'models' / 'ant-robust' / 'model.npz'}" in output, output


def test_parameter_file_names_every_node_and_declared_parameter():
    import yaml
    from hebb_runtime.controller_node import PARAMETERS

    config = yaml.safe_load((PACKAGE / "config" / "ant.yaml").read_text())
    assert set(config) == {"hebb_controller", "pybullet_sim", "serial_bridge"}
    robot_description = {"robot", "joint_names", "actuation", "measurements"}  # set by the launch file (real robot)
    assert set(config["hebb_controller"]["ros__parameters"]) == set(PARAMETERS) - robot_description


def test_controller_parameters_are_declared_from_safety_config_with_its_defaults():
    import dataclasses
    import math

    import yaml
    from hebb_runtime.controller_node import PARAMETERS

    from hebbkit.runtime.safety import SafetyConfig

    config = yaml.safe_load((PACKAGE / "config" / "ant.yaml").read_text())["hebb_controller"]["ros__parameters"]
    for item in dataclasses.fields(SafetyConfig):
        default, _, (low, high) = PARAMETERS[item.name]
        assert default == item.default == config[item.name], item.name
        assert low <= default <= high
    assert PARAMETERS["max_slew"][0] == PARAMETERS["max_weight_norm"][0] == config["max_weight_norm"] == math.inf


# ---------------------------------------------------------------------- issue 28: the launch's decisions

def test_the_launch_activates_after_its_own_configure_only_and_stops_only_when_that_one_fails():
    """A manual cleanup -> configure must not re-activate the controller (it resumed a robot under a latched e-stop
    with nobody asking), and a manual configure that fails must not end the launch (sim or bridge included)."""
    from hebb_runtime.launch_plan import LifecycleSequence

    sequence = LifecycleSequence()
    assert sequence.configured()  # the launch's own configure: activate
    assert not sequence.configured() and not sequence.configured()  # the operator's: leave it inactive
    assert not sequence.refused()  # a failed manual configure: the launch goes on
    refused_first = LifecycleSequence()
    assert refused_first.refused()  # the launch's own configure failed: stop
    source = (PACKAGE / "launch" / "ant.launch.py").read_text()
    assert "LifecycleSequence()" in source and "sequence.configured()" in source and "sequence.refused()" in source
    tree = ast.parse(source)
    activations = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") ==
                   "OnStateTransition" and any(isinstance(keyword.value, ast.List) and any(
                       isinstance(item, ast.Call) and getattr(item.func, "id", "") == "change_state"
                       for item in keyword.value.elts) for keyword in node.keywords)]
    assert not activations, "an unconditional activate on every configure"


def test_the_launch_hands_the_parameter_file_to_namespaced_nodes(tmp_path):
    """launch_ros matches a file's sections against the node's full name: under namespace:=X the package's
    `hebb_controller:` section reached nobody, and with it the user's safety settings."""
    import yaml
    from hebb_runtime.launch_plan import plan_launch

    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump({"hebb_controller": {"ros__parameters": {"tilt_limit": 0.5, "seed": 3}},
                                   "/robot1/pybullet_sim": {"ros__parameters": {"mode": "lockstep"}},
                                   "/**": {"ros__parameters": {"diagnostics_period": 2.0}}}))
    plan = plan_launch(DEFAULTS | {"params_file": str(own), "namespace": "robot1"}, PACKAGE)
    assert plan.controller["tilt_limit"] == 0.5 and plan.controller["seed"] == 3
    assert plan.controller["diagnostics_period"] == 2.0
    assert plan.robot_node_parameters["mode"] == "lockstep"
    assert plan.controller["model_path"] == str(plan.model)  # the launch's own settings win
    source = (PACKAGE / "launch" / "ant.launch.py").read_text()
    assert "parameters=[plan.controller]" in source and "parameters=[plan.robot_node_parameters]" in source
    package = plan_launch(DEFAULTS | {"namespace": "/robot2"}, PACKAGE)  # the package's file, namespaced
    assert package.controller["sensor_timeout"] == 0.1 and package.robot_node_parameters["burn_in_steps"] == 40


def test_the_real_robot_gets_a_finite_slew_limit_unless_the_file_sets_one(tmp_path):
    import math

    import yaml
    from hebb_runtime.launch_plan import plan_launch
    from hebb_runtime.robots import SERIAL_MAX_SLEW

    assert math.isfinite(SERIAL_MAX_SLEW) and SERIAL_MAX_SLEW > 0
    assert plan_launch(DEFAULTS | {"sim": "false"}, PACKAGE).controller["max_slew"] == SERIAL_MAX_SLEW
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump({"hebb_controller": {"ros__parameters": {"max_slew": 2.0}}}))
    assert plan_launch(DEFAULTS | {"sim": "false", "params_file": str(own)}, PACKAGE).controller["max_slew"] == 2.0
    assert plan_launch(DEFAULTS, PACKAGE).controller["max_slew"] == math.inf  # the simulation: as the file says


def test_the_controller_refuses_run_time_parameter_changes_and_bad_choices_without_ros():
    from hebb_runtime.controller_node import PARAMETERS
    from hebb_runtime.parameter_rules import SIM_CHOICES, check_choices, controller_change_refusal

    from hebbkit.runtime.errors import ConfigError

    assert controller_change_refusal({"max_slew": 1.0}, PARAMETERS, configured=False) is None
    assert "cannot change while" in controller_change_refusal({"max_slew": 1.0}, PARAMETERS, configured=True)
    # rclpy's own use_sim_time is read at configure and activate too (tests/ros/test_parameter_safety.py)
    assert "cannot change while" in controller_change_refusal({"use_sim_time": True}, PARAMETERS, configured=True)
    assert "found 'bogus'" in controller_change_refusal({"trigger": "bogus"}, PARAMETERS, configured=False)
    assert "found 'cuda'" in controller_change_refusal({"backend": "cuda"}, PARAMETERS, configured=False)
    with pytest.raises(ConfigError, match="mode should be one of realtime, lockstep, found 'bogus'"):
        check_choices({"mode": "bogus"}, SIM_CHOICES)


def test_the_ros_loop_benchmark_fails_when_it_misses_its_targets():
    benchmark = load_script(ROOT / "benchmarks" / "ros_loop.py")  # rclpy is imported by main() only
    met = {"timer": {"nominal_hz": 60.0, "achieved_hz": 60.1, "jitter_p99_ms": 1.0}, "latency": {"p99_ms": 2.0}}
    assert benchmark.missed_targets(met) == []
    slow = met | {"latency": {"p99_ms": 7.5}}
    assert benchmark.missed_targets(slow) == ["p99 latency 7.500 ms (target <= 3 ms)"]
    off = met | {"timer": {"nominal_hz": 60.0, "achieved_hz": 50.0, "jitter_p99_ms": 4.0}}
    assert len(benchmark.missed_targets(off)) == 2
    assert "sys.exit(main())" in (ROOT / "benchmarks" / "ros_loop.py").read_text()  # the verdict is the exit code
