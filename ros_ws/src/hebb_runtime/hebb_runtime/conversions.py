"""ROS messages <-> the raw measurements and commands of `hebbkit.runtime.profile` (no node state here): the one
builder of each message the nodes publish, and the one reader of each they subscribe to. The orientation maths is
`hebbkit.runtime.orientation`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float64MultiArray, MultiArrayDimension

from hebbkit.runtime.errors import ObservationError
from hebbkit.runtime.orientation import quaternion_to_roll_pitch_yaw, roll_pitch_yaw_to_quaternion


def joint_state_message(stamp, names: Sequence[str], positions: Sequence[float],
                        velocities: Sequence[float]) -> JointState:
    """joint_states of one sensor snapshot: positions (rad) and velocities (rad/s) in `names` order."""
    message = JointState(name=list(names), position=[float(v) for v in positions],
                         velocity=[float(v) for v in velocities])
    message.header.stamp = stamp
    return message


def imu_message(stamp, roll_pitch_yaw: Sequence[float], angular_velocity: Sequence[float],
                frame_id: str = "torso") -> Imu:
    """imu of one sensor snapshot: the orientation as a quaternion and the gyro (rad/s, torso frame)."""
    message = Imu()
    message.header.stamp = stamp
    message.header.frame_id = frame_id
    x, y, z, w = roll_pitch_yaw_to_quaternion(*(float(v) for v in roll_pitch_yaw))
    message.orientation.x, message.orientation.y, message.orientation.z, message.orientation.w = x, y, z, w
    message.angular_velocity.x, message.angular_velocity.y, message.angular_velocity.z = (
        float(v) for v in angular_velocity)
    return message


def joint_state_measurements(message: JointState, joint_names: Sequence[str]) -> dict[str, np.ndarray]:
    """joint_position and joint_velocity in `joint_names` order, mapped by name (not index)."""
    index = {name: i for i, name in enumerate(message.name)}
    missing = [name for name in joint_names if name not in index]
    if missing:
        raise ObservationError(f"joint_states lacks joints {missing}; it has {list(message.name)}")
    positions = np.asarray(message.position, dtype=np.float64)
    velocities = np.asarray(message.velocity, dtype=np.float64)
    if positions.size != len(message.name) or velocities.size != len(message.name):
        raise ObservationError("joint_states needs one position and one velocity per joint name")
    order = [index[name] for name in joint_names]
    return {"joint_position": positions[order], "joint_velocity": velocities[order]}


def imu_measurements(message: Imu) -> dict[str, np.ndarray]:
    """roll_pitch_yaw from the orientation and angular_velocity (torso frame) from the gyro."""
    q = message.orientation
    return {"roll_pitch_yaw": np.array(quaternion_to_roll_pitch_yaw(q.x, q.y, q.z, q.w)),
            "angular_velocity": np.array([message.angular_velocity.x, message.angular_velocity.y,
                                          message.angular_velocity.z])}


def stamp_seconds(stamp) -> float:
    """A builtin_interfaces/Time as seconds (0.0 for an unstamped message)."""
    return stamp.sec + 1e-9 * stamp.nanosec


def measurements_message(measurements: Mapping[str, np.ndarray]) -> Float64MultiArray:
    """Extra measurements (sim only: height, target direction, body velocity, foot contacts) as one labelled array:
    one layout dimension per key, `size` entries each, in order."""
    message = Float64MultiArray()
    data: list[float] = []
    for key, values in measurements.items():
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        message.layout.dim.append(MultiArrayDimension(label=key, size=int(flat.size), stride=int(flat.size)))
        data.extend(float(v) for v in flat)
    message.data = data
    return message


def measurements_from_message(message: Float64MultiArray) -> dict[str, np.ndarray]:
    """Inverse of `measurements_message`."""
    values = np.asarray(message.data, dtype=np.float64)
    result, start = {}, 0
    for dimension in message.layout.dim:
        result[dimension.label] = values[start:start + dimension.size]
        start += dimension.size
    if start != values.size:
        raise ObservationError(f"measurement layout covers {start} values, the message has {values.size}")
    return result


def command_message(command: np.ndarray) -> Float64MultiArray:
    """joint_commands in the forward_command_controller convention: one value per joint, profile order."""
    message = Float64MultiArray()
    message.data = [float(v) for v in command]
    return message
