"""hebb_runtime: ROS 2 plumbing only. The maths is hebbkit.runtime, the physics hebbkit.trainer.envs, the serial
link hebbkit.firmware_bridge."""
