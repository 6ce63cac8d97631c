"""A real SMTP server on loopback (aiosmtpd), for the delivery tests and bench.

Django's SMTP backend talks to it over a socket as it would to any mail server. It keeps
every message it accepted, and can be told to answer like real servers do:

- ``rcpt_replies[address]``: replies to RCPT TO for that address, used one per attempt
  (e.g. ``["451 4.2.0 Try again later"]`` then accepted, or ``["550 5.1.1 No such user"]``);
- ``max_per_second``: a sending limit; RCPT beyond it in any one-second window is refused
  with ``451 4.7.1 Rate limit exceeded`` (counted in ``rate_limited``);
- ``hold_after``: after that many accepted messages, the next DATA is received and then
  held without a reply until ``release`` is set (a worker can be killed mid-message).
"""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every command at INFO: noise in a test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float  # time.monotonic() when DATA was accepted

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class _Handler:
    server: SmtpServer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        stand_in = self.server
        with stand_in.lock:
            planned = stand_in.rcpt_replies.get(address.lower())
            if planned:
                return planned.pop(0)
            if stand_in.max_per_second:
                now = time.monotonic()
                window = stand_in._window
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if len(window) >= stand_in.max_per_second:
                    stand_in.rate_limited += 1
                    return "451 4.7.1 Rate limit exceeded, slow down"
                window.append(now)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        stand_in = self.server
        received = ReceivedMessage(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=envelope.content, at=time.monotonic()
        )
        with stand_in.lock:
            hold = stand_in.hold_after is not None and len(stand_in.messages) >= stand_in.hold_after
            stand_in.messages.append(received)
            number = len(stand_in.messages)
        if hold:
            stand_in.holding.set()
            while not stand_in.release.is_set():
                await asyncio.sleep(0.05)
        return f"250 2.0.0 Ok: queued as STANDIN{number:06d}"


@dataclass
class SmtpServer:
    max_per_second: int | None = None
    hold_after: int | None = None
    messages: list[ReceivedMessage] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _window: deque = field(default_factory=deque)
    _controller: Controller | None = None
    port: int = 0

    def start(self) -> SmtpServer:
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def refuse(self, address: str, *replies: str) -> None:
        """Answer RCPT TO for ``address`` with ``replies``, one per attempt, then accept."""
        self.rcpt_replies[address.lower()] = list(replies)

    def received_by(self, address: str) -> list[ReceivedMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"the SMTP server received {len(self.messages)} messages, expected {count}")
