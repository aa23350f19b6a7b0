"""Serial link throughput: handshake round trips (HELLO -> HELLO_ACK) per second and p99 latency between the host
Link and (a) the reference firmware running in qemu-system-arm, (b) the Python firmware simulator, both over a pty,
against the byte-time limit of the same frames on a real UART at 115,200 and 1,000,000 baud (8N1: 10 bits a byte).

A pty and QEMU's serial port do not enforce a baud rate, so the measured rates show what the software costs; the
ratio to the byte-time limit says whether the software or the wire would be the bottleneck on a real UART.

    python benchmarks/bridge_link.py [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from hebbkit.firmware_bridge import protocol
from hebbkit.firmware_bridge.link import Link
from hebbkit.firmware_bridge.simulator import FirmwareSimulator

BOARD = Path(protocol.__file__).parent / "firmware" / "board"
BAUD_RATES = (115_200, 1_000_000)


def measure(port: str, seconds: float) -> dict:
    with Link(port, timeout=3.0) as link:
        link.hello()  # the board may still be booting
        link.stats.round_trips.clear()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            link.hello()
        rtt = np.array(link.stats.round_trips)
    return {"round_trips_per_second": round(len(rtt) / rtt.sum(), 1), "p50_ms": round(1e3 * np.median(rtt), 3),
            "p99_ms": round(1e3 * np.percentile(rtt, 99), 3), "samples": len(rtt)}


def byte_time_limit(baud: int) -> float:
    """Round trips per second the wire allows for HELLO + HELLO_ACK (10 bits per byte)."""
    size = len(protocol.encode(protocol.Hello(), 0)) + len(protocol.encode(protocol.HelloAck(1, "ref-1.0", 8), 0))
    return baud / 10 / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="measurement time per target")
    parser.add_argument("--json", action="store_true", help="print JSON")
    arguments = parser.parse_args()
    results: dict = {"limits_round_trips_per_second": {str(b): round(byte_time_limit(b), 1) for b in BAUD_RATES}}
    simulator = FirmwareSimulator()
    try:
        results["python_simulator"] = measure(simulator.port_name, arguments.seconds)
    finally:
        simulator.close()
    if shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc"):
        with tempfile.TemporaryDirectory() as build:
            subprocess.run(["make", "-s", "-C", str(BOARD), f"BUILD={build}", "CORE_HZ=168000000"], check=True,
                           capture_output=True)
            qemu = subprocess.Popen(["qemu-system-arm", "-M", "netduinoplus2", "-nographic", "-kernel",
                                     f"{build}/hebb_firmware.elf", "-serial", "pty", "-monitor", "none"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                port = re.search(r"(/dev/pts/\d+)", qemu.stdout.readline()).group(1)
                results["c_firmware_in_qemu"] = measure(port, arguments.seconds)
            finally:
                qemu.kill()
                qemu.wait()
    for name in ("python_simulator", "c_firmware_in_qemu"):
        if name in results:
            results[name]["ratio_to_limit"] = {str(b): round(results[name]["round_trips_per_second"] /
                                                             byte_time_limit(b), 2) for b in BAUD_RATES}
    if arguments.json:
        print(json.dumps(results, indent=2))
        return
    limits = results["limits_round_trips_per_second"]
    print(f"HELLO/HELLO_ACK round trips over a pty, {arguments.seconds:.0f} s each; wire limits: "
          f"{limits['115200']:.0f}/s at 115,200 baud, {limits['1000000']:.0f}/s at 1,000,000 baud")
    for name in ("c_firmware_in_qemu", "python_simulator"):
        if name in results:
            r = results[name]
            print(f"  {name:<20} {r['round_trips_per_second']:8.1f}/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} "
                  f"ms  ratio to limit: {r['ratio_to_limit']['115200']}x at 115,200, "
                  f"{r['ratio_to_limit']['1000000']}x at 1,000,000")


if __name__ == "__main__":
    main()
