"""`crier run`, the README's run command: one process tree that takes a message
from draft to every channel on the embedded default, and stops cleanly."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

CRIER = str(Path(sys.executable).parent / "crier")
START_TIMEOUT = 90
PUBLISH_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str, output: list[str]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} within {timeout} s; crier run said:\n" + "".join(output[-60:]))


@pytest.fixture
def crier_run(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env["CRIER_INSTANCE_PATH"] = str(tmp_path / "instance")
    proc = subprocess.Popen([CRIER, "run", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    yield {"proc": proc, "port": port, "env": env, "output": output}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


def _token(env: dict, user: str) -> str:
    done = subprocess.run([CRIER, "token", "create", user], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_crier_run_publishes_a_verified_message_everywhere_and_stops_cleanly(crier_run):
    proc, port, output = crier_run["proc"], crier_run["port"], crier_run["output"]
    _wait_for(lambda: _healthy(port) and any("Ctrl-C stops everything" in line for line in output),
              START_TIMEOUT, "crier run did not come up", output)
    # The demo people are announced with their passwords.
    assert any(re.match(r"\s+officer\s+\S+\s+\(officer\)", line) for line in output), "".join(output)

    base = f"http://127.0.0.1:{port}/api/v1"
    officer = {"Authorization": f"Bearer {_token(crier_run['env'], 'officer')}"}
    supervisor = {"Authorization": f"Bearer {_token(crier_run['env'], 'supervisor')}"}
    accounts = requests.get(f"{base}/accounts", headers=officer, timeout=10).json()["accounts"]
    force_wide = {a["id"]: a["kind"] for a in accounts if a["area"] is None}
    assert set(force_wide.values()) == {"x", "facebook", "website"}

    created = requests.post(f"{base}/messages", headers=officer, timeout=10, json={
        "body": "Officers are at the scene of a collision on the A1. Please avoid the area.",
        "accounts": sorted(force_wide), "incident": {"title": "A1 collision"}})
    assert created.status_code == 201, created.text
    message_id = created.json()["id"]
    assert requests.post(f"{base}/messages/{message_id}/submit", headers=officer, timeout=10).ok
    approved = requests.post(f"{base}/messages/{message_id}/approve", headers=supervisor, timeout=10,
                             json={"version": 1})
    assert approved.status_code == 200, approved.text

    def published():
        body = requests.get(f"{base}/messages/{message_id}", headers=officer, timeout=10).json()
        return body if body["status"] == "published" else None

    body = _wait_for(published, PUBLISH_TIMEOUT, "the message was not published", output)
    deliveries = body["deliveries"]
    assert sorted(d["kind"] for d in deliveries) == ["facebook", "website", "x"]
    assert all(d["state"] == "sent" and d["url"] and d["attempts"] >= 1 for d in deliveries)
    # The public page is live on the console's own server.
    assert requests.get(f"http://127.0.0.1:{port}/news/{body['slug']}", timeout=10).status_code == 200

    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail("crier run did not stop within 30 s of Ctrl-C:\n" + "".join(output[-40:]))

    def group_gone():
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False

    _wait_for(group_gone, 15, "crier run left processes behind after Ctrl-C", output)


def _children_of(pid: int) -> set[int]:
    """Every descendant process of ``pid`` (read from /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.add(kid)
                    todo.append(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_to_crier_run_stops_every_child_within_10_seconds(crier_run):
    proc, port, output = crier_run["proc"], crier_run["port"], crier_run["output"]
    _wait_for(lambda: _healthy(port), 120, "the console to answer", output)
    _wait_for(lambda: len(_children_of(proc.pid)) >= 2, 60, "the worker and scheduler to start", output)
    children = _children_of(proc.pid)

    # Only the parent is told, as a service manager or `kill PID` would.
    os.kill(proc.pid, signal.SIGTERM)
    # The contract: within 10 s, the parent and every child are gone.
    _wait_for(lambda: proc.poll() is not None and not any(_alive(pid) for pid in children), 10,
              "crier run and every child to stop after SIGTERM", output)
    assert "Crier stopped." in "".join(output)
    assert not _healthy(port)
