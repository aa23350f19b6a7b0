"""ros2 launch hebb_runtime ant.launch.py [sim:=true] [robot:=ant] [model:=...] [body:=standard] ...

Starts the Hebbian controller (a lifecycle node, configured and activated automatically) and either the PyBullet
simulation (sim:=true) or the serial bridge to the real robot (sim:=false). Switching from the simulated quadruped
to the real one changes one argument. What starts with which parameters is decided by hebb_runtime.launch_plan.

The launch ends, with one line saying why, when a node cannot do its job: the simulation or the bridge exits (a
missing or corrupt model, no serial port: they log one FATAL line and exit with code 1), or the controller refuses
the launch's configure (a missing model, or one that does not fit the robot: with sim:=false the controller is told
the serial robot's joints, actuation and measurements). The launch configures and activates the controller once;
later lifecycle transitions are the operator's (hebb_runtime.launch_plan.LifecycleSequence).
"""

from pathlib import Path

from hebb_runtime.launch_plan import LifecycleSequence, plan_launch
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.events import matches_action
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.substitutions import FindPackageShare
from lifecycle_msgs.msg import Transition

ARGUMENTS = {
    "sim": ("true", "true: the PyBullet simulation node; false: the serial bridge to the robot"),
    "robot": ("ant", "a built-in robot (ant, servo_quadruped, unitree_a1) or a robot file (.toml)"),
    "model": ("", "policy artifact the controller runs (default: the robot's shipped model, installed with this "
              "package: models/ant-robust/model.npz for the ant, models/servo-proprio/model.npz, the deployable "
              "model, for the servo quadruped); a relative path is looked up in the working directory, then among "
              "the installed models"),
    "params_file": ("", "parameter YAML (default: this package's config/ant.yaml)"),
    "body": ("standard", "simulated body (sim:=true): standard, damaged_right_front, damaged_left_front, or "
             "leg:segment:scale parts as hebbkit eval --bodies takes them"),
    "morphology": ("", "deprecated: the old name of body"),
    "port": ("/dev/ttyACM0", "serial port of the robot's microcontroller (sim:=false)"),
    "namespace": ("", "namespace of all nodes and topics"),
    "use_sim_time": ("false", "follow the simulation's /clock"),
    "backend": ("numpy", "runtime backend: numpy or onnx"),
}


def stop_when_exits(node, name: str) -> RegisterEventHandler:
    """End the launch with one line saying why and exit code 1 when `node`'s process exits (unless the launch is
    ending anyway): launch turns an exception raised by a handler into "Caught exception in launch" and exit 1,
    which a Shutdown action would not (it exits 0)."""

    def on_exit(event, context):
        if context.is_shutdown:
            return None
        # raising ends the launch with one "Caught exception in launch" line and exit code 1
        raise RuntimeError(f"{name} exited with code {event.returncode}: stopping the launch (its log above says "
                           "why)")

    return RegisterEventHandler(OnProcessExit(target_action=node, on_exit=on_exit))


def launch_setup(context):
    plan = plan_launch({name: context.launch_configurations[name] for name in ARGUMENTS},
                       Path(FindPackageShare("hebb_runtime").perform(context)))
    controller = LifecycleNode(
        package="hebb_runtime", executable="hebb_controller", name="hebb_controller", namespace=plan.namespace,
        output="screen", parameters=[plan.controller],  # the file's and the launch's, whatever the namespace
    )
    robot_node = Node(
        package="hebb_runtime", executable=plan.robot_node, name=plan.robot_node, namespace=plan.namespace,
        output="screen", parameters=[plan.robot_node_parameters],
    )
    sequence = LifecycleSequence()

    def change_state(transition_id: int) -> EmitEvent:
        return EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(controller),
                                           transition_id=transition_id))

    def configured(context):
        # the launch's own configure only: re-activating after an operator's cleanup -> configure would resume
        # the robot with nobody asking
        return [change_state(Transition.TRANSITION_ACTIVATE)] if sequence.configured() else None

    def refused(context):
        if sequence.refused():  # the launch's own configure; a failed manual one leaves the launch running
            raise RuntimeError("hebb_controller refused its configuration: stopping the launch (its log above says "
                               "why)")

    activate_when_configured = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=controller, start_state="configuring", goal_state="inactive",
        entities=[OpaqueFunction(function=configured)]))
    stop_when_refused = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=controller, start_state="configuring", goal_state="unconfigured",
        entities=[OpaqueFunction(function=refused)]))
    return [controller, robot_node, stop_when_exits(controller, "hebb_controller"),
            stop_when_exits(robot_node, plan.robot_node), activate_when_configured, stop_when_refused,
            change_state(Transition.TRANSITION_CONFIGURE)]


def generate_launch_description() -> LaunchDescription:
    arguments = [DeclareLaunchArgument(name, default_value=default, description=description)
                 for name, (default, description) in ARGUMENTS.items()]
    return LaunchDescription([*arguments, OpaqueFunction(function=launch_setup)])
