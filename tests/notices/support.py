"""A real SMTP server (aiosmtpd) and a real team-webhook receiver on loopback, for the notice tests.

Both record what they receive, can be told to refuse (an SMTP reply code, an
HTTP status) and can be held at a chosen point so that a test can kill the
worker in the middle of a send.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

#: The longest a held SMTP command or webhook call waits for the test to release it.
HOLD_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailCatcher:
    """An SMTP server that keeps every message it accepts.

    ``refuse`` holds reply lines given, in turn, instead of accepting DATA
    ("451 ..." or "550 ..."). ``hold`` is "rcpt" or "data": the server then waits
    at that command (for "data", after it has kept the message) until
    ``release`` is set, and ``holding`` is set while it waits.
    """

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: list[str] = []
        self.hold: str | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.controller._thread is not None:  # stopping twice (a test stopped it) is fine
            self.controller.stop()

    async def _wait_if(self, point: str) -> None:
        if self.hold == point:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, HOLD_SECONDS)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._wait_if("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            refusal = self.refuse.pop(0) if self.refuse else None
        if refusal:
            return refusal
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(mail)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        await self._wait_if("data")
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def with_id(self, message_id: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["Message-ID"] == message_id]


class TeamHook:
    """A team webhook (as Slack or Teams run them): keeps each JSON body and answers as told.

    ``statuses`` holds HTTP statuses given, in turn, before the usual 200.
    """

    def __init__(self):
        self.posts: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with hook.lock:
                    status = hook.statuses.pop(0) if hook.statuses else 200
                    hook.posts.append({"status": status, "body": json.loads(raw or b"null"),
                                       "notice": self.headers.get("X-Crier-Notice"),
                                       "content_type": self.headers.get("Content-Type")})
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"try later")

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="team-hook", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/team"

    def start(self) -> TeamHook:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [p for p in self.posts if p["status"] == 200]
