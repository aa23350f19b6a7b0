"""Torso orientation: quaternions (an IMU's, x y z w) <-> roll, pitch, yaw (the profiles' `roll_pitch_yaw`).

Z-Y-X Euler angles (roll about x, pitch about y, yaw about z), as PyBullet's getEulerFromQuaternion: the sim node
turns the env's angles into an Imu message and the controller turns it back with these two functions.
"""

from __future__ import annotations

import math


def quaternion_to_roll_pitch_yaw(x: float, y: float, z: float, w: float) -> tuple[float, float, float]:
    """Z-Y-X Euler angles (roll about x, pitch about y, yaw about z), as PyBullet's getEulerFromQuaternion."""
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    sine_pitch = max(-1.0, min(1.0, 2.0 * (w * y - z * x)))
    pitch = math.asin(sine_pitch)
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return roll, pitch, yaw


def roll_pitch_yaw_to_quaternion(roll: float, pitch: float, yaw: float) -> tuple[float, float, float, float]:
    """Inverse of `quaternion_to_roll_pitch_yaw`: (x, y, z, w)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy)
