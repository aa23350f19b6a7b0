"""ros2 launch hebb_runtime ant.launch.py [sim:=true] [robot:=ant] [model:=...] [morphology:=standard] ...

Starts the Hebbian controller (a lifecycle node, configured and activated automatically) and either the PyBullet
simulation (sim:=true) or the serial bridge to the real robot (sim:=false). Switching from the simulated quadruped
to the real one changes one argument.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, RegisterEventHandler
from launch.conditions import IfCondition, UnlessCondition
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.substitutions import FindPackageShare
from lifecycle_msgs.msg import Transition

ARGUMENTS = {
    "sim": ("true", "true: the PyBullet simulation node; false: the serial bridge to the robot"),
    "robot": ("ant", "ant or servo_quadruped"),
    "model": ("", "policy artifact the controller runs (default: models/ant-paper/model.npz for the ant, "
              "models/servo-proprio/model.npz, the deployable model, for the servo quadruped)"),
    "params_file": ("", "parameter YAML (default: this package's config/ant.yaml)"),
    "morphology": ("standard", "simulated body: standard, damaged_right_front, damaged_left_front"),
    "port": ("/dev/ttyACM0", "serial port of the robot's microcontroller (sim:=false)"),
    "namespace": ("", "namespace of all nodes and topics"),
    "use_sim_time": ("false", "follow the simulation's /clock"),
    "backend": ("numpy", "runtime backend: numpy or onnx"),
}

DEFAULT_MODELS = {"ant": "models/ant-paper/model.npz", "servo_quadruped": "models/servo-proprio/model.npz"}


def generate_launch_description() -> LaunchDescription:
    arguments = [DeclareLaunchArgument(name, default_value=default, description=description)
                 for name, (default, description) in ARGUMENTS.items()]
    default_params = PathJoinSubstitution([FindPackageShare("hebb_runtime"), "config", "ant.yaml"])
    params_file = LaunchConfiguration("params_file", default=default_params)
    use_sim_time = LaunchConfiguration("use_sim_time")
    namespace = LaunchConfiguration("namespace")
    robot = LaunchConfiguration("robot")
    model = PythonExpression(["'", LaunchConfiguration("model"), "' or ('", DEFAULT_MODELS["servo_quadruped"],
                              "' if '", robot, "' == 'servo_quadruped' else '", DEFAULT_MODELS["ant"], "')"])
    controller = LifecycleNode(
        package="hebb_runtime", executable="hebb_controller", name="hebb_controller", namespace=namespace,
        output="screen",
        parameters=[params_file, {"model_path": model, "backend": LaunchConfiguration("backend"),
                                  "use_sim_time": use_sim_time}],
    )
    simulation = Node(
        package="hebb_runtime", executable="pybullet_sim", name="pybullet_sim", namespace=namespace, output="screen",
        parameters=[params_file, {"robot": robot, "model_path": model,
                                  "morphology": LaunchConfiguration("morphology"),
                                  "publish_clock": use_sim_time, "use_sim_time": False}],
        condition=IfCondition(LaunchConfiguration("sim")),
    )
    bridge = Node(
        package="hebb_runtime", executable="serial_bridge", name="serial_bridge", namespace=namespace, output="screen",
        parameters=[params_file, {"port": LaunchConfiguration("port"), "robot": robot}],
        condition=UnlessCondition(LaunchConfiguration("sim")),
    )
    configure = EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(controller),
                                            transition_id=Transition.TRANSITION_CONFIGURE))
    activate_when_configured = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=controller, goal_state="inactive",
        entities=[EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(controller),
                                              transition_id=Transition.TRANSITION_ACTIVATE))],
    ))
    return LaunchDescription([*arguments, controller, simulation, bridge, activate_when_configured, configure])
