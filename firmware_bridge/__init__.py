"""hebbkit.firmware_bridge: the serial protocol to the quadruped's microcontroller and its reference firmware."""
