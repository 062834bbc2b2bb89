"""The ``crier`` command: schema, users, tokens, channel accounts, key rotation and
the audit check, run as an operator would (environment variables, stdin)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from tests.conftest import PG_SERVER_URL, _service_missing, app_config
from web import create_app
from web.cli import cli
from workflow.accounts.models import ChannelAccount, User
from workflow.audit.models import AuditEvent
from workflow.core.database import Base, make_session_factory
from workflow.core.security import CredentialsError, CredentialVault

PASSWORD = "a long enough password"
X_SECRETS = {"consumer_key": "ck-CLI-SECRET-1", "consumer_secret": "cs-CLI-SECRET-2",
             "access_token": "at-CLI-SECRET-3", "access_token_secret": "ats-CLI-SECRET-4", "username": "Force"}


class Crier:
    """Runs ``crier ...`` in-process against one database with one set of keys."""

    def __init__(self, database_url: str, instance: Path, keys: str | None = None):
        self.database_url = database_url
        self.instance = instance
        self.keys = keys or Fernet.generate_key().decode()

    platform_env: dict[str, str] = {}

    def env(self, **extra: str) -> dict[str, str]:
        return {"CRIER_DATABASE_URL": self.database_url, "CRIER_SECRET_KEY": "crier-cli-tests",
                "CRIER_INSTANCE_PATH": str(self.instance), "CRIER_CREDENTIAL_KEYS": self.keys,
                "CRIER_BROKER_URL": "memory://", **self.platform_env, **extra}

    def __call__(self, *args: str, input: str | None = None, **env: str):
        result = CliRunner().invoke(cli, list(args), input=input, env=self.env(**env), catch_exceptions=False)
        return result

    def rows(self, statement):
        engine = create_engine(self.database_url)
        try:
            with make_session_factory(engine)() as s:
                return s.execute(statement).all()
        finally:
            engine.dispose()

    def execute(self, sql: str, **params) -> None:
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(sql), params)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def platforms():
    """Local X and Graph simulators that know the credentials these tests add."""
    with XSimulator(consumer_key=X_SECRETS["consumer_key"], consumer_secret=X_SECRETS["consumer_secret"]) as x_sim, \
            GraphSimulator() as graph_sim:
        x_sim.add_account(X_SECRETS["username"], access_token=X_SECRETS["access_token"],
                          access_token_secret=X_SECRETS["access_token_secret"])
        page = graph_sim.add_page("Force FB", access_token="fb-CLI-SECRET")
        yield {"CRIER_X_API_URL": x_sim.url, "CRIER_FACEBOOK_GRAPH_URL": graph_sim.url}, page


@pytest.fixture
def crier(database_url, tmp_path, platforms):
    runner = Crier(database_url, tmp_path / "instance")
    runner.platform_env = platforms[0]
    return runner


def output(result) -> str:
    return result.output  # click mixes stderr into it, as a terminal would


# db upgrade ---------------------------------------------------------------------------

def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    crier = Crier(url, tmp_path / "instance")
    result = crier("db", "upgrade")
    assert result.exit_code == 0, output(result)
    assert "up to date" in result.output
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(url)
    # Running it again is harmless.
    assert crier("db", "upgrade").exit_code == 0


def test_db_upgrade_on_a_fresh_postgresql_database(tmp_path):
    server = make_url(PG_SERVER_URL)
    name = f"crier_cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server
        admin.dispose()
        _service_missing("PostgreSQL", exc)
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        assert _tables(url) == set()
        result = Crier(url, tmp_path / "instance")("db", "upgrade")
        assert result.exit_code == 0, output(result)
        assert {t.name for t in Base.metadata.sorted_tables} <= _tables(url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# users and tokens -----------------------------------------------------------------------

def test_user_add_reads_the_password_from_stdin(crier):
    result = crier("user", "add", "olivia", "--role", "officer", input=PASSWORD + "\n")
    assert result.exit_code == 0, output(result)
    assert "added officer olivia" in result.output
    assert PASSWORD not in result.output
    ((user,),) = crier.rows(select(User).where(User.username == "olivia"))
    assert user.role == "officer" and user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash

    from workflow.core.security import verify_password
    assert verify_password(user.password_hash, PASSWORD)


def test_user_add_refuses_a_short_password_a_duplicate_and_an_unknown_role(crier):
    short = crier("user", "add", "olivia", "--role", "officer", input="short\n")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output
    assert crier.rows(select(User)) == []

    assert crier("user", "add", "olivia", "--role", "officer", input=PASSWORD + "\n").exit_code == 0
    again = crier("user", "add", "olivia", "--role", "supervisor", input=PASSWORD + "\n")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert [u.role for (u,) in crier.rows(select(User))] == ["officer"]

    assert crier("user", "add", "sam", "--role", "chief", input=PASSWORD + "\n").exit_code == 2
    assert crier("user", "add", "bad name!", "--role", "officer", input=PASSWORD + "\n").exit_code == 1


def test_token_create_prints_a_token_that_works_against_the_api(crier, tmp_path):
    crier("user", "add", "sam", "--role", "supervisor", input=PASSWORD + "\n")
    result = crier("token", "create", "sam")
    assert result.exit_code == 0, output(result)
    token = result.output.strip()
    assert token.startswith("crier_") and len(token) > 30

    app = create_app(app_config(crier.database_url, tmp_path, CREDENTIAL_KEYS=crier.keys))
    try:
        client = app.test_client()
        assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    finally:
        app.extensions["crier"].engine.dispose()

    missing = crier("token", "create", "nobody")
    assert missing.exit_code == 1 and "no user called" in missing.output


# channel accounts and keys --------------------------------------------------------------

def assert_no_secret(where: str, haystack: str) -> None:
    for key, secret in X_SECRETS.items():
        if key != "username":
            assert secret not in haystack, f"{where} shows {key}"


def test_account_add_stores_credentials_encrypted(crier, caplog):
    caplog.set_level(logging.DEBUG)
    result = crier("account", "add", "x", "--name", "Force X", input=json.dumps(X_SECRETS))
    assert result.exit_code == 0, output(result)
    assert "added x account Force X" in result.output
    assert_no_secret("the command's output", result.output)

    ((account,),) = crier.rows(select(ChannelAccount))
    raw = bytes(account.credentials_encrypted)
    assert_no_secret("the stored column", raw.decode("latin-1"))
    assert_no_secret("the stored settings", json.dumps(account.settings))
    assert CredentialVault([crier.keys]).decrypt(raw) == X_SECRETS

    listed = crier("account", "list")
    assert "Force X" in listed.output
    assert_no_secret("account list", listed.output)
    assert_no_secret("the log", caplog.text)


@pytest.mark.parametrize("stdin, message", [
    ("{not json", "JSON"),
    ('["a list"]', "JSON object"),
    ('{"consumer_key": "only one"}', "credentials need"),
])
def test_account_add_refuses_bad_credentials(crier, stdin, message):
    result = crier("account", "add", "x", "--name", "Force X", input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert crier.rows(select(ChannelAccount)) == []


def test_key_rotation_re_encrypts_with_the_new_key(crier, platforms):
    old = crier.keys
    page = platforms[1]
    assert crier("account", "add", "x", "--name", "Force X", input=json.dumps(X_SECRETS)).exit_code == 0
    assert crier("account", "add", "facebook", "--name", "Force FB", "--area", "North",
                 input=json.dumps(page)).exit_code == 0
    before = {a.id: bytes(a.credentials_encrypted) for (a,) in crier.rows(select(ChannelAccount))}

    new = Fernet.generate_key().decode()
    result = crier("keys", "rotate", CRIER_CREDENTIAL_KEYS=f"{new},{old}")
    assert result.exit_code == 0, output(result)
    assert "re-encrypted 2 account(s)" in result.output

    after = {a.id: bytes(a.credentials_encrypted) for (a,) in crier.rows(select(ChannelAccount))}
    assert after.keys() == before.keys()
    for account_id, blob in after.items():
        assert blob != before[account_id]
        with pytest.raises(CredentialsError):
            CredentialVault([old]).decrypt(blob)
        assert CredentialVault([new]).decrypt(blob) in (X_SECRETS, page)
    # The old blobs were readable by the old key only: rotation really changed the key.
    with pytest.raises(CredentialsError):
        CredentialVault([new]).decrypt(next(iter(before.values())))


# audit verify ---------------------------------------------------------------------------

def _activity(crier) -> list[int]:
    crier("user", "add", "olivia", "--role", "officer", input=PASSWORD + "\n")
    crier("user", "add", "sam", "--role", "supervisor", input=PASSWORD + "\n")
    crier("account", "add", "website", "--name", "Force website", input="{}")
    crier("token", "create", "olivia")
    crier("token", "create", "sam")
    return [event_id for (event_id,) in crier.rows(select(AuditEvent.id).order_by(AuditEvent.id))]


def test_audit_verify_passes_on_an_untouched_chain(crier):
    ids = _activity(crier)
    assert len(ids) == 5
    result = crier("audit", "verify")
    assert result.exit_code == 0, output(result)
    assert "intact: 5 event(s)" in result.output


def test_audit_verify_fails_at_a_changed_event(crier):
    ids = _activity(crier)
    crier.execute("UPDATE audit_events SET details = :d WHERE id = :id", d='{"username":"mallory"}', id=ids[2])
    result = crier("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[2]}" in result.output


def test_audit_verify_fails_after_a_deleted_event(crier):
    ids = _activity(crier)
    crier.execute("DELETE FROM audit_events WHERE id = :id", id=ids[1])
    result = crier("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[2]}" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_installed_crier_command_checks_the_audit_chain(crier):
    """The console script itself, in a subprocess, configured only by the environment."""
    ids = _activity(crier)
    script = Path(sys.executable).with_name("crier")
    env = {**os.environ, **crier.env()}
    ok = subprocess.run([str(script), "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout

    crier.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = :id", id=ids[3])
    broken = subprocess.run([str(script), "audit", "verify"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert broken.returncode == 1
    assert f"BROKEN at event {ids[3]}" in broken.stderr


@pytest.mark.parametrize("kind, credentials, says", [
    ("facebook", {"page_id": "force-page", "page_access_token": "fb-CLI-SECRET"}, "Page ids are numbers"),
    ("facebook", {"page_id": "999", "page_access_token": "fb-CLI-SECRET"}, "refused"),
    ("facebook", {"page_id": "PAGE", "page_access_token": "wrong-token"}, "refused"),
    ("x", {**X_SECRETS, "access_token_secret": "wrong"}, "refused"),
    ("x", {**X_SECRETS, "user_id": "123"}, "not 123"),
])
def test_account_add_checks_credentials_with_the_platform(crier, platforms, kind, credentials, says):
    if credentials.get("page_id") == "PAGE":
        credentials = {**credentials, "page_id": platforms[1]["page_id"]}
    result = crier("account", "add", kind, "--name", "Checked", input=json.dumps(credentials))
    assert result.exit_code == 1, output(result)
    assert says in result.output
    assert crier.rows(select(ChannelAccount)) == []


def test_set_credentials_checks_them_and_stores_nothing_when_refused(crier, platforms):
    page = platforms[1]
    assert crier("account", "add", "facebook", "--name", "Force FB", input=json.dumps(page)).exit_code == 0
    ((account,),) = crier.rows(select(ChannelAccount))
    refused = crier("account", "set-credentials", str(account.id),
                    input=json.dumps({"page_id": "not-a-number", "page_access_token": "x"}))
    assert refused.exit_code == 1 and "Page ids are numbers" in refused.output
    ((after,),) = crier.rows(select(ChannelAccount))
    assert bytes(after.credentials_encrypted) == bytes(account.credentials_encrypted)
    assert crier("account", "set-credentials", str(account.id), input=json.dumps(page)).exit_code == 0
