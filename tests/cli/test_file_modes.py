"""The instance folder is Crier's own: 0700, and its database, keys and broker files 0600."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRIER = [sys.executable, "-c", "from web.cli import main; main()"]

# Draft and approve one message on the embedded defaults, so the broker writes a wake-up.
APPROVE = """
from tests.conftest import make_account, make_user
from web import create_app
from workflow.messages import drafts, review
app = create_app()
rt = app.extensions["crier"]
with rt.session() as s:
    officer, supervisor = make_user(s, "olivia", "officer"), make_user(s, "sam", "supervisor")
    site = make_account(s, "website", "Force website")
    m = drafts.create_draft(s, officer, {"body": "Road closed on the A1.", "accounts": [site.id]})
    review.submit(s, officer, m.id)
    review.approve(s, supervisor, m.id, 1)
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(args: list[str], instance: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIER_")}
    env.update(CRIER_INSTANCE_PATH=str(instance))
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_default_files_are_private(tmp_path):
    instance = tmp_path / "instance"
    run([*CRIER, "db", "upgrade"], instance)
    run([sys.executable, "-c", APPROVE], instance)

    assert mode(instance) == 0o700
    files = [p for p in instance.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"crier.sqlite3", "secret_key"} <= names
    assert any("broker" in p.parts for p in files), "the broker wrote no wake-up"
    assert {str(p.relative_to(instance)): oct(mode(p)) for p in files if mode(p) != 0o600} == {}
    assert all(mode(p) == 0o700 for p in instance.rglob("*") if p.is_dir())


def test_files_made_loose_before_are_tightened_at_start(tmp_path):
    instance = tmp_path / "instance"
    run([*CRIER, "db", "upgrade"], instance)
    instance.chmod(0o755)
    (instance / "crier.sqlite3").chmod(0o644)
    (instance / "secret_key").chmod(0o644)

    run([*CRIER, "db", "upgrade"], instance)

    assert mode(instance) == 0o700
    assert mode(instance / "crier.sqlite3") == 0o600
    assert mode(instance / "secret_key") == 0o600
