"""The ros2_control side of a robot file: the controller YAML and remaps that let a ros2_control quadruped take the
controller's `joint_commands` (std_msgs/Float64MultiArray, physical units, the robot file's joint order) through a
`forward_command_controller/ForwardCommandController` on the position interface. No rclpy here."""

from __future__ import annotations

from hebbkit.runtime.robot_file import RobotSpec, resolve_robot

CONTROLLER = "hebb_position_controller"


def controller_parameters(robot: str | RobotSpec, controller: str = CONTROLLER, update_rate: int = 500) -> dict:
    """The controller_manager's parameters for `robot`: a ForwardCommandController whose joints are the robot
    file's, in its command order (the order of every joint_commands message), and a joint_state_broadcaster."""
    spec = resolve_robot(robot)
    interface = "position" if spec.actuation == "position" else "effort"
    return {
        "controller_manager": {"ros__parameters": {
            "update_rate": update_rate,
            "joint_state_broadcaster": {"type": "joint_state_broadcaster/JointStateBroadcaster"},
            controller: {"type": "forward_command_controller/ForwardCommandController"},
        }},
        controller: {"ros__parameters": {"joints": list(spec.joint_names), "interface_name": interface}},
    }


def controller_remaps(controller: str = CONTROLLER, imu: str = "/imu_sensor_broadcaster/imu") -> dict[str, str]:
    """hebb_controller's remaps onto that controller's topics (`imu`: where the robot publishes its IMU)."""
    return {"joint_commands": f"/{controller}/commands", "joint_states": "/joint_states", "imu": imu}
