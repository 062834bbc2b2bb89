"""Insight fixtures: the app pointed at simulated X and Graph, accounts on them, the demo gazetteer."""
from __future__ import annotations

import itertools
from typing import Iterator

import pytest

from channels.simulators.graph import GraphSimulator
from channels.simulators.xapi import XSimulator
from tests.conftest import app_config, make_account
from workflow.insights import gazetteer

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
    application = create_app(app_config(database_url, tmp_path, X_API_URL=x_sim.url,
                                        FACEBOOK_GRAPH_URL=graph_sim.url, CONNECT_TIMEOUT=2, READ_TIMEOUT=5))
    yield application
    application.extensions["crier"].engine.dispose()


@pytest.fixture
def places(session):
    """The demo gazetteer (Stoke-on-Trent's North, South and City Centre)."""
    gazetteer.ensure_demo(session)
    matcher = gazetteer.matcher(session)
    session.commit()  # SQLite: the test's session must not hold the write lock
    return matcher


def add_x(session, x_sim, name: str, area: str | None = None, followers: int = 0, seed: int = 13,
          mix=None):
    """An X account on the simulator with ``followers`` fixed-seed followers; returns (account, people)."""
    credentials = x_sim.add_account(f"{next(_names)}_{name.replace(' ', '_').lower()}"[:15])
    people = x_sim.audience.populate(credentials["user_id"], followers, seed, mix) if followers else []
    return make_account(session, "x", name, area=area, credentials=credentials), people


def add_facebook(session, graph_sim, name: str, area: str | None = None, followers: int = 0, seed: int = 17):
    """A Facebook Page on the simulator with ``followers`` followers; returns (account, people)."""
    credentials = graph_sim.add_page(name)
    people = graph_sim.audience.populate(credentials["page_id"], followers, seed) if followers else []
    return make_account(session, "facebook", name, area=area, credentials=credentials), people
