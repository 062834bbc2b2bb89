"""Fixtures for the delivery engine: a Redis server of our own, the platform
simulators (with simulated latency), real ``crier worker`` and ``crier
scheduler`` processes, and helpers to approve messages and wait for outcomes.

The shared Redis on 6379 is used by other test runs at the same time, so the
engine tests start their own ``redis-server`` on a free port, which they may
flush, kill and restart at will.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
from sqlalchemy import select

from tests.conftest import CREDENTIAL_KEY, app_config, make_user

ROOT = Path(__file__).resolve().parents[2]
CRIER = str(ROOT / ".venv" / "bin" / "crier") if (ROOT / ".venv" / "bin" / "crier").exists() else shutil.which("crier")
WAIT_SECONDS = float(os.environ.get("CRIER_TEST_WAIT", "120"))


# Waiting --------------------------------------------------------------------------------

def wait_for(predicate: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS,
             interval: float = 0.1, describe: Callable[[], str] | None = None) -> Any:
    """Poll ``predicate`` until it is truthy; fail with ``what`` (and ``describe()``) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{describe()}" if describe else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Redis of our own ----------------------------------------------------------------------------

class RedisServer:
    """A throwaway redis-server on a free port (no persistence: a restart loses everything)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, f"redis-server on port {self.port} to answer", timeout=20)
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def client(self):
        import redis

        return redis.Redis(port=self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """The Redis URL for one test, emptied before it starts."""
    if not redis_server.ping():
        redis_server.restart()
    redis_server.client().flushall()
    return redis_server.url


# Simulators ---------------------------------------------------------------------------------

class Latency:
    """WSGI middleware: every platform call (not ``/_sim``) takes ``seconds`` longer,
    and its arrival time is kept."""

    def __init__(self, app, seconds: float = 0.0):
        self.app = app
        self.seconds = seconds
        self.arrivals: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_sim"):
            with self.lock:
                self.arrivals.append((time.monotonic(), environ.get("REQUEST_METHOD", ""), path))
            if self.seconds:
                time.sleep(self.seconds)
        return self.app(environ, start_response)

    def writes(self, method: str = "POST", contains: str = "") -> list[float]:
        with self.lock:
            return [t for t, m, p in self.arrivals if m == method and contains in p]


@pytest.fixture
def x_sim():
    from channels.simulators.xapi import XSimulator

    sim = XSimulator()
    sim.latency = Latency(sim.app.wsgi_app)
    sim.app.wsgi_app = sim.latency
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def graph_sim():
    from channels.simulators.graph import GraphSimulator

    sim = GraphSimulator()
    sim.latency = Latency(sim.app.wsgi_app)
    sim.app.wsgi_app = sim.latency
    sim.start()
    yield sim
    sim.stop()


# The app in the test process, and worker processes ---------------------------------------------

@pytest.fixture
def engine_env(pg_url, broker, x_sim, graph_sim, tmp_path) -> dict[str, str]:
    """CRIER_* settings shared by the test process and its worker and scheduler processes."""
    return {
        "CRIER_DATABASE_URL": pg_url,
        "CRIER_BROKER_URL": broker,
        "CRIER_SECRET_KEY": "crier-tests",
        "CRIER_CREDENTIAL_KEYS": CREDENTIAL_KEY,
        "CRIER_PUBLIC_BASE_URL": "https://police.example",
        "CRIER_X_API_URL": x_sim.url,
        "CRIER_FACEBOOK_GRAPH_URL": graph_sim.url,
        "CRIER_INSTANCE_PATH": str(tmp_path / "instance"),
        # Short enough that recoveries happen within a test, long enough for a
        # slow CI machine not to lapse a live worker's lease (it is renewed).
        "CRIER_LEASE_SECONDS": "4",
        "CRIER_SWEEP_INTERVAL": "0.5",
        "CRIER_CONNECT_TIMEOUT": "1",
        "CRIER_READ_TIMEOUT": "2",
        "CRIER_RETRY_BASE_SECONDS": "0.3",
        "CRIER_RETRY_MAX_SECONDS": "2",
        "CRIER_RETRY_MAX_ATTEMPTS": "8",
    }


@pytest.fixture
def engine_app(engine_env, monkeypatch):
    """The Flask app in the test process, dispatching to the test's Redis."""
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", engine_env["CRIER_INSTANCE_PATH"])
    extra = {key[len("CRIER_"):]: value for key, value in engine_env.items()
             if key not in ("CRIER_INSTANCE_PATH",)}
    application = create_app(app_config(engine_env["CRIER_DATABASE_URL"], None, **extra))
    yield application
    application.extensions["crier"].engine.dispose()


