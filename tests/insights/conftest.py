"""Insight fixtures: the app pointed at simulated X and Graph, accounts on them, the demo gazetteer."""

from __future__ import annotations

import itertools
from typing import Iterator

import pytest
from sqlalchemy import inspect, select, text

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from tests.conftest import app_config, make_account
from workflow.delivery import send
from workflow.delivery.models import Delivery
from workflow.insights import gazetteer
from workflow.messages import drafts, review

_names = (f"n{n}" for n in itertools.count(1))


@pytest.fixture(scope="session")
def x_simulator() -> Iterator[XSimulator]:
    with XSimulator() as simulator:
        yield simulator


@pytest.fixture(scope="session")
def graph_simulator() -> Iterator[GraphSimulator]:
    with GraphSimulator() as simulator:
        yield simulator


@pytest.fixture
def x_sim(x_simulator):
    x_simulator.reset()
    yield x_simulator
    x_simulator.reset()


@pytest.fixture
def graph_sim(graph_simulator):
    graph_simulator.reset()
    yield graph_simulator
    graph_simulator.reset()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, x_sim, graph_sim):
    """The app with the simulators as X and Graph, and short timeouts."""
    from web import create_app

    monkeypatch.setenv("CRIER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(
        app_config(
            database_url,
            tmp_path,
            X_API_URL=x_sim.url,
            FACEBOOK_GRAPH_URL=graph_sim.url,
            CONNECT_TIMEOUT=2,
            READ_TIMEOUT=5,
        )
    )
    yield application
    application.extensions["crier"].engine.dispose()


@pytest.fixture
def places(session):
    """The demo gazetteer (Stoke-on-Trent's North, South and City Centre)."""
    gazetteer.ensure_demo(session)
    matcher = gazetteer.matcher(session)
    session.commit()  # SQLite: the test's session must not hold the write lock
    return matcher


def add_x(session, x_sim, name: str, area: str | None = None, followers: int = 0, seed: int = 13, mix=None):
    """An X account on the simulator with ``followers`` fixed-seed followers; returns (account, people)."""
    credentials = x_sim.add_account(f"{next(_names)}_{name.replace(' ', '_').lower()}"[:15])
    people = x_sim.audience.populate(credentials["user_id"], followers, seed, mix) if followers else []
    return make_account(session, "x", name, area=area, credentials=credentials), people


def add_facebook(session, graph_sim, name: str, area: str | None = None, followers: int = 0, seed: int = 17):
    """A Facebook Page on the simulator with ``followers`` followers; returns (account, people)."""
    credentials = graph_sim.add_page(name)
    people = graph_sim.audience.populate(credentials["page_id"], followers, seed) if followers else []
    return make_account(session, "facebook", name, area=area, credentials=credentials), people


def published(
    runtime,
    session,
    author,
    verifier,
    account_ids: list[int],
    body: str = "The A50 is closed northbound at Trentham after a collision. Please avoid the area.",
) -> int:
    """A message drafted, verified and delivered for real to the simulators; returns its id."""
    message = drafts.create_draft(session, author, {"body": body, "accounts": account_ids})
    review.submit(session, author, message.id)
    review.approve(session, verifier, message.id, message.current_version)
    message_id = message.id
    ids = list(session.execute(select(Delivery.id).where(Delivery.message_id == message_id)).scalars())
    session.commit()
    for delivery_id in ids:
        outcome = send.deliver(runtime, delivery_id, owner="tests")
        assert outcome.status == "sent", outcome
    return message_id


@pytest.fixture
def database_dump(runtime):
    """``database_dump()``: every row of every table in the database, as one text to search."""

    def dump() -> str:
        lines = []
        with runtime.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    lines.append(
                        f"{table}: "
                        + " | ".join(
                            bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v)
                            for v in row
                        )
                    )
        return "\n".join(lines)

    return dump
