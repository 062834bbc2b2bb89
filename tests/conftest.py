"""Shared fixtures: the app on SQLite and on PostgreSQL, users, accounts, API clients.

Database tests run on both back ends (``database_url`` is parametrised). Each
pytest run gets its own PostgreSQL database, migrated once and emptied after
every test, so that runs on one server never see each other's rows.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workflow.accounts.models import ChannelAccount, User
from workflow.core.database import Base
from workflow.core.migrate import upgrade
from workflow.core.security import derive_fernet_key, hash_password
from workflow.insights import models as _insights  # noqa: F401 - every table is emptied between tests

PG_SERVER_URL = os.environ.get("CRIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CRIER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# In CI a missing service is a failure, never a silent skip.
REQUIRE_SERVICES = bool(os.environ.get("CI") or os.environ.get("CRIER_REQUIRE_SERVICES"))
BACKENDS = [b.strip() for b in os.environ.get("CRIER_TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
TEST_PASSWORD = "correct horse battery staple"
#: Conformance data from outside the project, read where it lies: ../shared beside the checkout.
SHARED = Path(os.environ.get("CRIER_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
CONFORMANCE = SHARED / "conformance"
CREDENTIAL_KEY = derive_fernet_key("crier-tests")


def conformance_file(name: str) -> Path:
    """A file of the shared conformance data; skips the test when it is missing (fails it in CI)."""
    path = CONFORMANCE / name
    if not path.exists():
        reason = (f"conformance data {name} is missing: expected at {path} (the shared/ folder beside "
                  "the checkout, or set CRIER_SHARED_DIR)")
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _service_missing(what: str, exc: Exception) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required for this test run and is not reachable: {exc}")
    pytest.skip(f"{what} not reachable: {exc}")


# Chromium ---------------------------------------------------------------------

CHROMIUM = os.environ.get("CRIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (Playwright allows one sync driver per thread).

    Without Chromium the browser tests skip, unless CI=1 (or CRIER_REQUIRE_SERVICES):
    then they fail, so a CI run can never pass without having run them.
    """
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium is required for the browser tests and is not at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


# Databases ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this run's own, migrated to head."""
    server = make_url(PG_SERVER_URL)
    name = f"crier_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure
        admin.dispose()
        _service_missing("PostgreSQL", exc)
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_TABLES = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))


def empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "crier.sqlite3"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def pg_url(request) -> Iterator[str]:
    """A clean, migrated PostgreSQL database for one test."""
    url = request.getfixturevalue("pg_database")
    yield url
    empty_pg(url)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """A clean, migrated database for one test: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        path = tmp_path / "crier.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield request.getfixturevalue("pg_url")


# The app ---------------------------------------------------------------------

def app_config(database_url: str, tmp_path, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "crier-tests",
        "CREDENTIAL_KEYS": CREDENTIAL_KEY,
        "PUBLIC_BASE_URL": "https://police.example",
        "BROKER_URL": "memory://",
        "WTF_CSRF_ENABLED": True,
        # Most tests sign supervisors in with a password alone; the second
        # factor has its own tests (tests/console/test_signin.py), with it on.
        "REQUIRE_2FA": False,
        # The tests' CMS receivers listen on loopback, like the demo's.
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    config.update(extra)
    return config


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config(database_url, tmp_path))
    yield application
    application.extensions["crier"].engine.dispose()


@pytest.fixture
def runtime(app):
    return app.extensions["crier"]


@pytest.fixture
def session(runtime):
    s = runtime.session()
    yield s
    s.close()


# Factories ---------------------------------------------------------------------

_HASH: list[str] = []


def password_hash() -> str:
    # One argon2 hash per run: hashing is slow on purpose.
    if not _HASH:
        _HASH.append(hash_password(TEST_PASSWORD))
    return _HASH[0]


def make_user(session, username: str, role: str = "officer") -> User:
    user = User(username=username, display_name=username.title(), role=role, password_hash=password_hash())
    session.add(user)
    session.commit()
    return user


def make_account(session, kind: str = "website", name: str | None = None, area: str | None = None,
                 credentials: dict | None = None) -> ChannelAccount:
    from workflow.accounts.channel_accounts import add_account

    defaults = {
        "x": {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
              "access_token_secret": "ats", "username": "force"},
        "facebook": {"page_id": "1001", "page_access_token": "page-token"},
        "website": {},
    }
    return add_account(session, kind, name or f"{kind} {area or 'force-wide'}",
                       credentials if credentials is not None else defaults[kind], area=area)


@pytest.fixture
def officer(session):
    return make_user(session, "olivia", "officer")


@pytest.fixture
def officer2(session):
    return make_user(session, "oscar", "officer")


@pytest.fixture
def supervisor(session):
    return make_user(session, "sam", "supervisor")


@pytest.fixture
def supervisor2(session):
    return make_user(session, "sunita", "supervisor")


@pytest.fixture
def admin(session):
    return make_user(session, "ada", "admin")


@pytest.fixture
def website_account(session):
    return make_account(session, "website", "Force website")


class ApiClient:
    """The app's test client speaking JSON with one user's Bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, json: Any = None, **kw: Any):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kw)

    def get(self, path: str, **kw: Any):
        return self._call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self._call("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any):
        return self._call("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any):
        return self._call("DELETE", path, **kw)


@pytest.fixture
def api(app, session):
    """``api(user)`` gives an :class:`ApiClient` holding a fresh token of ``user``."""
    from workflow.accounts.tokens import create_token

    def for_user(user: User | None) -> ApiClient:
        token = create_token(session, user, "tests") if user is not None else None
        return ApiClient(app.test_client(), token)

    return for_user
