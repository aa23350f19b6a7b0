"""`Link(port).hello()` with its default timeout repeats HELLO within that timeout: a board that misses the first
HELLO (still booting, as the QEMU board does) still answers the handshake (issue 31)."""

from __future__ import annotations

import os
import select
import threading

import pytest

from hebbkit.firmware_bridge.link import HELLO_RETRY, Link
from hebbkit.firmware_bridge.protocol import PROTOCOL_VERSION, Hello, HelloAck, StreamDecoder, encode, parse


class LateResponder:
    """A pty whose far end ignores the first `ignore` HELLOs and answers the next with a HELLO_ACK."""

    def __init__(self, ignore: int = 1) -> None:
        self.master, self._slave = os.openpty()
        self.port_name = os.ttyname(self._slave)
        self.ignore = ignore
        self.hellos = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decoder = StreamDecoder()
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.01)[0]:
                continue
            for frame in decoder.feed(os.read(self.master, 4096)):
                if isinstance(parse(frame), Hello):
                    self.hellos += 1
                    if self.hellos > self.ignore:
                        os.write(self.master, encode(HelloAck(PROTOCOL_VERSION, "late-1.0", 8), frame.seq))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self._slave):
            os.close(fd)


@pytest.fixture
def late_board():
    board = LateResponder(ignore=1)
    yield board
    board.close()


def test_default_hello_answers_a_board_that_misses_the_first_hello(late_board):
    with Link(late_board.port_name) as link:  # the defaults, as the README's one-liner uses them
        answer = link.hello()
    assert answer.firmware_version == "late-1.0" and late_board.hellos == 2


@pytest.mark.parametrize("timeout", [0.05, 0.2, 1.0, 10.0])
def test_every_timeout_leaves_room_for_several_hellos(timeout):
    link = Link("loop://", timeout=timeout)
    assert link.hello_retry_period <= min(HELLO_RETRY, timeout / 4)
    link.close()


def test_the_default_timeout_covers_several_hello_retries():
    link = Link("loop://")
    assert link.timeout >= 1.0 and link.timeout >= 4 * link.hello_retry_period
    link.close()