@pytest.fixture
def rt(engine_app):
    return engine_app.extensions["crier"]


class Process:
    """A ``crier`` subprocess in its own process group (so that SIGKILL takes its children too)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([CRIER, *args], env={**os.environ, **env}, cwd=str(ROOT),
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no clean-up, no acknowledgements."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def processes(engine_env, tmp_path):
    """``processes.worker(...)`` / ``processes.scheduler()`` start real processes; all stop at the end."""

    started: list[Process] = []

    class Factory:
        def worker(self, queues: str = "incident,routine", pool: str = "threads", concurrency: int = 8,
                   name: str | None = None, extra_env: dict[str, str] | None = None) -> Process:
            index = len(started)
            args = ["worker", "-Q", queues, "-P", pool, "-c", str(concurrency),
                    "-n", name or f"w{index}@%h", "-l", "INFO"]
            p = Process(args, {**engine_env, **(extra_env or {})}, tmp_path / f"worker{index}.log")
            started.append(p)
            return p

        def scheduler(self, extra_env: dict[str, str] | None = None) -> Process:
            index = len(started)
            p = Process(["scheduler"], {**engine_env, **(extra_env or {})}, tmp_path / f"scheduler{index}.log")
            started.append(p)
            return p

        def logs(self) -> str:
            return "\n".join(f"--- {p.args[0]} {p.pid}:\n{p.output()}" for p in started)

    factory = Factory()
    yield factory
    for p in started:
        p.stop()


# Data ---------------------------------------------------------------------------------------------

@pytest.fixture
def people(rt):
    with rt.session() as s:
        officer = make_user(s, "olivia", "officer")
        supervisor = make_user(s, "sam", "supervisor")
        s.expunge_all()
    return officer, supervisor


def add_x(rt, x_sim, name: str, area: str | None = None) -> int:
    from workflow.accounts.channel_accounts import add_account

    creds = x_sim.add_account(name.replace(" ", "_").lower()[:15])
    with rt.session() as s:
        return add_account(s, "x", name, creds, area=area).id


def add_facebook(rt, graph_sim, name: str, area: str | None = None) -> int:
    from workflow.accounts.channel_accounts import add_account

    creds = graph_sim.add_page(name)
    with rt.session() as s:
        return add_account(s, "facebook", name, creds, area=area).id


def add_website(rt, name: str = "Force website") -> int:
    from workflow.accounts.channel_accounts import add_account

    with rt.session() as s:
        return add_account(s, "website", name, {}).id


def approve_message(rt, people, accounts: Iterable[int], body: str, **fields: Any) -> int:
    """Draft, submit and approve a message (which dispatches its deliveries); returns its id."""
    from workflow.accounts.models import User
    from workflow.messages import drafts, review

    officer, supervisor = people
    with rt.session() as s:
        author = s.get(User, officer.id)
        reviewer = s.get(User, supervisor.id)
        m = drafts.create_draft(s, author, {"body": body, "accounts": list(accounts), **fields})
        review.submit(s, author, m.id)
        review.approve(s, reviewer, m.id, m.current_version)
        return m.id


def delivery_rows(rt, message_id: int | None = None) -> list:
    from workflow.delivery.models import Delivery

    with rt.session() as s:
        q = select(Delivery).order_by(Delivery.id)
        if message_id is not None:
            q = q.where(Delivery.message_id == message_id)
        rows = s.execute(q).scalars().all()
        s.expunge_all()
        return rows


def states(rt, message_id: int | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in delivery_rows(rt, message_id):
        out[d.state] = out.get(d.state, 0) + 1
    return out


def all_settled(rt, message_id: int | None = None) -> bool:
    rows = delivery_rows(rt, message_id)
    return bool(rows) and all(d.state in ("sent", "failed", "cancelled") for d in rows)


def describe(rt, processes=None) -> Callable[[], str]:
    def text() -> str:
        rows = delivery_rows(rt)
        summary = states(rt)
        unsettled = [(d.id, d.state, d.attempts, d.last_error) for d in rows
                     if d.state not in ("sent", "failed", "cancelled")][:10]
        out = f"delivery states: {summary}; unsettled (first 10): {unsettled}"
        if processes is not None:
            out += "\n" + processes.logs()
        return out

    return text


def message_status(rt, message_id: int) -> str:
    from workflow.messages.models import Message

    with rt.session() as s:
        return s.get(Message, message_id).status


def python() -> str:
    return sys.executable
