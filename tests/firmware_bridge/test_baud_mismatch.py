"""Baud mismatch. A pty and QEMU do not model baud rates, so the line is modelled at the bit level: the sender's
8N1 bit stream at one rate, sampled by a UART running at another (mid-bit sampling, start-bit search, framing
errors dropped). What arrives is what a real mismatched UART delivers: every frame must be rejected and counted,
and the link must recover by itself once the rates agree."""

from __future__ import annotations

from hebbkit.firmware_bridge.link import Link
from hebbkit.firmware_bridge.protocol import Heartbeat, State, encode


def uart_bits(data: bytes) -> list[int]:
    """8N1: idle high, start bit 0, 8 data bits LSB first, stop bit 1."""
    bits = [1] * 4
    for byte in data:
        bits += [0] + [(byte >> i) & 1 for i in range(8)] + [1]
    return bits + [1] * 4


def receive_at(bits: list[int], ratio: float) -> bytes:
    """Bytes a UART whose bit time is `ratio` x the sender's decodes from the sender's bits."""
    def level(t: float) -> int:
        index = int(t)
        return bits[index] if index < len(bits) else 1

    out, t = bytearray(), 0.0
    while t < len(bits):
        if level(t) == 1:
            t += ratio / 16  # idle: look for a start bit at 16x oversampling
            continue
        start = t
        if level(start + ratio / 2) != 0:  # glitch, not a start bit
            t += ratio / 16
            continue
        byte = sum(level(start + ratio * (1.5 + i)) << i for i in range(8))
        if level(start + ratio * 9.5) == 1:  # a framing error drops the byte
            out.append(byte)
        t = start + ratio * 10
    return bytes(out)


def test_receiver_model_is_exact_when_the_rates_agree():
    data = bytes(range(256))
    assert receive_at(uart_bits(data), 1.0) == data


def deliver(link: Link, data: bytes) -> list:
    """Write through loop:// in chunks (its buffer is small) and collect what the link decodes."""
    received = []
    for start in range(0, len(data), 512):
        link.port.write(data[start:start + 512])
        received += link.poll()
    for _ in range(20):
        received += link.poll()
    return received


def test_mismatched_baud_rates_deliver_nothing_valid_and_the_link_recovers():
    state = State(1, 0, 0, 0, 0, tuple(float(i) for i in range(8)), (0.0,) * 8)
    frames = b"".join(encode(state, seq) + encode(Heartbeat(seq), seq) for seq in range(200))
    link = Link("loop://")
    for ratio in (115_200 / 9_600, 1_000_000 / 115_200, 1.1, 0.9, 0.5, 2.0):
        assert deliver(link, receive_at(uart_bits(frames), ratio)) == [], f"a frame got through at ratio {ratio}"
    rejected = link.stats.crc_errors + link.stats.malformed
    assert rejected > 0
    assert len(deliver(link, receive_at(uart_bits(frames), 1.0))) == 400  # the rates agree again
