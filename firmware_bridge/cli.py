"""`hebbkit bridge ping|monitor|stats --port URL`: talk to the robot's microcontroller from a terminal."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .link import LinkStats


@dataclass(frozen=True)
class BridgeConfig:
    """`hebbkit bridge`: ping (handshake and round-trip time), monitor (print STATE frames), stats (link counters
    after listening for a while). PORT is any pyserial URL: /dev/ttyACM0, /dev/pts/3, loop://, rfc2217://..."""

    action: str = field(metadata={"positional": True, "help": "ping, monitor or stats",
                                  "choices": ("ping", "monitor", "stats")})
    port: str = field(default="/dev/ttyACM0", metadata={"help": "serial port or pyserial URL"})
    baudrate: int = field(default=1_000_000, metadata={"help": "baud rate"})
    seconds: float = field(default=5.0, metadata={"help": "how long to monitor or listen"})
    count: int = field(default=10, metadata={"help": "ping: handshakes to time"})


def check_bridge_config(config: BridgeConfig) -> None:
    """Refuse counts and durations that would do nothing or crash (ConfigError, one line)."""
    from hebbkit.runtime.errors import ConfigError

    if config.count < 1:
        raise ConfigError(f"--count must be >= 1, got {config.count}")
    if not 0 < config.seconds < float("inf"):
        raise ConfigError(f"--seconds must be a finite number > 0, got {config.seconds}")
    if config.baudrate < 1:
        raise ConfigError(f"--baudrate must be >= 1, got {config.baudrate}")


def run_bridge(config: BridgeConfig) -> int:
    from .link import Link

    check_bridge_config(config)

    with Link(config.port, baudrate=config.baudrate, timeout=1.0) as link:
        if config.action == "ping":
            for _ in range(config.count):
                answer = link.hello()
            rtt = np.array(link.stats.round_trips) * 1e3
            print(f"{config.port}: firmware {answer.firmware_version}, protocol {answer.protocol_version}, "
                  f"{answer.n_joints} joints; round trip median {np.median(rtt):.2f} ms, max {rtt.max():.2f} ms")
            return 0
        deadline = time.monotonic() + config.seconds
        while time.monotonic() < deadline:
            for message in link.poll():
                if config.action == "monitor":
                    print(message, flush=True)
            time.sleep(0.001)
        if config.action == "monitor":
            print("--")
        print("\n".join(stats_table(link.stats)))
    return 0


def stats_table(stats: LinkStats) -> list[str]:
    """The lines of `hebbkit bridge stats`: one counter of the link (`LinkStats`) per line, and the round trips'
    count, median and maximum in ms."""
    from dataclasses import asdict

    counters = {name: value for name, value in asdict(stats).items() if name != "round_trips"}
    width = max(len(name) for name in counters)
    lines = [f"{name.replace('_', ' '):<{width}}  {value:>8,}" for name, value in counters.items()]
    trips = np.array(stats.round_trips) * 1e3
    lines.append(f"{'round trips':<{width}}  {trips.size:>8,}" + (
        f"  (median {np.median(trips):.2f} ms, max {trips.max():.2f} ms)" if trips.size else ""))
    return lines
