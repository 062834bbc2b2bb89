"""Shared plumbing for the platform simulators: a loopback HTTP server and
injectable faults.

Each simulator is a small Flask app. Faults and inspection go through
``/_sim/...`` endpoints so that a test can steer a simulator that a separate
worker process is talking to.

Fault kinds, applied to the next matching write requests:

``429``
    answer 429 with a rate-limit reset ``reset`` seconds ahead
``5xx``
    answer ``status`` (default 503)
``hang``
    hold the request ``seconds`` (default 60) and then drop it, applying nothing
``accept_then_hang``
    apply the request (the post is made) and then hang, so the caller never hears
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class Fault:
    kind: str
    count: int = 1
    status: int = 503
    reset: float = 2.0
    seconds: float = 60.0
    # Which requests it applies to: "write" (create/edit/delete) or "any".
    applies_to: str = "write"


@dataclass
class FaultPlan:
    """Faults waiting to be applied, first in first out; thread-safe."""

    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **spec: Any) -> Fault:
        fault = Fault(**spec)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def take(self, is_write: bool) -> Fault | None:
        """The fault for this request, if any; consumes one of its count."""
        with self.lock:
            for fault in self.faults:
                if fault.applies_to == "write" and not is_write:
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None


def hang(seconds: float) -> None:
    """Hold the request thread, as a platform that stopped answering would."""
    time.sleep(seconds)


def drop_connection() -> None:
    """Close the client's connection without an answer, as a lost platform would."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def add_control_routes(app: Flask, plan: FaultPlan, state: Any) -> None:
    """``/_sim`` endpoints: inject faults, list posts, count requests, reset."""

    @app.post("/_sim/faults")
    def _add_fault():
        spec = request.get_json(force=True) or {}
        plan.add(**spec)
        return jsonify({"ok": True}), 201

    @app.delete("/_sim/faults")
    def _clear_faults():
        plan.clear()
        return jsonify({"ok": True})

    @app.get("/_sim/state")
    def _state():
        return jsonify(state.snapshot())

    @app.post("/_sim/reset")
    def _reset():
        plan.clear()
        state.reset()
        return jsonify({"ok": True})


class ServerThread:
    """Serve a WSGI app on loopback in a background thread."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ServerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class Simulator:
    """A simulator app served on loopback: start, stop, its URL, and ``with``."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.server = ServerThread(app, host, port)

    @property
    def url(self) -> str:
        """The simulator's base URL, to configure as the platform's API URL."""
        return self.server.url

    def start(self):
        """Start serving in a background thread."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
