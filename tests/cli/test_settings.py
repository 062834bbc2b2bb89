"""Every crier process checks every setting at start-up and refuses to start, in one clear line."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from workflow.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CRIER = [sys.executable, "-c", "from web.cli import main; main()"]

BAD = [
    ("CRIER_RATE_LIMIT_X", "lots", "CRIER_RATE_LIMIT_X is malformed"),
    ("CRIER_RATE_LIMIT_FACEBOOK_APP", "10/0", "CRIER_RATE_LIMIT_FACEBOOK_APP is malformed"),
    ("CRIER_LEASE_SECONDS", "soon", "CRIER_LEASE_SECONDS is malformed: expected a whole number"),
    ("CRIER_LEASE_SECONDS", "1", "CRIER_LEASE_SECONDS must be at least 3"),
    ("CRIER_SWEEP_INTERVAL", "0", "CRIER_SWEEP_INTERVAL must be more than 0"),
    ("CRIER_READ_TIMEOUT", "-5", "CRIER_READ_TIMEOUT must be more than 0"),
    ("CRIER_X_API_URL", "api.twitter.com", "CRIER_X_API_URL must be an http(s) address"),
    ("CRIER_PUBLIC_BASE_URL", "javascript:alert(1)", "CRIER_PUBLIC_BASE_URL must be an http(s) address"),
    ("CRIER_FACEBOOK_GRAPH_VERSION", "latest", "CRIER_FACEBOOK_GRAPH_VERSION is a Graph API version"),
    ("CRIER_CREDENTIAL_KEYS", "not-a-key", "CRIER_CREDENTIAL_KEYS: key 1 is not a Fernet key"),
    ("CRIER_REQUIRE_2FA", "maybe", "CRIER_REQUIRE_2FA is malformed: expected true or false"),
    ("CRIER_LOGIN_RATE_LIMIT", "often", "CRIER_LOGIN_RATE_LIMIT is written like"),
    ("CRIER_LATE_GRACE_SECONDS", "-1", "CRIER_LATE_GRACE_SECONDS cannot be negative"),
    ("CRIER_APPEAL_REMIND_AFTER", "0", "CRIER_APPEAL_REMIND_AFTER must be more than 0"),
    ("CRIER_APPEAL_REMIND_AFTER", "a day", "CRIER_APPEAL_REMIND_AFTER is malformed: expected a whole number"),
]


def crier(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    clean.update(CRIER_INSTANCE_PATH=str(tmp_path / "instance"), **env)
    return subprocess.run([*CRIER, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name, value, says", BAD)
def test_a_malformed_setting_stops_the_command_with_one_line(tmp_path, name, value, says):
    result = crier(["db", "upgrade"], tmp_path, **{name: value})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crier: ") and says in lines[0], result.stderr


def test_a_secret_key_is_never_echoed(tmp_path):
    result = crier(["db", "upgrade"], tmp_path, CRIER_CREDENTIAL_KEYS="SECRET-MATERIAL-1234")
    assert result.returncode == 2
    assert "SECRET-MATERIAL" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", [["worker"], ["scheduler"], ["run", "--port", "0"],
                                     ["audit", "verify"]])
def test_every_process_refuses_to_start(tmp_path, command):
    result = crier(command, tmp_path, CRIER_RATE_LIMIT_X="100 per 15 minutes")
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "CRIER_RATE_LIMIT_X is malformed" in result.stderr


def test_the_defaults_are_valid():
    Settings(database_url="sqlite://", broker_url="memory://", secret_key="k").check()


def test_every_setting_is_documented_in_one_table():
    table = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(CRIER_[A-Z0-9_]+)`", table, flags=re.M))
    assert {f"CRIER_{f.name.upper()}" for f in fields(Settings)} <= documented
