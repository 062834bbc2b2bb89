"""Fixtures for the notice tests: a real SMTP server and team webhook, an app that uses them,
and helpers that send every waiting notice the way a worker does."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from tests.conftest import app_config
from tests.notices.support import MailCatcher, TeamHook
from workflow.core.database import utcnow
from workflow.notices.models import Notice, NoticeState
from workflow.notices.send import send_notice

CONSOLE = "https://crier.police.example"


@pytest.fixture
def mail():
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def hook():
    receiver = TeamHook().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def x_simulator():
    from channels.simulators.xapi import XSimulator

    sim = XSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def notice_settings(mail, hook, x_simulator) -> dict:
    return {"X_API_URL": x_simulator.url, "SMTP_URL": mail.url, "MAIL_FROM": "crier@police.example", "NOTIFY_WEBHOOK_URL": hook.url,
            "CONSOLE_URL": CONSOLE, "CONNECT_TIMEOUT": 2, "READ_TIMEOUT": 3, "RETRY_BASE_SECONDS": 1,
            "RETRY_MAX_SECONDS": 2, "RETRY_MAX_ATTEMPTS": 3}


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, notice_settings):
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config(database_url, tmp_path, **notice_settings))
    yield application
    application.extensions["crier"].engine.dispose()


def notices(runtime, **where) -> list[Notice]:
    """Every notice (optionally of one event, channel, state...), oldest first."""
    with runtime.session() as s:
        q = select(Notice).order_by(Notice.id)
        for key, value in where.items():
            q = q.where(getattr(Notice, key) == value)
        rows = list(s.execute(q).scalars())
        s.expunge_all()
        return rows


def recipients(runtime, event: str, channel: str) -> set[str]:
    """Usernames told of ``event`` on ``channel``."""
    from workflow.accounts.models import User

    with runtime.session() as s:
        return set(s.execute(select(User.username).join(Notice, Notice.user_id == User.id).where(
            Notice.event == event, Notice.channel == channel)).scalars())


def make_due(runtime) -> None:
    """Let every retry's backoff pass (the test does not wait for the clock)."""
    with runtime.session() as s, s.begin():
        s.execute(update(Notice).where(Notice.state == NoticeState.RETRYING)
                  .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))


def send_waiting(runtime, owner: str = "test-worker/1") -> list[str]:
    """Send every pending or due notice once, as a worker's task would; returns the outcomes."""
    with runtime.session() as s:
        ids = list(s.execute(select(Notice.id).where(
            Notice.state.in_([NoticeState.PENDING, NoticeState.RETRYING])).order_by(Notice.id)).scalars())
    return [send_notice(runtime, i, owner).status for i in ids]
